/**
 * A Bloom filter over the stored token hashes (HMAC-SHA-256, base64url): "this hash is certainly not
 * stored" or "it may be". Verification answers a value whose hash is not in it as NOT_FOUND without a
 * database read. It never forgets a hash it was given, so it has no false negatives as long as every
 * stored hash was added: it is built from a scan of the database and every issued value is added
 * (on PostgreSQL, also by the other processes through the notification relay).
 *
 * The hashes are already uniformly random, so the bit positions are read off the hash itself (double
 * hashing over two 30-bit words of it): no further hashing per lookup.
 */
const BASE64URL = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** Bits per expected entry and probes: 10 bits and 7 probes give about 0.8 % false positives. */
const BITS_PER_ENTRY = 10;
const PROBES = 7;

/** 30 bits of a base64url hash, read off its characters `start`…`start + 4` (no hashing). */
export function hashWord(hash: string, start: number): number {
  let value = 0;
  for (let i = start; i < start + 5; i++) {
    const code = hash.charCodeAt(i);
    const digit = code < 128 ? (BASE64URL[code] as number) : -1;
    // Not base64url (cannot be a stored hash): any deterministic value will do.
    value = value * 64 + (digit < 0 ? code & 63 : digit);
  }
  return value; // 30 bits
}

export class MembershipFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;
  /** Hashes added so far (with repeats): past the capacity the false-positive rate grows. */
  added = 0;

  constructor(readonly capacity: number) {
    this.size = Math.max(1024, Math.ceil(capacity * BITS_PER_ENTRY));
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  get bytes(): number {
    return this.bits.byteLength;
  }

  /** Whether more hashes went in than it was sized for (it stays correct, only less selective). */
  get full(): boolean {
    return this.added > this.capacity;
  }

  add(hash: string): void {
    const h1 = hashWord(hash, 0);
    const h2 = hashWord(hash, 5) | 1;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) % this.size;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
    this.added++;
  }

  /** False: the hash was certainly never added. True: it may have been. */
  mayContain(hash: string): boolean {
    if (hash.length < 10) return true;
    const h1 = hashWord(hash, 0);
    const h2 = hashWord(hash, 5) | 1;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) % this.size;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
