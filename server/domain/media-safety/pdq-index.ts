/**
 * Finds every PDQ hash within a Hamming distance of a query without comparing against all of them:
 * multi-index hashing. The 256 bits are cut into 16 chunks of 16 bits, each chunk indexing the
 * entries by its value. Two hashes within distance d differ by at most ⌊d/16⌋ bits in at least one
 * chunk (pigeonhole), so probing, in every chunk, the buckets whose key is within that radius of the
 * query's chunk finds every match; each candidate is then checked on the full 256 bits. At the usual
 * threshold (31) that is 16 × 17 bucket probes whatever the size, and a few candidates per probe.
 *
 * 16-bit chunks are the balance at 10⁵ hashes: 32-bit chunks need radius 3 (about 5,500 probes per
 * chunk), 8-bit chunks leave hundreds of candidates in each bucket. A BK-tree is no help at a
 * distance of 31 in 256 bits: random hashes lie 128 ± 8 bits apart, so its triangle-inequality
 * pruning keeps nearly every branch (about nine in ten of 10⁵ nodes compared per query).
 */
import { isPdqHex, popcount32 } from "./pdq.js";

const CHUNKS = 16;
const CHUNK_BITS = 16;
const WORDS = 8;

export interface PdqMatch<T> {
  value: T;
  distance: number;
}

/** The eight 32-bit words of a hash, first hex digits first. */
function wordsOf(hex: string): number[] {
  const w: number[] = [];
  for (let i = 0; i < 64; i += 8) w.push(Number.parseInt(hex.slice(i, i + 8), 16));
  return w;
}

/** Chunk c of a hash held as words: the high half of word c/2 for even c, the low half for odd. */
function chunkOf(words: ArrayLike<number>, base: number, c: number): number {
  const w = words[base + (c >> 1)] as number;
  return c & 1 ? w & 0xffff : w >>> 16;
}

function requireHex(hex: string): void {
  if (!isPdqHex(hex)) throw new RangeError("a PDQ hash is 64 lowercase hex digits");
}

/** Every 16-bit mask with at most `radius` bits set, fewest first. */
function masksWithin(radius: number): Uint16Array {
  const out: number[] = [];
  for (let m = 0; m < 1 << CHUNK_BITS; m++) if (popcount32(m) <= radius) out.push(m);
  out.sort((a, b) => popcount32(a) - popcount32(b) || a - b);
  return Uint16Array.from(out);
}

/**
 * A set of (hash, value) pairs searchable by Hamming distance. Adding a pair already present does
 * nothing; one hash may carry several values (the same file banned twice, on two lists). Values are
 * compared with `Object.is`.
 */
export class PdqIndex<T> {
  /** Hash words of each slot, eight per slot. */
  #words = new Uint32Array(WORDS * 64);
  #values: Array<T | undefined> = [];
  #hexes: Array<string | undefined> = [];
  #freeSlots: number[] = [];
  #slotsByHex = new Map<string, number[]>();
  /**
   * Buckets as linked lists in typed arrays, so 10⁵ hashes cost no objects for the collector: the
   * first slot of bucket (chunk c, key k) is `#heads[c·2¹⁶ + k]`, the next after slot s is
   * `#next[s·16 + c]`, and -1 ends a list.
   */
  #heads = new Int32Array(CHUNKS << CHUNK_BITS).fill(-1);
  #next = new Int32Array(CHUNKS * 64);
  #size = 0;
  /** Per-slot mark of the last query that looked at it, so a slot found in two chunks is checked once. */
  #seen = new Uint32Array(64);
  #query = 0;
  #masks = new Map<number, Uint16Array>();
  #compared = 0;

  get size(): number {
    return this.#size;
  }

  /** How many entries the last `within` compared on all 256 bits: what keeps it from being a scan. */
  get lastCompared(): number {
    return this.#compared;
  }

  add(hex: string, value: T): void {
    requireHex(hex);
    const slots = this.#slotsByHex.get(hex);
    if (slots?.some((s) => Object.is(this.#values[s], value))) return;
    const slot = this.#freeSlots.pop() ?? this.#values.length;
    if (slot === this.#values.length) {
      this.#values.push(value);
      this.#hexes.push(hex);
      this.#grow(slot + 1);
    } else {
      this.#values[slot] = value;
      this.#hexes[slot] = hex;
    }
    const words = wordsOf(hex);
    this.#words.set(words, slot * WORDS);
    for (let c = 0; c < CHUNKS; c++) {
      const head = (c << CHUNK_BITS) | chunkOf(words, 0, c);
      this.#next[slot * CHUNKS + c] = this.#heads[head] as number;
      this.#heads[head] = slot;
    }
    if (slots) slots.push(slot);
    else this.#slotsByHex.set(hex, [slot]);
    this.#size++;
  }

  remove(hex: string, value: T): void {
    requireHex(hex);
    const slots = this.#slotsByHex.get(hex);
    const at = slots?.findIndex((s) => Object.is(this.#values[s], value)) ?? -1;
    if (!slots || at < 0) return;
    const slot = slots[at]!;
    slots.splice(at, 1);
    if (slots.length === 0) this.#slotsByHex.delete(hex);
    for (let c = 0; c < CHUNKS; c++) {
      const head = (c << CHUNK_BITS) | chunkOf(this.#words, slot * WORDS, c);
      const after = this.#next[slot * CHUNKS + c] as number;
      let at = this.#heads[head] as number;
      if (at === slot) {
        this.#heads[head] = after;
        continue;
      }
      while (this.#next[at * CHUNKS + c] !== slot) at = this.#next[at * CHUNKS + c] as number;
      this.#next[at * CHUNKS + c] = after;
    }
    this.#values[slot] = undefined;
    this.#hexes[slot] = undefined;
    this.#freeSlots.push(slot);
    this.#size--;
  }

  /** Every entry within `maxDistance` bits (inclusive), nearest first. */
  within(hex: string, maxDistance: number): Array<PdqMatch<T>> {
    requireHex(hex);
    if (!Number.isInteger(maxDistance)) throw new RangeError("maxDistance must be an integer");
    if (maxDistance < 0 || this.#size === 0) return [];
    const q = wordsOf(hex);
    const found: Array<PdqMatch<T>> = [];
    this.#compared = 0;
    const check = (slot: number) => {
      this.#compared++;
      const base = slot * WORDS;
      let d = 0;
      for (let w = 0; w < WORDS && d <= maxDistance; w++)
        d += popcount32(((this.#words[base + w] as number) ^ (q[w] as number)) >>> 0);
      if (d <= maxDistance) found.push({ value: this.#values[slot] as T, distance: d });
    };
    const radius = Math.floor(maxDistance / CHUNKS);
    const masks = radius < 4 ? this.#masksWithin(radius) : null;
    // Probing costs at least one map lookup per mask and chunk; past the size of the set a scan is cheaper.
    if (masks === null || masks.length * CHUNKS >= this.#size) {
      for (let slot = 0; slot < this.#values.length; slot++) if (this.#hexes[slot] !== undefined) check(slot);
    } else {
      const mark = this.#nextQuery();
      const heads = this.#heads;
      const next = this.#next;
      const seen = this.#seen;
      for (let c = 0; c < CHUNKS; c++) {
        const key = chunkOf(q, 0, c);
        for (let i = 0; i < masks.length; i++) {
          for (let slot = heads[(c << CHUNK_BITS) | (key ^ (masks[i] as number))] as number; slot >= 0; ) {
            if (seen[slot] !== mark) {
              seen[slot] = mark;
              check(slot);
            }
            slot = next[slot * CHUNKS + c] as number;
          }
        }
      }
    }
    return found.sort((a, b) => a.distance - b.distance);
  }

  #masksWithin(radius: number): Uint16Array {
    let masks = this.#masks.get(radius);
    if (!masks) {
      masks = masksWithin(radius);
      this.#masks.set(radius, masks);
    }
    return masks;
  }

  #nextQuery(): number {
    if (this.#query === 0xffffffff) {
      this.#seen.fill(0);
      this.#query = 0;
    }
    return ++this.#query;
  }

  #grow(slots: number): void {
    if (slots * WORDS <= this.#words.length) return;
    const words = new Uint32Array(this.#words.length * 2);
    words.set(this.#words);
    this.#words = words;
    const seen = new Uint32Array(this.#seen.length * 2);
    seen.set(this.#seen);
    this.#seen = seen;
    const next = new Int32Array(this.#next.length * 2);
    next.set(this.#next);
    this.#next = next;
  }
}
