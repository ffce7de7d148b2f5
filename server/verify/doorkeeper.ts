/**
 * Which tokens earn a place in the verifier's front map: those verified twice within a while (the
 * "doorkeeper" of TinyLFU). A token verified once, as in a sweep over many tokens, is answered from the
 * compact store and left there; before it, each such token took a ~1 KB object into the front map, which
 * lived the few seconds until 20,000 newer ones pushed it out: long enough for the garbage collector to
 * move it to the old generation, where a cold load of a million tokens piled up a hundred MB of garbage
 * between collections (issue 13: RSS during the cold benchmark).
 *
 * A bit per hash of the key (collisions only admit a token early), cleared when an eighth of the bits
 * were set, so "within a while" is the last ~130,000 first sightings.
 */
export class Doorkeeper {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private sightings = 0;

  /** `size` bits, a power of two. */
  constructor(private readonly size = 1 << 20) {
    this.bits = new Uint32Array(size >>> 5);
    this.mask = size - 1;
  }

  /**
   * Whether `key` was seen since the last clearing; if not, it is noted. `key` is a digest (its first
   * three characters are already uniformly random): the verifier's 16-byte SHA-256 prefix.
   */
  seenBefore(key: string): boolean {
    const at = (key.charCodeAt(0) | (key.charCodeAt(1) << 8) | (key.charCodeAt(2) << 16)) & this.mask;
    const word = at >>> 5;
    const bit = 1 << (at & 31);
    if (((this.bits[word] as number) & bit) !== 0) return true;
    this.bits[word] = (this.bits[word] as number) | bit;
    if (++this.sightings >= this.size >>> 3) this.clear();
    return false;
  }

  clear(): void {
    this.bits.fill(0);
    this.sightings = 0;
  }
}
