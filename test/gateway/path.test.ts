// The gateway's one reading of a request path (path.ts), apart from the proxy.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { normalizePath, normalizeTarget, type PathRefusal } from '../../gateway/path.ts';

const normalized = (raw: string) => {
  const result = normalizePath(raw);
  assert.ok(result.ok, `${JSON.stringify(raw)} was refused: ${result.ok ? '' : result.reason}`);
  return result.path;
};

const refusal = (raw: string) => {
  const result = normalizePath(raw);
  assert.ok(!result.ok, `${JSON.stringify(raw)} was accepted as ${result.ok ? result.path : ''}`);
  return result.reason;
};

describe('normalizePath', () => {
  test('decodes percent-encoded unreserved characters, and only those', () => {
    assert.equal(normalized('/%61dmin/secret'), '/admin/secret');
    assert.equal(normalized('/%41%5A%30%39%2D%2e%5F%7e'), '/AZ09-._~');
    assert.equal(normalized('/a%2ehtaccess'), '/a.htaccess');
    assert.equal(normalized('/%2ehtaccess'), '/.htaccess');
    // Reserved characters keep their encoding: %3A is not ":" (RFC 3986 §2.2).
    assert.equal(normalized('/a%3ab%40c%25d%20e'), '/a%3Ab%40c%25d%20e');
  });

  test('upper-cases the remaining percent-encodings', () => {
    assert.equal(normalized('/caf%c3%a9'), '/caf%C3%A9');
    assert.equal(normalized('/caf%C3%a9'), '/caf%C3%A9');
  });

  test('encodes printable ASCII a path may not hold raw, keeps sub-delims, ":" and "@"', () => {
    assert.equal(normalized('/a{b}|c^d`e"f<g>h[i]'), '/a%7Bb%7D%7Cc%5Ed%60e%22f%3Cg%3Eh%5Bi%5D');
    assert.equal(normalized("/a!$&'()*+,;=:@b"), "/a!$&'()*+,;=:@b");
    assert.equal(normalized('/a b'), '/a%20b');
  });

  test('resolves dot segments (RFC 3986 §5.2.4)', () => {
    const cases: Array<[string, string]> = [
      ['/./admin/secret', '/admin/secret'],
      ['/../admin/secret', '/admin/secret'],
      ['/x/../admin/secret', '/admin/secret'],
      ['/a/b/c/./../../g', '/a/g'],
      ['/mid/content=5/../6', '/mid/6'],
      ['/a/.', '/a/'],
      ['/a/b/..', '/a/'],
      ['/a/..', '/'],
      ['/..', '/'],
      ['/.', '/'],
      ['/a/.b/c./d.e', '/a/.b/c./d.e'],
      ['/shards/testnet-1/./accounts/../accounts/alice', '/shards/testnet-1/accounts/alice'],
    ];
    for (const [raw, expected] of cases) assert.equal(normalized(raw), expected, raw);
  });

  test('collapses duplicate slashes before resolving dots; keeps one trailing slash', () => {
    assert.equal(normalized('//admin//secret'), '/admin/secret');
    assert.equal(normalized('///admin'), '/admin');
    assert.equal(normalized('/a//'), '/a/');
    assert.equal(normalized('//'), '/');
    assert.equal(normalized('/a//../b'), '/b');
    assert.equal(normalized('/a/'), '/a/');
    assert.equal(normalized('/'), '/');
  });

  test('refuses what two servers could read two ways', () => {
    const cases: Array<[string, PathRefusal]> = [
      ['/admin%2fsecret', 'ENCODED_SLASH'],
      ['/x/..%2Fadmin', 'ENCODED_SLASH'],
      ['/admin%5csecret', 'ENCODED_BACKSLASH'],
      ['/admin%5Csecret', 'ENCODED_BACKSLASH'],
      ['/admin\\secret', 'BACKSLASH'],
      ['/x\\..\\admin', 'BACKSLASH'],
      ['/%2e/admin/secret', 'ENCODED_DOT_SEGMENT'],
      ['/%2E/admin', 'ENCODED_DOT_SEGMENT'],
      ['/%2e%2e/admin', 'ENCODED_DOT_SEGMENT'],
      ['/x/.%2e/admin', 'ENCODED_DOT_SEGMENT'],
      ['/x/%2E./admin', 'ENCODED_DOT_SEGMENT'],
      ['/x/%2e%2e', 'ENCODED_DOT_SEGMENT'],
      ['/x/..;/admin', 'DOT_SEGMENT_LOOKALIKE'],
      ['/.;/admin', 'DOT_SEGMENT_LOOKALIKE'],
      ['/x/..;jsessionid=1/admin', 'DOT_SEGMENT_LOOKALIKE'],
      ['/a/.../b', 'DOT_SEGMENT_LOOKALIKE'],
      ['/a/..b', 'DOT_SEGMENT_LOOKALIKE'],
      ['/a/b../c', 'DOT_SEGMENT_LOOKALIKE'],
      ['/a/%2e%2eb', 'DOT_SEGMENT_LOOKALIKE'],
      ['/a%00b', 'CONTROL_CHARACTER'],
      ['/a%0Ab', 'CONTROL_CHARACTER'],
      ['/a%1fb', 'CONTROL_CHARACTER'],
      ['/a%7Fb', 'CONTROL_CHARACTER'],
      ['/a\u0000b', 'CONTROL_CHARACTER'],
      ['/a\tb', 'CONTROL_CHARACTER'],
      ['/a\u007fb', 'CONTROL_CHARACTER'],
      ['/a%', 'INVALID_PERCENT_ENCODING'],
      ['/a%4', 'INVALID_PERCENT_ENCODING'],
      ['/a%zz', 'INVALID_PERCENT_ENCODING'],
      ['/a%g1', 'INVALID_PERCENT_ENCODING'],
      ['/a%C3', 'INVALID_UTF8'],
      ['/a%FF', 'INVALID_UTF8'],
      ['/%C0%AE%C0%AE/admin', 'INVALID_UTF8'], // an over-long "."
      ['/%ED%A0%80', 'INVALID_UTF8'], // a lone surrogate
      ['/a#b', 'FRAGMENT'],
      ['/café', 'NON_ASCII'],
      ['http://evil.test/admin', 'NOT_ORIGIN_FORM'],
      ['*', 'NOT_ORIGIN_FORM'],
      ['', 'NOT_ORIGIN_FORM'],
      ['admin', 'NOT_ORIGIN_FORM'],
    ];
    for (const [raw, reason] of cases) assert.equal(refusal(raw), reason, raw);
  });

  test('every refusal carries a message for the client', () => {
    const result = normalizePath('/a%2fb');
    assert.ok(!result.ok);
    assert.match(result.message, /encoded slash/);
  });
});

describe('normalizeTarget', () => {
  test('normalizes the path and keeps the query exactly as sent', () => {
    assert.deepEqual(normalizeTarget('/a/./b//c?x=%2e&y=/../z&q="'), {
      ok: true,
      path: '/a/b/c',
      query: 'x=%2e&y=/../z&q="',
    });
    assert.deepEqual(normalizeTarget('/a'), { ok: true, path: '/a', query: null });
    assert.deepEqual(normalizeTarget('/a?'), { ok: true, path: '/a', query: '' });
    // Only the path is judged: a "%2f" in the query is the upstream's business.
    assert.equal(normalizeTarget('/a?p=%2f').ok, true);
    assert.equal(normalizeTarget('/a%2f?p=1').ok, false);
  });
});

describe('properties', () => {
  // Pieces that make the hard cases likely: dots plain and encoded, slashes, every kind of escape.
  const piece = fc.constantFrom(
    'a',
    'Z',
    '0',
    '-',
    '~',
    '.',
    '..',
    '...',
    '/',
    '//',
    '%2e',
    '%2E',
    '%61',
    '%7e',
    '%20',
    '%3a',
    '%25',
    '%c3%a9',
    '%C3',
    '%2f',
    '%5c',
    '%00',
    '%',
    '%z',
    '\\',
    '{',
    '|',
    '"',
    ':',
    '@',
    ';',
    '=',
    '#',
    '\u00e9',
  );
  const rawPath = fc.array(piece, { maxLength: 12 }).map((parts) => `/${parts.join('')}`);
  const params = { numRuns: 2000, seed: 0x1a7c4e };

  test('never throws; a normalized path is a fixed point', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        const once = normalizePath(raw);
        if (!once.ok) return;
        assert.deepEqual(normalizePath(once.path), once);
      }),
      params,
    );
  });

  test('a URL parser leaves a normalized path as it is (what is matched is what is forwarded)', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        const result = normalizePath(raw);
        if (!result.ok) return;
        assert.equal(new URL(result.path, 'http://upstream.test/').pathname, result.path);
      }),
      params,
    );
  });

  test('a normalized path holds no dot segment or look-alike, empty segment, lower-case or unreserved escape', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        const result = normalizePath(raw);
        if (!result.ok) return;
        const segments = result.path.split('/').slice(1);
        segments.forEach((segment, i) => {
          assert.ok(segment !== '.' && segment !== '..', result.path);
          if (i < segments.length - 1) assert.notEqual(segment, '', result.path);
          for (const [, hex] of segment.matchAll(/%(..)/g)) {
            assert.match(hex ?? '', /^[0-9A-F]{2}$/, result.path);
            assert.doesNotMatch(String.fromCharCode(Number.parseInt(hex ?? '', 16)), /[A-Za-z0-9._~-]/);
          }
          decodeURIComponent(segment);
        });
        // What a proxy library could refuse to forward as a traversal never gets that far.
        const decoded = decodeURIComponent(result.path);
        assert.ok(!decoded.includes('/..') && !decoded.includes('../'), result.path);
      }),
      params,
    );
  });
});
