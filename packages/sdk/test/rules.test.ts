// The shared rules module (`@latchkey/sdk/rules`) on its own: each rule that the server, the SDK, the
// gateway, the CLI and the console now take from it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import {
  crc32,
  csvCell,
  ipAllowed,
  isPermissionKey,
  isVerifyCode,
  isWellFormedToken,
  PERMISSION_KEY_PATTERN,
  parseIpAddress,
  parseIpRange,
  permissionAllows,
  REFUSAL_STATUS,
  readBearer,
  refusalKindOf,
  TOKEN_ALPHABET,
  tokenChecksum,
  tokenCsv,
  tokenHint,
  VERIFY_CODES,
} from '../src/rules/index.ts';
import { fakeToken } from './helpers/tokens.ts';

const SEED = Number(process.env.RULES_SEED ?? 20261205);
const params = { seed: SEED, numRuns: 500 };

describe('token format', () => {
  test('the pure-JS CRC-32 equals zlib.crc32 on random strings and bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => crc32(text) === zlibCrc32(text)),
      params,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => crc32(bytes) === zlibCrc32(bytes)),
      params,
    );
    assert.equal(crc32(''), 0);
    assert.equal(crc32('123456789'), 0xcbf43926, 'the IEEE check value');
  });

  test('a value made with tokenChecksum is well-formed; any one-character change is caught', () => {
    const base62 = fc.string({ unit: fc.constantFrom(...TOKEN_ALPHABET), minLength: 30, maxLength: 30 });
    fc.assert(
      fc.property(base62, fc.nat(35), fc.constantFrom(...TOKEN_ALPHABET), (random, at, char) => {
        const value = `lk_${random}${tokenChecksum(random)}`;
        assert.equal(isWellFormedToken(value), true);
        assert.equal(isWellFormedToken(value, 'lk'), true);
        const body = value.slice(3);
        const changed = `lk_${body.slice(0, at)}${char}${body.slice(at + 1)}`;
        // CRC-32 detects every single-character change of the random part or of the checksum.
        assert.equal(isWellFormedToken(changed), changed === value);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  test('the checksum matches what zlib gives for the same random part (SPEC §5)', () => {
    const value = fakeToken();
    const random = value.slice(3, 33);
    let rest = zlibCrc32(random);
    let expected = '';
    while (rest > 0) {
      expected = TOKEN_ALPHABET[rest % 62] + expected;
      rest = Math.floor(rest / 62);
    }
    assert.equal(tokenChecksum(random), expected.padStart(6, '0'));
  });

  test('prefixes: any valid one without a required prefix, exactly the required one with it', () => {
    const value = fakeToken('acme2');
    assert.equal(isWellFormedToken(value), true);
    assert.equal(isWellFormedToken(value, 'acme2'), true);
    assert.equal(isWellFormedToken(value, 'lk'), false);
    for (const bad of ['A', '1k', 'k', 'abcdefghijk']) {
      assert.equal(isWellFormedToken(`${bad}${fakeToken().slice(2)}`), false, bad);
    }
    assert.equal(isWellFormedToken(`${fakeToken()} `), false);
    assert.equal(isWellFormedToken(fakeToken().replace('_', '-')), false);
    assert.equal(isWellFormedToken('lk_é'.padEnd(39, 'a')), false);
  });

  test('the hint is the prefix and the last four characters; short strings show nothing', () => {
    const value = fakeToken();
    assert.equal(tokenHint(value), `lk_…${value.slice(-4)}`);
    assert.equal(tokenHint(fakeToken('acme')).slice(0, 6), 'acme_…');
    assert.equal(tokenHint('Not_A_Prefix_value'), '…alue');
    assert.equal(tokenHint('lk_abc'), '…');
  });
});

describe('permissions', () => {
  test("a key is held only when listed: '*' is no wildcard, on either side", () => {
    const held = new Set(['blocks:read', '*']);
    assert.equal(permissionAllows(held, 'blocks:read'), true);
    assert.equal(permissionAllows(held, 'chunks:read'), false);
    assert.equal(permissionAllows(new Set(['blocks:read']), '*'), false);
    assert.equal(permissionAllows(held, { all: ['blocks:read', 'chunks:read'] }), false);
    assert.equal(permissionAllows(held, { any: ['chunks:read', 'blocks:read'] }), true);
    assert.equal(permissionAllows(held, { any: ['chunks:read'] }), false);
  });

  test("the key grammar is the catalog's: name, one colon, action, each [a-z0-9][a-z0-9._-]*", () => {
    for (const ok of ['blocks:read', 'contract-code:read', 'contract.code:read', 'a_b:c-d', '0:0']) {
      assert.equal(isPermissionKey(ok), true, ok);
    }
    for (const bad of [
      'blocks',
      'Blocks:read',
      'a:b:c',
      ':read',
      'blocks:',
      '-a:b',
      'a:.b',
      '*',
      'a :b',
      1,
    ]) {
      assert.equal(isPermissionKey(bad), false, String(bad));
    }
    assert.equal(isPermissionKey(`a:${'b'.repeat(98)}`), true);
    assert.equal(isPermissionKey(`a:${'b'.repeat(99)}`), false, 'at most 100 characters');
    assert.equal(PERMISSION_KEY_PATTERN, '^[a-z0-9][a-z0-9._-]*:[a-z0-9][a-z0-9._-]*$');
  });

  test('the verify codes are the closed list of SPEC §3', () => {
    assert.deepEqual([...VERIFY_CODES].sort(), [
      'EXPIRED',
      'FORBIDDEN',
      'IP_NOT_ALLOWED',
      'MALFORMED',
      'NOT_FOUND',
      'RATE_LIMITED',
      'RESOURCE_FORBIDDEN',
      'REVOKED',
    ]);
    assert.equal(isVerifyCode('REVOKED'), true);
    assert.equal(isVerifyCode('revoked'), false);
    assert.equal(isVerifyCode(undefined), false);
  });
});

describe('bearer header (RFC 6750)', () => {
  test('the scheme in any case, then one b64token', () => {
    assert.equal(readBearer('Bearer lk_abc'), 'lk_abc');
    assert.equal(readBearer('bearer lk_abc'), 'lk_abc');
    assert.equal(readBearer('BEARER\tlk_abc  '), 'lk_abc');
    assert.equal(readBearer('Bearer abc-._~+/xyz=='), 'abc-._~+/xyz==');
    assert.equal(readBearer(['Bearer lk_abc']), 'lk_abc');
  });

  test('anything else is no token', () => {
    for (const bad of [
      undefined,
      null,
      '',
      'Bearer',
      'Bearer ',
      'Bearerlk_abc',
      'Basic dXNlcjpwYXNz',
      'Bearer a b',
      'Bearer a,b',
      'Bearer a=b',
      'Bearer lk_abc\n',
      'Token lk_abc',
    ]) {
      assert.equal(readBearer(bad), undefined, JSON.stringify(bad));
    }
    assert.equal(readBearer(['Bearer a', 'Bearer b']), undefined, 'a header sent twice is ambiguous');
    assert.equal(readBearer([]), undefined);
  });
});

describe('IP addresses and CIDR blocks', () => {
  test('IPv4-mapped IPv6 is IPv4, for an address and for a /96-or-longer block', () => {
    assert.equal(parseIpAddress('::ffff:10.1.2.3')?.toString(), '10.1.2.3');
    assert.equal(parseIpAddress('::ffff:a01:203')?.toString(), '10.1.2.3');
    assert.equal(ipAllowed(['10.0.0.0/8'], '::ffff:10.1.2.3'), true);
    assert.equal(ipAllowed(['::ffff:10.0.0.0/104'], '10.9.9.9'), true);
    assert.equal(ipAllowed(['::ffff:10.0.0.0/104'], '::ffff:10.9.9.9'), true);
    assert.equal(ipAllowed(['::ffff:10.0.0.0/104'], '11.0.0.1'), false);
    assert.equal(ipAllowed(['::ffff:10.1.2.3'], '10.1.2.3'), true);
    assert.equal(ipAllowed(['10.1.2.3'], '::ffff:10.1.2.3'), true);
  });

  test('a mapped block shorter than /96 stays IPv6: no IPv4 client matches it (the SDK used to allow any)', () => {
    assert.deepEqual(parseIpRange('::ffff:10.0.0.1/64')?.map(String), ['::ffff:a00:1', '64']);
    for (const ip of ['10.0.0.1', '::ffff:10.0.0.1', '192.0.2.1', '8.8.8.8']) {
      assert.equal(ipAllowed(['::ffff:10.0.0.1/64'], ip), false, ip);
    }
    assert.equal(ipAllowed(['::ffff:10.0.0.1/64'], '::1'), true, 'an IPv6 address in ::/64 does');
  });

  test('IPv4 and IPv6 never match each other; /0 matches its own family only', () => {
    assert.equal(ipAllowed(['0.0.0.0/0'], '2001:db8::1'), false);
    assert.equal(ipAllowed(['::/0'], '203.0.113.7'), false);
    assert.equal(ipAllowed(['::/0'], '2001:db8::1'), true);
    assert.equal(ipAllowed(['2001:db8::/32'], '2001:db8:1::1'), true);
    assert.equal(ipAllowed(['2001:db8::/32'], '2001:db9::1'), false);
  });

  test('a list, even empty, restricts; an address that does not parse is refused', () => {
    assert.equal(ipAllowed([], '203.0.113.7'), false);
    assert.equal(ipAllowed(['203.0.113.0/24'], 'nope'), false);
    assert.equal(ipAllowed(['nope', '203.0.113.0/24'], '203.0.113.9'), true, 'a bad entry allows nothing');
  });

  test('only plain forms parse: four decimal IPv4 parts without leading zeros, a decimal prefix length', () => {
    for (const ok of [
      '203.0.113.7',
      '203.0.113.0/24',
      '0.0.0.0/0',
      '::1',
      '2001:db8::/32',
      '::ffff:10.0.0.1',
    ]) {
      assert.notEqual(parseIpRange(ok), null, ok);
    }
    for (const bad of [
      '',
      '256.1.1.1',
      '1.2.3',
      '127.1',
      '3232235777',
      '0x7f.0.0.1',
      '010.0.0.1',
      '::ffff:010.0.0.1',
      '1.2.3.4/33',
      '1.2.3.4/08',
      '1.2.3.4/',
      '2001:db8::/129',
      '1.2.3.4/8/1',
      'example.com',
    ]) {
      assert.equal(parseIpRange(bad), null, bad);
      assert.equal(ipAllowed(['0.0.0.0/0', '::/0'], bad), false, bad);
    }
  });

  test('a list changed in place is read again', () => {
    const list = ['10.0.0.0/8'];
    assert.equal(ipAllowed(list, '10.1.1.1'), true);
    list[0] = '192.168.0.0/16';
    assert.equal(ipAllowed(list, '10.1.1.1'), false);
  });
});

describe('token CSV', () => {
  const issued = (info: Partial<Parameters<typeof tokenCsv>[0]['tokenInfo']>) => ({
    clientId: 'tok_1',
    token: 'lk_abc',
    tokenInfo: {
      name: 'ci',
      access: 'granular' as const,
      permissions: ['blocks:read', 'chunks:read'],
      roleId: null,
      resourceIds: ['res_a', 'res_b'],
      expiresAt: '2030-01-01T00:00:00.000Z',
      ...info,
    },
  });

  test('the documented header and one row, CRLF line endings', () => {
    assert.equal(
      tokenCsv(issued({})),
      'client_id,token,name,permissions,resources,expires_at\r\n' +
        'tok_1,lk_abc,ci,blocks:read chunks:read,res_a res_b,2030-01-01T00:00:00.000Z\r\n',
    );
  });

  test('full access is `full`, every resource `all`, no expiry empty, a role-based token `role:<id>`', () => {
    const full = tokenCsv(issued({ access: 'full', permissions: null, resourceIds: null, expiresAt: null }));
    assert.equal(full.split('\r\n')[1], 'tok_1,lk_abc,ci,full,all,');
    const role = tokenCsv(issued({ permissions: null, roleId: 'rol_readonly' }));
    assert.match(role, /,role:rol_readonly,/);
  });

  test('cells are quoted per RFC 4180 and formulas are defused', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\r\nlines'), '"two\r\nlines"');
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      assert.equal(
        csvCell(`${start}cmd`).replace(/^"/, '').startsWith(`'${start}`),
        true,
        JSON.stringify(start),
      );
    }
    assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvCell('a=b'), 'a=b', 'only the first character matters');
    const hostile = tokenCsv(issued({ name: '=cmd|"/c calc"!A1' }));
    assert.equal(hostile.split('\r\n')[1]?.split(',')[2], `"'=cmd|""/c calc""!A1"`);
  });
});

test('a refused token is 401 unless it works but lacks a grant (403) or made too many requests (429)', () => {
  const statusOf = Object.fromEntries(
    VERIFY_CODES.map((code) => [code, REFUSAL_STATUS[refusalKindOf(code)]]),
  );
  assert.deepEqual(statusOf, {
    MALFORMED: 401,
    NOT_FOUND: 401,
    EXPIRED: 401,
    REVOKED: 401,
    FORBIDDEN: 403,
    RESOURCE_FORBIDDEN: 403,
    IP_NOT_ALLOWED: 401,
    RATE_LIMITED: 429,
  });
});

test('the rules module is browser-safe: no node: imports under src/rules', () => {
  const dir = new URL('../src/rules/', import.meta.url).pathname;
  for (const name of readdirSync(dir)) {
    const text = readFileSync(join(dir, name), 'utf8');
    assert.doesNotMatch(text, /^[^*/]*(from ['"]node:|require\()/m, name);
    for (const [, spec] of text.matchAll(/^(?:import|export|\}).* from ['"]([^'"]+)['"]/gm)) {
      assert.ok(spec?.startsWith('./') || spec === 'ipaddr.js', `${name} imports ${spec}`);
    }
  }
});
