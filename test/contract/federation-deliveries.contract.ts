import { describe, expect, it } from "vitest";
import type { Delivery, DeliveryQueue, NewDelivery } from "../../server/domain/federation-ports.js";
import { MAX_ERROR_LENGTH } from "../../storage/common/federation.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

const LEASE = 30_000;

/** A delivery of activity `n` to the shared inbox of `domain`. */
export function delivery(id: string, domain = "remote.example", overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id,
    inbox: `https://${domain}/inbox`,
    domain,
    body: JSON.stringify({ id: `https://atoll.example/activities/${id}`, type: "Create" }),
    keyId: "https://atoll.example/b#main-key",
    activityId: `https://atoll.example/activities/${id}`,
    ...overrides,
  };
}

function ids(items: Delivery[]): string[] {
  return items.map((d) => d.id);
}

/** Every item the queue will ever hand out from `now` on, completing each (drains the queue). */
async function drain(queue: DeliveryQueue, now: number): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const batch = await queue.claim(now, 100, LEASE, 1000);
    if (batch.length === 0) return out.sort();
    for (const d of batch) {
      out.push(d.id);
      await queue.complete(d.id);
    }
  }
}

export function describeDeliveryContract({ store }: ContractContext): void {
  describe("federation: delivery queue", () => {
    it("queues items due at enqueue time and leases them with every field", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a"), delivery("b", "Other.Example")], 1000);
      expect(await queue.countPending()).toBe(2);
      expect(await queue.pendingForDomain("remote.example")).toBe(1);
      expect(await queue.pendingForDomain("OTHER.example")).toBe(1);
      expect(await queue.claim(999, 10, LEASE, 10)).toEqual([]);
      const claimed = await queue.claim(1000, 10, LEASE, 10);
      expect(claimed).toEqual([
        {
          ...delivery("a"),
          attempts: 0,
          nextAttemptAt: 1000,
          leasedUntil: 1000 + LEASE,
          lastError: null,
          createdAt: 1000,
        },
        {
          ...delivery("b", "other.example"),
          inbox: "https://Other.Example/inbox",
          attempts: 0,
          nextAttemptAt: 1000,
          leasedUntil: 1000 + LEASE,
          lastError: null,
          createdAt: 1000,
        },
      ]);
      // leased items stay queued (a worker may die) but are not handed out again
      expect(await queue.countPending()).toBe(2);
      expect(await queue.claim(2000, 10, LEASE, 10)).toEqual([]);
    });

    it("leaves an item already queued as it is, and ignores a repeated id in one batch", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a", "remote.example", { body: "first" })], 1000);
      await queue.enqueue(
        [
          delivery("a", "remote.example", { body: "second" }),
          delivery("b"),
          delivery("b", "remote.example", { body: "x" }),
        ],
        2000,
      );
      expect(await queue.countPending()).toBe(2);
      const claimed = await queue.claim(2000, 10, LEASE, 10);
      expect(claimed.map((d) => [d.id, d.body, d.createdAt])).toEqual([
        ["a", "first", 1000],
        ["b", delivery("b").body, 2000],
      ]);
      await queue.enqueue([], 3000);
      expect(await queue.countPending()).toBe(2);
    });

    it("queues nothing when one item of a batch is malformed", async () => {
      const queue = store().federation.deliveries;
      await expectDomainError(
        queue.enqueue([delivery("ok"), { ...delivery("bad"), body: { $set: 1 } } as never], 1000),
        "invalid",
      );
      await expectDomainError(queue.enqueue("items" as never, 1000), "invalid");
      await expectDomainError(queue.enqueue([delivery("x", "")], 1000), "invalid");
      expect(await queue.countPending()).toBe(0);
    });

    it("hands out the oldest due items first, at most `limit`", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("late")], 3000);
      await queue.enqueue([delivery("early-b"), delivery("early-a")], 1000);
      await queue.enqueue([delivery("middle")], 2000);
      expect(ids(await queue.claim(5000, 3, LEASE, 10))).toEqual(["early-a", "early-b", "middle"]);
      expect(ids(await queue.claim(5000, 3, LEASE, 10))).toEqual(["late"]);
      expect(await queue.claim(5000, 0, LEASE, 10)).toEqual([]);
    });

    it("gives two concurrent claims disjoint items", async () => {
      const queue = store().federation.deliveries;
      const all = range(1, 40).map((i) => delivery(`d${String(i).padStart(2, "0")}`, `host${i % 8}.example`));
      await queue.enqueue(all, 1000);
      const [a, b] = await Promise.all([queue.claim(1000, 25, LEASE, 100), queue.claim(1000, 25, LEASE, 100)]);
      const taken = [...ids(a!), ...ids(b!)];
      expect(new Set(taken).size).toBe(taken.length);
      expect(taken).toHaveLength(40);
      expect(new Set(taken)).toEqual(new Set(all.map((d) => d.id)));
    });

    it("hands out again an item whose lease ran out", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a")], 1000);
      expect(ids(await queue.claim(1000, 10, 500, 10))).toEqual(["a"]);
      expect(await queue.claim(1499, 10, 500, 10)).toEqual([]);
      const again = await queue.claim(1500, 10, 500, 10);
      expect(again).toMatchObject([{ id: "a", leasedUntil: 2000, attempts: 0 }]);
      expect(await queue.claim(1999, 10, 500, 10)).toEqual([]);
    });

    it("takes at most perDomainLimit items of a domain, counting leases in force", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        [
          ...range(1, 5).map((i) => delivery(`a${i}`, "a.example")),
          ...range(1, 5).map((i) => delivery(`b${i}`, "b.example")),
          delivery("c1", "c.example"),
        ],
        1000,
      );
      const first = await queue.claim(1000, 10, LEASE, 2);
      expect(ids(first)).toEqual(["a1", "a2", "b1", "b2", "c1"]);
      // a.example and b.example hold two leases each: nothing more for them until one ends
      expect(await queue.claim(1000, 10, LEASE, 2)).toEqual([]);
      await queue.complete("a1");
      await queue.fail("b1", 900, "503");
      expect(ids(await queue.claim(1000, 10, LEASE, 2))).toEqual(["b1", "a3"]);
      // when the leases run out, the domains have room again
      expect(ids(await queue.claim(1000 + LEASE, 10, LEASE, 2))).toEqual(["b1", "a2", "a3", "b2", "c1"]);
      expect(ids(await queue.claim(1000 + LEASE, 10, LEASE, 3))).toEqual(["a4", "b3"]);
    });

    it("reaches other domains behind a long backlog of one busy domain", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        range(1, 700).map((i) => delivery(`busy${String(i).padStart(4, "0")}`, "busy.example")),
        1000,
      );
      await queue.enqueue([delivery("q1", "quiet.example"), delivery("q2", "calm.example")], 2000);
      expect(ids(await queue.claim(5000, 10, LEASE, 2))).toEqual(["busy0001", "busy0002", "q1", "q2"]);
      await queue.enqueue([delivery("q3", "still.example")], 3000);
      expect(ids(await queue.claim(5000, 10, LEASE, 2))).toEqual(["q3"]);
    });

    it("holds the per-domain limit across concurrent claims", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        range(1, 12).map((i) => delivery(`s${String(i).padStart(2, "0")}`, "slow.example")),
        1000,
      );
      const claims = await Promise.all(range(1, 4).map(() => queue.claim(1000, 10, LEASE, 3)));
      const taken = claims.flatMap(ids);
      expect(taken).toHaveLength(3);
      expect(new Set(taken).size).toBe(3);
    });

    it("records a failure, releases the lease and retries no sooner than asked", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a")], 1000);
      await queue.claim(1000, 1, LEASE, 1);
      expect(await queue.fail("a", 5000, "connect ECONNREFUSED")).toBe(true);
      expect(await queue.claim(4999, 1, LEASE, 1)).toEqual([]);
      const [retry] = await queue.claim(5000, 1, LEASE, 1);
      expect(retry).toMatchObject({
        id: "a",
        attempts: 1,
        nextAttemptAt: 5000,
        leasedUntil: 5000 + LEASE,
        lastError: "connect ECONNREFUSED",
        createdAt: 1000,
      });
      await queue.fail("a", 20_000, "x".repeat(MAX_ERROR_LENGTH + 500));
      const [third] = await queue.claim(20_000, 1, LEASE, 1);
      expect(third?.attempts).toBe(2);
      expect(third?.lastError).toBe("x".repeat(MAX_ERROR_LENGTH));
      expect(await queue.fail("nope", 1, "e")).toBe(false);
      await expectDomainError(queue.fail("a", 1.5, "e"), "invalid");
      await expectDomainError(queue.fail("a", 1, { $set: 1 } as never), "invalid");
    });

    it("completes an item by removing it", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a"), delivery("b")], 1000);
      await queue.claim(1000, 10, LEASE, 10);
      expect(await queue.complete("a")).toBe(true);
      expect(await queue.complete("a")).toBe(false);
      expect(await queue.countPending()).toBe(1);
      expect(await drain(queue, 1000 + LEASE)).toEqual(["b"]);
      expect(await queue.countPending()).toBe(0);
    });

    it("drops an item to the dropped list, without its body", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a"), delivery("b"), delivery("c")], 1000);
      await queue.claim(1000, 10, LEASE, 10);
      await queue.fail("a", 2000, "timeout");
      expect(await queue.drop("a", "gave up after 1 attempt", 3000)).toBe(true);
      expect(await queue.drop("a", "again", 3000)).toBe(false);
      expect(await queue.drop("b", "410 Gone", 4000)).toBe(true);
      expect(await queue.countPending()).toBe(1);
      const { body: _a, ...a } = delivery("a");
      const { body: _b, ...b } = delivery("b");
      expect(await queue.listDropped(10)).toEqual([
        { ...b, attempts: 0, lastError: "410 Gone", createdAt: 1000, droppedAt: 4000 },
        { ...a, attempts: 1, lastError: "gave up after 1 attempt", createdAt: 1000, droppedAt: 3000 },
      ]);
      expect((await queue.listDropped(1)).map((d) => d.id)).toEqual(["b"]);
      expect(await queue.listDropped(0)).toEqual([]);
      expect(await queue.pruneDropped(4000)).toBe(1);
      expect((await queue.listDropped(10)).map((d) => d.id)).toEqual(["b"]);
      expect(await drain(queue, 1000 + LEASE)).toEqual(["c"]);
    });

    it("removes every item of a domain", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        [delivery("a1", "gone.example"), delivery("a2", "gone.example"), delivery("k", "kept.example")],
        1000,
      );
      await queue.claim(1000, 1, LEASE, 10);
      expect(await queue.removeForDomain("Gone.Example")).toBe(2);
      expect(await queue.pendingForDomain("gone.example")).toBe(0);
      expect(await queue.countPending()).toBe(1);
      expect(await drain(queue, 1000)).toEqual(["k"]);
    });

    it("refuses malformed claim arguments", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a")], 1000);
      await expectDomainError(queue.claim(1000, -1, LEASE, 1), "invalid");
      await expectDomainError(queue.claim(1000, 1, -5, 1), "invalid");
      await expectDomainError(queue.claim(1000, 1, LEASE, 0.5), "invalid");
      await expectDomainError(queue.claim("1000" as never, 1, LEASE, 1), "invalid");
      await expectDomainError(queue.complete({ $ne: null } as never), "invalid");
      await expectDomainError(queue.pendingForDomain({ $ne: null } as never), "invalid");
      expect(await queue.claim(1000, 1, LEASE, 0)).toEqual([]);
      expect(ids(await queue.claim(1000, 1, LEASE, 1))).toEqual(["a"]);
    });
  });
}
