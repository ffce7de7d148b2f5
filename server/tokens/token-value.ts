import { createHmac, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH;

/** Is this char code one of 0-9A-Za-z? A lookup table keeps the check branch-free and allocation-free. */
const isBase62 = new Uint8Array(128);
for (let i = 0; i < alphabet.length; i++) isBase62[alphabet.charCodeAt(i)] = 1;

function checksum(random: string): string {
  let value = crc32(random);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = alphabet[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * A new token value: `<prefix>_<30 base62 random chars><6 base62 chars of CRC-32>`.
 * 30 base62 characters carry 178 bits; rejection sampling keeps every character uniform.
 */
export function generateTokenValue(prefix: string): string {
  let random = '';
  while (random.length < RANDOM_LENGTH) {
    for (const byte of randomBytes(48)) {
      // 248 = 4 * 62: bytes at or above it would bias the first characters of the alphabet.
      if (byte < 248 && random.length < RANDOM_LENGTH) random += alphabet[byte % 62];
    }
  }
  return `${prefix}_${random}${checksum(random)}`;
}

/** Checks shape and checksum without any I/O, so mistyped or truncated values never reach the database. */
export function isWellFormedToken(value: string, prefix: string): boolean {
  if (value.length !== prefix.length + 1 + BODY_LENGTH) return false;
  if (!value.startsWith(prefix) || value.charCodeAt(prefix.length) !== 95 /* _ */) return false;
  const start = prefix.length + 1;
  for (let i = start; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || isBase62[code] === 0) return false;
  }
  const random = value.slice(start, start + RANDOM_LENGTH);
  return checksum(random) === value.slice(start + RANDOM_LENGTH);
}

/** What lists show instead of the value: the prefix and the last four characters. */
export function tokenHint(value: string, prefix: string): string {
  return `${prefix}_…${value.slice(-4)}`;
}

/** HMAC-SHA-256 under the server secret: the only form in which a token value is stored. */
export function hashSecret(secret: Buffer, value: string): string {
  return createHmac('sha256', secret).update(value).digest('base64url');
}
