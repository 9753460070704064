import { describe, expect, it } from "vitest";
import type { SlotRequest } from "../../server/domain/limit-ports.js";
import { range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/** A time far ahead, so MongoDB's TTL monitor leaves every document of these cases alone. */
const T = Date.UTC(2100, 0, 1);
const MINUTE = 60_000;

/** A slot request at `now` with a gap of `gapMs`, kept for a day. */
export function slot(key: string, holder: string, now: number, gapMs: number): SlotRequest {
  return { key, holder, now, gapMs, expiresAt: now + 86_400_000 };
}

export function describeLimitsContract({ store }: ContractContext): void {
  describe("window counters", () => {
    it("adds to each (key, window) counter, returning each total right after its own addition", async () => {
      const c = store().limits.counters;
      const inc = (key: string, window: number, count: number) => ({ key, window, count, expiresAt: window + MINUTE });
      expect(await c.add([inc("r:a", T, 1)])).toEqual([1]);
      expect(await c.add([inc("r:a", T, 2), inc("r:b", T, 5), inc("r:a", T, 1), inc("r:a", T + MINUTE, 1)])).toEqual([
        3, 5, 4, 1,
      ]);
      // A count of zero reads the total.
      expect(await c.add([inc("r:a", T, 0)])).toEqual([4]);
      expect(await c.add([])).toEqual([]);
      expect(
        await c.totals([
          { key: "r:a", window: T },
          { key: "r:b", window: T },
          { key: "r:a", window: T + MINUTE },
          { key: "r:none", window: T },
        ]),
      ).toEqual([4, 5, 1, 0]);
      // totals wrote nothing: the unknown counter still starts from zero.
      expect(await c.add([inc("r:none", T, 2)])).toEqual([2]);
    });

    it("forgets every window of one key on clear, and nothing else", async () => {
      const c = store().limits.counters;
      await c.add([
        { key: "login:x", window: T, count: 3, expiresAt: T + MINUTE },
        { key: "login:x", window: T + MINUTE, count: 2, expiresAt: T + 2 * MINUTE },
        { key: "login:y", window: T, count: 7, expiresAt: T + MINUTE },
      ]);
      await c.clear("login:x");
      expect(
        await c.totals([
          { key: "login:x", window: T },
          { key: "login:x", window: T + MINUTE },
          { key: "login:y", window: T },
        ]),
      ).toEqual([0, 0, 7]);
    });

    it("loses no increment when many arrive at once", async () => {
      const c = store().limits.counters;
      await Promise.all(range(1, 40).map(() => c.add([{ key: "w:hot", window: T, count: 1, expiresAt: T + MINUTE }])));
      expect(await c.totals([{ key: "w:hot", window: T }])).toEqual([40]);
    });

    it("refuses a negative count or a key that is not text", async () => {
      const c = store().limits.counters;
      await expect(c.add([{ key: "k", window: T, count: -1, expiresAt: T }])).rejects.toThrow(/count/);
      await expect(
        c.add([{ key: { $ne: "" } as unknown as string, window: T, count: 1, expiresAt: T }]),
      ).rejects.toThrow(/key/);
    });
  });

  describe("cooldown slots", () => {
    it("takes a free slot and refuses it within the gap, saying when it frees up", async () => {
      const s = store().limits.slots;
      expect(await s.take(slot("reply:ip", "h1", T, 10_000))).toEqual({ taken: true });
      expect(await s.take(slot("reply:ip", "h2", T + 4_000, 10_000))).toEqual({ taken: false, freeAt: T + 10_000 });
      // Each caller's own gap counts: a shorter one is already over.
      expect(await s.take(slot("reply:ip", "h3", T + 4_000, 3_000))).toEqual({ taken: true });
      expect(await s.take(slot("reply:ip", "h4", T + 14_000, 10_000))).toEqual({ taken: true });
      // Keys are independent, and a gap of zero never holds anyone back.
      expect(await s.take(slot("thread:ip", "h5", T + 14_000, 60_000))).toEqual({ taken: true });
      expect(await s.take(slot("reply:ip", "h6", T + 14_000, 0))).toEqual({ taken: true });
    });

    it("gives a slot back to what it was before, only to its holder, once", async () => {
      const s = store().limits.slots;
      // The first take of a key, given back: as if never taken.
      expect(await s.take(slot("k", "first", T, 10_000))).toEqual({ taken: true });
      expect(await s.giveBack("k", "first")).toBe(true);
      expect(await s.giveBack("k", "first")).toBe(false);
      expect(await s.take(slot("k", "again", T + 1, 10_000))).toEqual({ taken: true });
      // A later take given back restores the earlier one, whose gap then holds again.
      expect(await s.take(slot("k", "later", T + 20_000, 10_000))).toEqual({ taken: true });
      expect(await s.giveBack("k", "someone-else")).toBe(false);
      expect(await s.giveBack("k", "later")).toBe(true);
      expect(await s.take(slot("k", "x", T + 20_000, 30_000))).toEqual({ taken: false, freeAt: T + 1 + 30_000 });
      expect(await s.giveBack("k", "later")).toBe(false);
    });

    it("never lets a give-back erase a newer slot", async () => {
      const s = store().limits.slots;
      expect(await s.take(slot("k", "old", T, 1_000))).toEqual({ taken: true });
      expect(await s.take(slot("k", "new", T + 1_000, 1_000))).toEqual({ taken: true });
      expect(await s.giveBack("k", "old")).toBe(false);
      expect(await s.take(slot("k", "next", T + 1_500, 1_000))).toEqual({ taken: false, freeAt: T + 2_000 });
    });

    it("gives one slot to exactly one of many takes at the same instant", async () => {
      const s = store().limits.slots;
      const results = await Promise.all(range(1, 12).map((i) => s.take(slot("race", `h${i}`, T, 10_000))));
      expect(results.filter((r) => r.taken)).toHaveLength(1);
      expect(results.filter((r) => !r.taken)).toEqual(range(1, 11).map(() => ({ taken: false, freeAt: T + 10_000 })));
    });

    it("refuses an empty holder, and takes any other one literally", async () => {
      const s = store().limits.slots;
      await expect(s.take(slot("k", "", T, 1))).rejects.toThrow(/holder/);
      expect(await s.giveBack("k", "")).toBe(false);
      expect(await s.take(slot("k", "$at", T, 1))).toEqual({ taken: true });
      expect(await s.giveBack("k", "$holder")).toBe(false);
      expect(await s.giveBack("k", "$at")).toBe(true);
    });
  });

  describe("spent tokens", () => {
    it("spends a token once and tells which are spent", async () => {
      const t = store().limits.tokens;
      expect(await t.spend("captcha:a", T + MINUTE)).toBe(true);
      expect(await t.spend("captcha:a", T + MINUTE)).toBe(false);
      expect(await t.spend("captcha:b", T + MINUTE)).toBe(true);
      expect(await t.spent(["captcha:a", "captcha:c", "captcha:b"])).toEqual(new Set(["captcha:a", "captcha:b"]));
      expect(await t.spent([])).toEqual(new Set());
    });

    it("lets exactly one of many spends of one token at the same instant win", async () => {
      const t = store().limits.tokens;
      const won = await Promise.all(range(1, 12).map(() => t.spend("captcha:race", T + MINUTE)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });

  describe("pruning", () => {
    it("removes what expired, a bounded batch of each kind at a time, and keeps the rest", async () => {
      const l = store().limits;
      for (const i of range(1, 3)) {
        await l.tokens.spend(`old${i}`, T - i);
        await l.counters.add([{ key: `old${i}`, window: T - MINUTE, count: 1, expiresAt: T - i }]);
        await l.slots.take({ key: `old${i}`, holder: "h", now: T - MINUTE, gapMs: 1, expiresAt: T - i });
      }
      await l.tokens.spend("live", T + 1);
      await l.counters.add([{ key: "live", window: T, count: 1, expiresAt: T + 1 }]);
      await l.slots.take({ key: "live", holder: "h", now: T, gapMs: 10_000, expiresAt: T + 1 });

      expect(await l.prune(T, 2)).toBe(6);
      expect(await l.prune(T, 2)).toBe(3);
      expect(await l.prune(T, 2)).toBe(0);
      expect(await l.tokens.spent(["old1", "old2", "old3", "live"])).toEqual(new Set(["live"]));
      expect(
        await l.counters.totals([
          { key: "old1", window: T - MINUTE },
          { key: "live", window: T },
        ]),
      ).toEqual([0, 1]);
      expect(await l.slots.take(slot("live", "other", T, 10_000))).toEqual({ taken: false, freeAt: T + 10_000 });
    });
  });
}
