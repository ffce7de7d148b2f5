/**
 * Every verified (or scanned) token of the process in typed arrays, keyed by its value's stored hash: 74
 * bytes a slot, about 100 bytes a token at the table's load, outside the JavaScript heap, so a million fit
 * in the memory budget (issue 13). The table grows with its entries (doubling) up to the capacity. The
 * verifier keeps its hot entries as objects in a front map keyed by a digest of the value (no HMAC on a
 * hit); this store answers what misses there with one HMAC and no database read, and is what the
 * start-up scan fills.
 *
 * An open-addressing table with linear probing and backward-shift deletion (no tombstones). The key is
 * 120 bits read off the HMAC (uniformly random, and not choosable without the server's secret); the
 * strings a token refers to (org, owner) and its shared grant are interned in arrays and stored by index.
 * Full, it drops entries in slot order (a sweeping hand), which for random hashes is a random choice.
 */
import { hashWord } from './membership-filter.ts';

/** What the store keeps of a token, and gives back. `G` is the verifier's shared grant. */
export interface StoredToken<G> {
  readonly id: string;
  readonly orgId: string;
  readonly ownerId: string | null;
  readonly grant: G;
  readonly revoked: boolean;
  readonly endsGraceOnUse: boolean;
  readonly expiresAt: number | null;
  readonly valueNotAfter: number | null;
  readonly valueRetiredAt: number | null;
  readonly generation: number;
  readonly cachedUntil: number;
}

/** Token ids are `tok_` and 21 base62 characters (server/ids.ts); any other id is not stored. */
const ID_SHAPE = /^tok_[0-9A-Za-z]{21}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62.length; i++) DIGIT[BASE62.charCodeAt(i)] = i;
/** The 21 characters as 6-bit digits: five per 32-bit word in four words, the last in a byte. */
const ID_WORDS = 4;
const LOAD = 0.75;
const FIRST_SLOTS = 16_384;
const OCCUPIED = 1;
const REVOKED = 2;
const ENDS_GRACE = 4;

/** Interns values in an array, by index (0 stands for null). */
class Interned<T> {
  private readonly values: (T | null)[] = [null];
  private readonly index = new Map<T, number>();
  indexOf(value: T | null): number {
    if (value === null) return 0;
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
  at(i: number): T | null {
    return this.values[i] ?? null;
  }
  get size(): number {
    return this.values.length - 1;
  }
}

interface Table {
  readonly slots: number;
  readonly keys: Uint32Array;
  readonly ids: Uint32Array;
  readonly idLast: Uint8Array;
  readonly flags: Uint8Array;
  readonly org: Uint32Array;
  readonly owner: Uint32Array;
  readonly grant: Uint32Array;
  readonly times: Float64Array;
  readonly generation: Float64Array;
  readonly cachedUntil: Int32Array;
}

export class TokenStore<G> {
  private table: Table | undefined;
  private count = 0;
  private hand = 0;
  private orgs = new Interned<string>();
  private owners = new Interned<string>();
  private grants = new Interned<G>();

  /** Slots at full capacity. */
  private readonly maxSlots: number;

  constructor(readonly capacity: number) {
    this.maxSlots = Math.max(16, Math.ceil(capacity / LOAD));
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of the typed arrays (allocated on first use, for the whole capacity). */
  get bytes(): number {
    const t = this.table;
    if (t === undefined) return 0;
    return [
      t.keys,
      t.ids,
      t.idLast,
      t.flags,
      t.org,
      t.owner,
      t.grant,
      t.times,
      t.generation,
      t.cachedUntil,
    ].reduce((sum, a) => sum + a.byteLength, 0);
  }

  private allocate(slots: number): Table {
    this.table = {
      slots,
      keys: new Uint32Array(slots * 4),
      ids: new Uint32Array(slots * ID_WORDS),
      idLast: new Uint8Array(slots),
      flags: new Uint8Array(slots),
      org: new Uint32Array(slots),
      owner: new Uint32Array(slots),
      grant: new Uint32Array(slots),
      // expiresAt, valueNotAfter; NaN for null.
      times: new Float64Array(slots * 2),
      generation: new Float64Array(slots),
      cachedUntil: new Int32Array(slots),
    };
    return this.table;
  }

  /** The slot holding this hash, or -1. */
  private find(t: Table, k0: number, k1: number, k2: number, k3: number): number {
    let i = k0 % t.slots;
    while ((t.flags[i] as number) & OCCUPIED) {
      const at = i * 4;
      if (t.keys[at] === k0 && t.keys[at + 1] === k1 && t.keys[at + 2] === k2 && t.keys[at + 3] === k3) {
        return i;
      }
      i = i + 1 === t.slots ? 0 : i + 1;
    }
    return -1;
  }

  get(hash: string): StoredToken<G> | undefined {
    const t = this.table;
    if (t === undefined || hash.length < 20) return undefined;
    const i = this.find(t, hashWord(hash, 0), hashWord(hash, 5), hashWord(hash, 10), hashWord(hash, 15));
    if (i < 0) return undefined;
    const flags = t.flags[i] as number;
    const time = (n: number) => {
      const v = t.times[i * 2 + n] as number;
      return Number.isNaN(v) ? null : v;
    };
    return {
      id: idAt(t, i),
      orgId: this.orgs.at(t.org[i] as number) as string,
      ownerId: this.owners.at(t.owner[i] as number),
      grant: this.grants.at(t.grant[i] as number) as G,
      revoked: (flags & REVOKED) !== 0,
      endsGraceOnUse: (flags & ENDS_GRACE) !== 0,
      expiresAt: time(0),
      valueNotAfter: time(1),
      valueRetiredAt: null,
      generation: t.generation[i] as number,
      cachedUntil: t.cachedUntil[i] as number,
    };
  }

  /**
   * Keeps (or replaces) the token stored under this hash; false if it is not kept: an id of another shape,
   * or a value retired by its successor's first use (rare, and read when presented: its reuse is audited).
   */
  set(hash: string, token: StoredToken<G>): boolean {
    if (this.capacity <= 0 || hash.length < 20 || token.valueRetiredAt !== null || !ID_SHAPE.test(token.id))
      return false;
    let t = this.table ?? this.allocate(Math.min(this.maxSlots, FIRST_SLOTS));
    const k0 = hashWord(hash, 0);
    const k1 = hashWord(hash, 5);
    const k2 = hashWord(hash, 10);
    const k3 = hashWord(hash, 15);
    let i = this.find(t, k0, k1, k2, k3);
    if (i < 0) {
      if (this.count >= this.capacity) this.evictOne(t);
      else if (this.count + 1 > t.slots * LOAD && t.slots < this.maxSlots) t = this.grow(t);
      i = k0 % t.slots;
      while ((t.flags[i] as number) & OCCUPIED) i = i + 1 === t.slots ? 0 : i + 1;
      this.count++;
      const at = i * 4;
      t.keys[at] = k0;
      t.keys[at + 1] = k1;
      t.keys[at + 2] = k2;
      t.keys[at + 3] = k3;
    }
    for (let w = 0; w < ID_WORDS; w++) {
      let word = 0;
      for (let c = 0; c < 5; c++) word = word * 64 + (DIGIT[token.id.charCodeAt(4 + w * 5 + c)] as number);
      t.ids[i * ID_WORDS + w] = word;
    }
    t.idLast[i] = DIGIT[token.id.charCodeAt(24)] as number;
    t.flags[i] = OCCUPIED | (token.revoked ? REVOKED : 0) | (token.endsGraceOnUse ? ENDS_GRACE : 0);
    t.org[i] = this.orgs.indexOf(token.orgId);
    t.owner[i] = this.owners.indexOf(token.ownerId);
    t.grant[i] = this.grants.indexOf(token.grant);
    t.times[i * 2] = token.expiresAt ?? Number.NaN;
    t.times[i * 2 + 1] = token.valueNotAfter ?? Number.NaN;
    t.generation[i] = token.generation;
    t.cachedUntil[i] = token.cachedUntil;
    return true;
  }

  /**
   * Makes room for `entries` (at most the capacity) at once, so that filling the store does not grow it
   * step by step (each step leaves the smaller arrays to the garbage collector).
   */
  reserve(entries: number): void {
    const slots = Math.min(this.maxSlots, Math.max(FIRST_SLOTS, Math.ceil(entries / LOAD) + 1));
    const t = this.table;
    if (t === undefined) this.allocate(slots);
    else if (slots > t.slots) this.grow(t, slots);
  }

  /** A table twice the size (at most the capacity's), every entry moved to its new place. */
  private grow(old: Table, slots = Math.min(this.maxSlots, old.slots * 2)): Table {
    const t = this.allocate(slots);
    for (let from = 0; from < old.slots; from++) {
      if (!((old.flags[from] as number) & OCCUPIED)) continue;
      let to = (old.keys[from * 4] as number) % t.slots;
      while ((t.flags[to] as number) & OCCUPIED) to = to + 1 === t.slots ? 0 : to + 1;
      copySlot(old, from, t, to);
    }
    this.hand = 0;
    return t;
  }

  delete(hash: string): void {
    const t = this.table;
    if (t === undefined || hash.length < 20) return;
    const i = this.find(t, hashWord(hash, 0), hashWord(hash, 5), hashWord(hash, 10), hashWord(hash, 15));
    if (i >= 0) this.removeAt(t, i);
  }

  private evictOne(t: Table): void {
    while (!((t.flags[this.hand] as number) & OCCUPIED)) this.hand = (this.hand + 1) % t.slots;
    this.removeAt(t, this.hand);
  }

  /** Empties slot i and moves later entries of its probe run back, so lookups never need tombstones. */
  private removeAt(t: Table, start: number): void {
    let hole = start;
    let j = start;
    for (;;) {
      j = j + 1 === t.slots ? 0 : j + 1;
      if (!((t.flags[j] as number) & OCCUPIED)) break;
      const home = (t.keys[j * 4] as number) % t.slots;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (inRange) continue;
      copySlot(t, j, t, hole);
      hole = j;
    }
    t.flags[hole] = 0;
    this.count--;
  }

  clear(): void {
    // The arrays go: a cleared store grows again from its first size.
    this.table = undefined;
    this.count = 0;
    this.hand = 0;
    this.orgs = new Interned();
    this.owners = new Interned();
    this.grants = new Interned();
  }
}

function idAt(t: Table, i: number): string {
  let id = 'tok_';
  for (let w = 0; w < ID_WORDS; w++) {
    const word = t.ids[i * ID_WORDS + w] as number;
    for (let c = 4; c >= 0; c--) id += BASE62[Math.floor(word / 64 ** c) % 64];
  }
  return id + BASE62[t.idLast[i] as number];
}

function copySlot(a: Table, from: number, b: Table, to: number): void {
  b.keys.set(a.keys.subarray(from * 4, from * 4 + 4), to * 4);
  b.ids.set(a.ids.subarray(from * ID_WORDS, (from + 1) * ID_WORDS), to * ID_WORDS);
  b.idLast[to] = a.idLast[from] as number;
  b.flags[to] = a.flags[from] as number;
  b.org[to] = a.org[from] as number;
  b.owner[to] = a.owner[from] as number;
  b.grant[to] = a.grant[from] as number;
  b.times.set(a.times.subarray(from * 2, from * 2 + 2), to * 2);
  b.generation[to] = a.generation[from] as number;
  b.cachedUntil[to] = a.cachedUntil[from] as number;
}
