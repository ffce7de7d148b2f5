// The one reading of a request path the gateway has: rules are matched against it and the upstream is
// sent exactly it. Pure: no I/O, no configuration.
//
// The path is brought to one canonical form (RFC 3986 §6.2.2, plus duplicate slashes), and whatever
// two servers could read two ways is refused rather than guessed (docs/gateway.md, "Paths").

/** Why a path is refused; each answers 400 with this as `details.reason`. */
export type PathRefusal =
  /** Not `/…`: absolute-form (`http://host/…`) or asterisk-form (`*`) request targets. */
  | 'NOT_ORIGIN_FORM'
  /** `%2F`: one server splits on it, another does not. */
  | 'ENCODED_SLASH'
  /** `%5C`: Windows-minded servers read it as a separator. */
  | 'ENCODED_BACKSLASH'
  /** A raw `\`: WHATWG URL parsers (and so many proxies and frameworks) turn it into `/`. */
  | 'BACKSLASH'
  /** A segment that is `.` or `..` only once `%2E` is decoded. */
  | 'ENCODED_DOT_SEGMENT'
  /**
   * A segment some server reads as a dot segment: starting with `..` or `.;` (servlet containers read
   * `..;x` as `..`), or ending with `..`.
   */
  | 'DOT_SEGMENT_LOOKALIKE'
  /** A control character, raw or encoded (`%00`–`%1F`, `%7F`). */
  | 'CONTROL_CHARACTER'
  /** A raw `#`: a fragment has no place in a request, and parsers cut the path there. */
  | 'FRAGMENT'
  /** A raw character outside ASCII (RFC 9112 request targets are ASCII: percent-encode it). */
  | 'NON_ASCII'
  /** `%` not followed by two hexadecimal digits. */
  | 'INVALID_PERCENT_ENCODING'
  /** Percent-encoded bytes that are not UTF-8 (servers would decode them differently). */
  | 'INVALID_UTF8';

export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: PathRefusal; message: string };

export interface NormalizedTarget {
  /** The canonical path: what rules match and what the upstream receives. */
  path: string;
  /** The query as the client sent it, without `?` (null when there was no `?`). Never matched. */
  query: string | null;
}

const MESSAGES: Record<PathRefusal, string> = {
  NOT_ORIGIN_FORM: 'The request path must start with "/"',
  ENCODED_SLASH: 'The request path holds an encoded slash (%2F), which servers read differently',
  ENCODED_BACKSLASH: 'The request path holds an encoded backslash (%5C), which servers read differently',
  BACKSLASH: 'The request path holds a backslash, which servers read as "/" or not',
  ENCODED_DOT_SEGMENT:
    'The request path holds a segment that is "." or ".." once %2E is decoded; write it plainly',
  DOT_SEGMENT_LOOKALIKE:
    'The request path holds a segment starting with ".." or ".;", or ending with "..", which some servers read as a dot segment',
  CONTROL_CHARACTER: 'The request path holds a control character',
  FRAGMENT: 'The request path holds a "#"',
  NON_ASCII: 'The request path holds a character outside ASCII; percent-encode it',
  INVALID_PERCENT_ENCODING: 'The request path holds a "%" not followed by two hexadecimal digits',
  INVALID_UTF8: 'The request path holds percent-encoded bytes that are not UTF-8',
};

const refuse = (reason: PathRefusal): NormalizedPath => ({ ok: false, reason, message: MESSAGES[reason] });

const HEX = '0123456789ABCDEF';

/** A byte as `%XX`, upper case. */
const encode = (byte: number) => `%${HEX[byte >> 4]}${HEX[byte & 15]}`;

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 70) return code - 55; // A-F
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

/** ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3). */
function isUnreserved(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === 45 || // -
    code === 46 || // .
    code === 95 || // _
    code === 126 // ~
  );
}

/** What a segment may hold as written besides unreserved: sub-delims, ":" and "@" (RFC 3986 §3.3). */
const RAW_PCHAR = new Set("!$&'()*+,;=:@".split('').map((c) => c.charCodeAt(0)));

/** A segment of unreserved characters, sub-delims, ":" and "@" only: canonical as it is. */
const PLAIN_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/;
/** The same characters, and slashes. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

const SLASH = 47;
const PERCENT = 37;
const DOT = 46;

/**
 * One segment (between raw slashes) in canonical form: unreserved characters decoded, every other
 * byte that is not a raw pchar percent-encoded in upper case.
 */
function normalizeSegment(raw: string): { segment: string; encodedDot: boolean } | PathRefusal {
  // Most segments are already canonical: nothing to decode or encode.
  if (PLAIN_SEGMENT.test(raw)) return { segment: raw, encodedDot: false };
  let out = '';
  let encodedDot = false;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === PERCENT) {
      // Past the end, charCodeAt gives NaN, which is no hex digit.
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high < 0 || low < 0) return 'INVALID_PERCENT_ENCODING';
      const byte = high * 16 + low;
      i += 2;
      if (byte === SLASH) return 'ENCODED_SLASH';
      if (byte === 92) return 'ENCODED_BACKSLASH';
      if (byte < 32 || byte === 127) return 'CONTROL_CHARACTER';
      if (isUnreserved(byte)) {
        if (byte === DOT) encodedDot = true;
        out += String.fromCharCode(byte);
      } else out += encode(byte);
      continue;
    }
    if (code < 32 || code === 127) return 'CONTROL_CHARACTER';
    if (code > 127) return 'NON_ASCII';
    if (code === 92) return 'BACKSLASH';
    if (code === 35) return 'FRAGMENT';
    if (isUnreserved(code) || RAW_PCHAR.has(code)) out += raw[i];
    // The rest of printable ASCII (space " < > [ ] ^ ` { | }) is not allowed raw in a path; the
    // canonical form encodes it, as a URL parser would (so no parser changes what is forwarded).
    else out += encode(code);
  }
  if (out.includes('%')) {
    try {
      decodeURIComponent(out);
    } catch {
      return 'INVALID_UTF8';
    }
  }
  return { segment: out, encodedDot };
}

/**
 * The canonical form of a request path (without its query), or why it is refused.
 *
 * - unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded (`%61` → `a`), every other
 *   percent-encoding is upper-cased (`%c3%a9` → `%C3%A9`), characters a path may not hold raw are
 *   encoded (`{` → `%7B`);
 * - duplicate slashes are collapsed (`//a//b` → `/a/b`), then dot segments are resolved as RFC 3986
 *   §5.2.4 does (`/a/./b/../c` → `/a/c`, `/../a` → `/a`); a trailing slash is kept;
 * - refused: `%2F`, `%5C`, a raw `\`, a segment that is `.` or `..` only once `%2E` is decoded, a
 *   segment starting with `..` or `.;` or ending with `..` (`..;`, which servlet containers resolve),
 *   control characters raw or encoded, a raw `#` or non-ASCII character, a `%` without two hex
 *   digits, encoded bytes that are not UTF-8, and anything not starting with `/`.
 *
 * The result is a fixed point (normalizing it again changes nothing) and is left as it is by the
 * WHATWG URL parser, so a proxy library that builds a URL from it forwards exactly it.
 */
export function normalizePath(raw: string): NormalizedPath {
  if (raw.charCodeAt(0) !== SLASH) return refuse('NOT_ORIGIN_FORM');
  // Most paths are already canonical: plain characters, no empty segment, nothing that starts with a dot
  // and no "..".
  if (PLAIN_PATH.test(raw) && !raw.includes('//') && !raw.includes('/.') && !raw.includes('..')) {
    return { ok: true, path: raw };
  }
  const parts = raw.split('/');
  const stack: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < parts.length; i++) {
    const last = i === parts.length - 1;
    const part = parts[i] ?? '';
    if (part === '') {
      // An empty segment: a duplicate slash, or the trailing one.
      if (last) trailingSlash = true;
      continue;
    }
    const result = normalizeSegment(part);
    if (typeof result === 'string') return refuse(result);
    const { segment, encodedDot } = result;
    if (segment === '.' || segment === '..') {
      if (encodedDot) return refuse('ENCODED_DOT_SEGMENT');
      if (segment === '..') stack.pop();
      // "/a/." and "/a/b/.." name a directory: the result ends in "/".
      trailingSlash = last;
      continue;
    }
    if (segment.startsWith('..') || segment.startsWith('.;') || segment.endsWith('..')) {
      return refuse('DOT_SEGMENT_LOOKALIKE');
    }
    stack.push(segment);
    trailingSlash = false;
  }
  if (stack.length === 0) return { ok: true, path: '/' };
  return { ok: true, path: `/${stack.join('/')}${trailingSlash ? '/' : ''}` };
}

/**
 * A request target (`/path?query`) split at the first `?`: the path normalized, the query kept
 * exactly as sent.
 */
export function normalizeTarget(
  url: string,
): ({ ok: true } & NormalizedTarget) | { ok: false; reason: PathRefusal; message: string } {
  const q = url.indexOf('?');
  const result = normalizePath(q === -1 ? url : url.slice(0, q));
  if (!result.ok) return result;
  return { ok: true, path: result.path, query: q === -1 ? null : url.slice(q + 1) };
}
