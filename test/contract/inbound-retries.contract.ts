import { describe, expect, it } from "vitest";
import type { NewInboundRetry } from "../../server/domain/federation-ports.js";
import { MAX_ERROR_LENGTH } from "../../storage/common/federation.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function retry(n: number | string, overrides: Partial<NewInboundRetry> = {}): NewInboundRetry {
  const id = `https://remote.example/activities/${n}`;
  return {
    id,
    board: null,
    signer: "https://remote.example/users/alice",
    body: JSON.stringify({ id, type: "Create" }),
    lastError: "https://origin.example/notes/1 answered 503.",
    ...overrides,
  };
}

export function describeInboundRetriesContract({ store, reopen }: ContractContext): void {
  describe("federation: inbound retries", () => {
    it("keeps an activity once, with what it needs to be tried again", async () => {
      const q = store().federation.inboundRetries;
      expect(await q.add(retry(1, { board: "b" }), 1000, 1500)).toBe(true);
      // a repeat leaves the first as it was
      expect(await q.add(retry(1, { lastError: "other" }), 2000, 9000)).toBe(false);
      expect(await q.list({ failed: false, limit: 10 })).toEqual([
        {
          ...retry(1, { board: "b" }),
          receivedAt: 1000,
          attempts: 1,
          nextAttemptAt: 1500,
          failedAt: null,
        },
      ]);
      expect(await q.countPending()).toBe(1);
    });

    it("claims due items oldest first, never one under a lease, and again once the lease runs out", async () => {
      const q = store().federation.inboundRetries;
      await q.add(retry("late"), 1000, 3000);
      await q.add(retry("b"), 1000, 1200);
      await q.add(retry("a"), 1000, 1100);
      expect((await q.claim(1000, 10, 500)).map((r) => r.id)).toEqual([]);
      expect((await q.claim(1500, 10, 500)).map((r) => r.id)).toEqual([retry("a").id, retry("b").id]);
      expect(await q.claim(1600, 10, 500)).toEqual([]);
      // the leases end at 2000: the items are claimable again, and still one at a time
      expect((await q.claim(2000, 1, 500)).map((r) => r.id)).toEqual([retry("a").id]);
      expect((await q.claim(2100, 10, 500)).map((r) => r.id)).toEqual([retry("b").id]);
      expect((await q.claim(3000, 10, 500)).map((r) => r.id)).toEqual([retry("a").id, retry("b").id, retry("late").id]);
    });

    it("hands each item to exactly one of 20 racing claims", async () => {
      const q = store().federation.inboundRetries;
      for (const i of range(1, 10)) await q.add(retry(i), 1000, 1000);
      const claims = await Promise.all(range(1, 20).map(() => q.claim(1000, 3, 60_000)));
      const ids = claims.flat().map((r) => r.id);
      expect(ids).toHaveLength(10);
      expect(new Set(ids).size).toBe(10);
    });

    it("reschedules a failed try, counting it, and removes what is done", async () => {
      const q = store().federation.inboundRetries;
      await q.add(retry(1), 1000, 1000);
      await q.add(retry(2), 1000, 1000);
      await q.claim(1000, 10, 60_000);
      expect(await q.retryAt(retry(1).id, 5000, "x".repeat(MAX_ERROR_LENGTH + 10))).toBe(true);
      // the lease is released with the failure
      const [again] = await q.claim(5000, 10, 60_000);
      expect(again).toMatchObject({ id: retry(1).id, attempts: 2, nextAttemptAt: 5000 });
      expect(again?.lastError).toHaveLength(MAX_ERROR_LENGTH);
      expect(await q.remove(retry(2).id)).toBe(true);
      expect(await q.remove(retry(2).id)).toBe(false);
      expect(await q.countPending()).toBe(1);
    });

    it("keeps what was given up on out of the claims, lists it, replays it with a fresh horizon and prunes it", async () => {
      const q = store().federation.inboundRetries;
      await q.add(retry(1), 1000, 1000);
      await q.add(retry(2), 1000, 1000);
      await q.add(retry(3), 1000, 1000);
      expect(await q.giveUp(retry(1).id, "gone for good", 2000)).toBe(true);
      expect(await q.giveUp(retry(2).id, "gone for good", 3000)).toBe(true);
      expect(await q.giveUp(retry(2).id, "again", 3500)).toBe(false);
      expect((await q.claim(9000, 10, 60_000)).map((r) => r.id)).toEqual([retry(3).id]);
      expect(await q.countPending()).toBe(1);
      const failed = await q.list({ failed: true, limit: 10 });
      expect(failed.map((r) => [r.id, r.failedAt, r.lastError])).toEqual([
        [retry(2).id, 3000, "gone for good"],
        [retry(1).id, 2000, "gone for good"],
      ]);
      expect(await q.replay(retry(2).id, 10_000)).toBe(true);
      expect(await q.replay(retry(3).id, 10_000)).toBe(false);
      const [replayed] = await q.claim(10_000, 10, 60_000);
      expect(replayed).toMatchObject({ id: retry(2).id, receivedAt: 10_000, attempts: 0, failedAt: null });
      expect(await q.pruneFailed(2001)).toBe(1);
      expect(await q.list({ failed: true, limit: 10 })).toEqual([]);
    });

    it("refuses malformed items and arguments", async () => {
      const q = store().federation.inboundRetries;
      await expectDomainError(q.add({ ...retry(1), id: "" }, 1, 1), "invalid");
      await expectDomainError(q.add({ ...retry(1), body: { $ne: 1 } as never }, 1, 1), "invalid");
      await expectDomainError(q.add({ ...retry(1), body: "x".repeat(1024 * 1024 + 1) }, 1, 1), "too_large");
      await expectDomainError(q.remove({ $ne: null } as never), "invalid");
      await expectDomainError(q.claim(1, 1, -1), "invalid");
      expect(await q.countPending()).toBe(0);
    });

    it.skipIf(reopen === null)("keeps its items when the store is closed and opened again", async () => {
      await store().federation.inboundRetries.add(retry(1), 1000, 1000);
      const reopened = await reopen!();
      expect((await reopened.federation.inboundRetries.claim(1000, 10, 1000)).map((r) => r.id)).toEqual([retry(1).id]);
    });
  });
}
