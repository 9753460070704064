import { describe, expect, it } from "vitest";
import { hammingDistance } from "../../server/domain/media-safety/pdq.js";
import { PdqIndex, type PdqMatch } from "../../server/domain/media-safety/pdq-index.js";
import { seededRandom as random, randomHex } from "../support/seeded-random.js";

/** `hex` with `bits` distinct bits flipped, chosen by `rnd`. */
function flip(hex: string, bits: number, rnd: () => number): string {
  const digits = hex.split("").map((c) => Number.parseInt(c, 16));
  const chosen = new Set<number>();
  while (chosen.size < bits) chosen.add(Math.floor(rnd() * 256));
  for (const b of chosen) digits[b >> 2] = digits[b >> 2]! ^ (1 << (b & 3));
  return digits.map((d) => d.toString(16)).join("");
}

const ordered = <T>(matches: Array<PdqMatch<T>>) =>
  [...matches].sort((a, b) => a.distance - b.distance || String(a.value).localeCompare(String(b.value)));

describe("PdqIndex", () => {
  it("finds exactly what a full scan finds, at every radius, on seeded random hashes", () => {
    const rnd = random(42);
    const entries: Array<[string, number]> = [];
    const index = new PdqIndex<number>();
    const centres = Array.from({ length: 40 }, () => randomHex(rnd));
    // Clusters around a few centres, so that every distance band has members, plus unrelated hashes.
    for (let i = 0; i < 4000; i++) {
      const hex = i % 2 ? randomHex(rnd) : flip(centres[(i >> 1) % centres.length]!, Math.floor(rnd() * 48), rnd);
      entries.push([hex, i]);
      index.add(hex, i);
    }
    expect(index.size).toBe(4000);
    let nonEmpty = 0;
    for (const radius of [0, 1, 8, 15, 16, 31, 32, 47, 63, 64, 100, 256]) {
      for (let k = 0; k < 20; k++) {
        const query = k % 2 ? flip(centres[k]!, Math.floor(rnd() * 24), rnd) : randomHex(rnd);
        const expected = entries
          .map(([hex, value]) => ({ value, distance: hammingDistance(hex, query) }))
          .filter((m) => m.distance <= radius);
        const got = index.within(query, radius);
        expect(ordered(got)).toEqual(ordered(expected));
        for (let i = 1; i < got.length; i++) expect(got[i]!.distance).toBeGreaterThanOrEqual(got[i - 1]!.distance);
        if (got.length > 0) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(50);
  });

  it("finds a hash at distance 31 among 100,000 and not one at 32, comparing a few hundred of them", () => {
    const rnd = random(7);
    const index = new PdqIndex<string>();
    for (let i = 0; i < 100_000; i++) index.add(randomHex(rnd), `r${i}`);
    const banned = randomHex(rnd);
    index.add(banned, "banned");
    const near = flip(banned, 31, rnd);
    const far = flip(banned, 32, rnd);
    expect(index.within(near, 31)).toEqual([{ value: "banned", distance: 31 }]);
    // 16 chunks × 17 buckets of about 1.5 entries each: a few hundred comparisons, not 100,001.
    expect(index.lastCompared).toBeGreaterThan(0);
    expect(index.lastCompared).toBeLessThan(2_000);
    expect(index.within(far, 31)).toEqual([]);
    expect(index.lastCompared).toBeLessThan(2_000);
    expect(index.within(banned, 0)).toEqual([{ value: "banned", distance: 0 }]);
  });

  it("adds and removes pairs, keeps several values per hash, and ignores a pair added twice", () => {
    const rnd = random(3);
    const a = randomHex(rnd);
    const b = flip(a, 5, rnd);
    const index = new PdqIndex<string>();
    index.add(a, "list-1");
    index.add(a, "list-1");
    expect(index.size).toBe(1);
    index.add(a, "list-2");
    index.add(b, "list-1");
    expect(index.size).toBe(3);
    expect(index.within(a, 10)).toEqual([
      { value: "list-1", distance: 0 },
      { value: "list-2", distance: 0 },
      { value: "list-1", distance: 5 },
    ]);
    index.remove(a, "list-1");
    index.remove(a, "absent");
    index.remove(randomHex(rnd), "list-1");
    expect(index.size).toBe(2);
    expect(index.within(a, 10)).toEqual([
      { value: "list-2", distance: 0 },
      { value: "list-1", distance: 5 },
    ]);
    index.remove(a, "list-2");
    index.remove(b, "list-1");
    expect(index.size).toBe(0);
    expect(index.within(a, 256)).toEqual([]);
    // A freed slot is reused without a trace of what it held.
    index.add(b, "again");
    expect(index.within(a, 4)).toEqual([]);
    expect(index.within(a, 5)).toEqual([{ value: "again", distance: 5 }]);
  });

  it("stays exact through many removals and re-additions", () => {
    const rnd = random(11);
    const index = new PdqIndex<number>();
    const live = new Map<number, string>();
    for (let i = 0; i < 3000; i++) {
      const hex = randomHex(rnd);
      index.add(hex, i);
      live.set(i, hex);
      if (rnd() < 0.4) {
        const victim = Math.floor(rnd() * i);
        const h = live.get(victim);
        if (h !== undefined) {
          index.remove(h, victim);
          live.delete(victim);
        }
      }
    }
    expect(index.size).toBe(live.size);
    for (let k = 0; k < 30; k++) {
      const [value, hex] = [...live.entries()][Math.floor(rnd() * live.size)]!;
      const query = flip(hex, 20, rnd);
      const expected = [...live.entries()]
        .map(([v, h]) => ({ value: v, distance: hammingDistance(h, query) }))
        .filter((m) => m.distance <= 31);
      expect(ordered(index.within(query, 31))).toEqual(ordered(expected));
      expect(expected.map((m) => m.value)).toContain(value);
    }
  });

  it("refuses a malformed hash or distance", () => {
    const index = new PdqIndex<number>();
    expect(() => index.add("abc", 1)).toThrow(RangeError);
    expect(() => index.add("A".repeat(64), 1)).toThrow(RangeError);
    expect(() => index.within("0".repeat(64), 1.5)).toThrow(RangeError);
    expect(index.within("0".repeat(64), -1)).toEqual([]);
  });
});
