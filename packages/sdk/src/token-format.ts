import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TOKEN_SHAPE = /^([a-z][a-z0-9]{1,9})_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/;

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

/**
 * Whether a string has the shape of a Latchkey token and its checksum matches (SPEC §2, §5):
 * `<prefix>_<30 base62 chars><6 base62 chars of the CRC-32 of those 30>`. A mistyped or truncated
 * token is rejected here without a round-trip. Pass `prefix` to also require a deployment's prefix.
 *
 * @example
 * if (!isWellFormedToken(value)) throw new Error('that is not a Latchkey token');
 */
export function isWellFormedToken(value: string, prefix?: string): boolean {
  const match = TOKEN_SHAPE.exec(value);
  if (!match) return false;
  const [, foundPrefix, random, checksum] = match;
  if (prefix !== undefined && foundPrefix !== prefix) return false;
  return base62(crc32(random ?? ''), 6) === checksum;
}

/**
 * A token's display hint: its prefix and last four characters (`lk_…9fQa`), safe to log.
 *
 * @example
 * console.log(`using ${tokenHint(process.env.LATCHKEY_TOKEN ?? '')}`);
 */
export function tokenHint(value: string): string {
  const underscore = value.indexOf('_');
  const prefix = underscore > 0 && underscore <= 10 ? value.slice(0, underscore + 1) : '';
  return `${prefix}…${value.slice(-4)}`;
}
