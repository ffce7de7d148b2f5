import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A well-formed token value (right shape and checksum) that no server has issued. */
export function fakeToken(prefix = 'lk'): string {
  const bytes = randomBytes(30);
  let random = '';
  for (const byte of bytes) random += ALPHABET[byte % 62];
  let checksum = '';
  let rest = crc32(random);
  while (rest > 0) {
    checksum = ALPHABET[rest % 62] + checksum;
    rest = Math.floor(rest / 62);
  }
  return `${prefix}_${random}${checksum.padStart(6, '0')}`;
}
