// The token format (SPEC §2 "Format", §5): `<prefix>_<30 base62 chars><6 base62 chars of their CRC-32>`.
// Pure functions without I/O or Node built-ins, so the server, the SDK, the CLI and the console share them.

/**
 * The base62 alphabet of token values and checksums: `0-9A-Za-z`.
 *
 * @example
 * TOKEN_ALPHABET[61]; // 'z'
 */
export const TOKEN_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/**
 * Random characters of a value, after `<prefix>_`.
 *
 * @example
 * const random = value.slice(prefix.length + 1, prefix.length + 1 + TOKEN_RANDOM_LENGTH);
 */
export const TOKEN_RANDOM_LENGTH = 30;
/**
 * Checksum characters, after the random part.
 *
 * @example
 * const checksum = value.slice(-TOKEN_CHECKSUM_LENGTH);
 */
export const TOKEN_CHECKSUM_LENGTH = 6;
/**
 * A deployment's token prefix: 2–10 characters of `[a-z0-9]`, starting with a letter (default `lk`).
 *
 * @example
 * TOKEN_PREFIX_PATTERN.test('lk'); // true
 */
export const TOKEN_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,9}$/;

const BODY_LENGTH = TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH;

/** Is this char code one of 0-9A-Za-z? A table keeps the check allocation-free on the verify hot path. */
const isBase62 = new Uint8Array(128);
for (let i = 0; i < TOKEN_ALPHABET.length; i++) isBase62[TOKEN_ALPHABET.charCodeAt(i)] = 1;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the one zlib computes. */
const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}

const encoder = new TextEncoder();

/**
 * CRC-32 (IEEE) of bytes, or of a string's UTF-8 encoding: the same number as Node's
 * `zlib.crc32()`, in plain JavaScript so that it runs in a browser too.
 *
 * @example
 * crc32('hello'); // 907060870
 */
export function crc32(data: string | Uint8Array): number {
  let crc = 0xffffffff;
  if (typeof data === 'string') {
    for (let i = 0; i < data.length; i++) {
      const code = data.charCodeAt(i);
      // Token characters are ASCII; anything else is hashed as its UTF-8 bytes, as zlib does.
      if (code >= 0x80) return crc32(encoder.encode(data));
      crc = (CRC_TABLE[(crc ^ code) & 0xff] as number) ^ (crc >>> 8);
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      crc = (CRC_TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The 6-character checksum of a value's random part: its CRC-32 in base62 (`0-9A-Za-z`), most
 * significant digit first, zero-padded (SPEC §5).
 *
 * @example
 * const value = `lk_${random}${tokenChecksum(random)}`;
 */
export function tokenChecksum(random: string): string {
  let value = crc32(random);
  let out = '';
  for (let i = 0; i < TOKEN_CHECKSUM_LENGTH; i++) {
    out = TOKEN_ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * Whether a string has the shape of a Latchkey token and its checksum matches:
 * `<prefix>_<30 base62 chars><6 base62 chars of the CRC-32 of those 30>`. A mistyped or truncated
 * token is rejected without a round-trip (the server answers it without touching its database).
 * Pass `prefix` to also require a deployment's prefix; without it any valid prefix is accepted.
 *
 * @example
 * if (!isWellFormedToken(value)) throw new Error('that is not a Latchkey token');
 * isWellFormedToken(value, 'lk'); // also requires the `lk_` prefix
 */
export function isWellFormedToken(value: string, prefix?: string): boolean {
  if (typeof value !== 'string') return false;
  let start: number;
  if (prefix === undefined) {
    start = value.length - BODY_LENGTH;
    if (start < 3 || start > 11 || value.charCodeAt(start - 1) !== 95 /* _ */) return false;
    if (!TOKEN_PREFIX_PATTERN.test(value.slice(0, start - 1))) return false;
  } else {
    start = prefix.length + 1;
    if (value.length !== start + BODY_LENGTH) return false;
    if (!value.startsWith(prefix) || value.charCodeAt(prefix.length) !== 95 /* _ */) return false;
  }
  for (let i = start; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || isBase62[code] === 0) return false;
  }
  const random = value.slice(start, start + TOKEN_RANDOM_LENGTH);
  return tokenChecksum(random) === value.slice(start + TOKEN_RANDOM_LENGTH);
}

/**
 * A token's display hint, safe to log and to list: its prefix and its last four characters
 * (`lk_…9fQa`, SPEC §2 "Storage"). A value without a recognisable prefix gets `…` and its last four;
 * one shorter than 8 characters (not a token; perhaps a secret of another kind) gets `…` alone.
 *
 * @example
 * tokenHint('lk_3XqZ…9fQa'); // 'lk_…9fQa'
 */
export function tokenHint(value: string): string {
  if (value.length < 8) return '…';
  const underscore = value.indexOf('_');
  const prefix =
    underscore > 0 && TOKEN_PREFIX_PATTERN.test(value.slice(0, underscore))
      ? value.slice(0, underscore + 1)
      : '';
  return `${prefix}…${value.slice(-4)}`;
}
