import { randomBytes } from 'node:crypto';

export type IdPrefix = 'usr' | 'org' | 'rol' | 'res' | 'tok' | 'evt' | 'inv' | 'lnk' | 'rvl';

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
let lastTime = 0;
let sequence = 0;

function base62(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = alphabet[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/**
 * A prefixed id that sorts by creation time: 8 base62 digits of milliseconds, a per-millisecond
 * sequence, then 10 random characters. Sorting ids sorts records by creation without a date index.
 */
export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  if (now === lastTime) sequence++;
  else {
    lastTime = now;
    sequence = 0;
  }
  const random = randomBytes(10);
  let tail = '';
  for (const byte of random) tail += alphabet[byte % 62];
  return `${prefix}_${base62(now, 8)}${base62(sequence % 238_328, 3)}${tail}`;
}
