import { describe, expect, it } from "vitest";
import type { Delivery, DeliveryQueue, NewDelivery } from "../../server/domain/federation-ports.js";
import { MAX_ERROR_LENGTH } from "../../storage/common/federation.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export const LEASE = 30_000;

/**
 * A delivery of activity `id` to an inbox of `domain`: its shared inbox, or the inbox named by
 * `overrides.inbox` (a path such as "/u/a/inbox" is put on the domain).
 */
export function delivery(id: string, domain = "remote.example", overrides: Partial<NewDelivery> = {}): NewDelivery {
  const { inbox, ...rest } = overrides;
  return {
    id,
    inbox:
      inbox === undefined ? `https://${domain}/inbox` : inbox.startsWith("/") ? `https://${domain}${inbox}` : inbox,
    domain,
    body: JSON.stringify({ id: `https://atoll.example/activities/${id}`, type: "Create" }),
    keyId: "https://atoll.example/b#main-key",
    activityId: `https://atoll.example/activities/${id}`,
    ...rest,
  };
}

export function ids(items: Array<{ id: string }>): string[] {
  return items.map((d) => d.id);
}

/** Claims everything claimable at `now`, completing each item at once; returns the ids in the order sent. */
export async function drain(queue: DeliveryQueue, now: number): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const batch = await queue.claim(now, 100, LEASE, 1000);
    if (batch.length === 0) return out;
    for (const d of batch) {
      out.push(d.id);
      await queue.complete(d.id, now);
    }
  }
}

/** The ids of what one claim at `now` hands out, sorted (the order across inboxes is the queue's own). */
async function claimed(queue: DeliveryQueue, now: number, limit = 100, perDomain = 100): Promise<string[]> {
  return ids(await queue.claim(now, limit, LEASE, perDomain)).sort();
}

export function describeDeliveryContract({ store }: ContractContext): void {
  describe("federation: delivery queue", () => {
    it("queues items due at enqueue time and leases each inbox's head with every field", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a"), delivery("b", "Other.Example")], 1000);
      expect(await queue.countPending()).toBe(2);
      expect(await queue.pendingForDomain("remote.example")).toBe(1);
      expect(await queue.pendingForDomain("OTHER.example")).toBe(1);
      expect(await queue.claim(999, 10, LEASE, 10)).toEqual([]);
      const got = await queue.claim(1000, 10, LEASE, 10, null);
      const byId = new Map(got.map((d) => [d.id, d]));
      expect(byId.get("a")).toEqual({
        ...delivery("a"),
        seq: expect.any(Number),
        attempts: 0,
        nextAttemptAt: 1000,
        leasedUntil: 1000 + LEASE,
        leasedBy: null,
        lastError: null,
        createdAt: 1000,
        failingSince: null,
      } satisfies Delivery);
      expect(byId.get("b")).toMatchObject({ domain: "other.example", inbox: "https://Other.Example/inbox" });
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
      const [first] = await queue.claim(2000, 10, LEASE, 10);
      expect([first?.id, first?.body, first?.createdAt]).toEqual(["a", "first", 1000]);
      await queue.complete("a", 2000);
      const [second] = await queue.claim(2000, 10, LEASE, 10);
      expect([second?.id, second?.body, second?.createdAt]).toEqual(["b", delivery("b").body, 2000]);
      await queue.enqueue([], 3000);
      expect(await queue.countPending()).toBe(1);
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
      expect(await queue.claim(1000, 10, LEASE, 10)).toEqual([]);
    });

    it("hands out an inbox's items one at a time, in the order they were queued", async () => {
      const queue = store().federation.deliveries;
      // one call keeps its order, whatever the ids; later calls go behind it
      await queue.enqueue([delivery("z3"), delivery("a1"), delivery("m2")], 1000);
      await queue.enqueue([delivery("b4")], 1000);
      await queue.enqueue([delivery("a5")], 900);
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) {
        const batch = await queue.claim(2000, 10, LEASE, 10);
        // only the head, even with room for more
        expect(batch).toHaveLength(1);
        // while it is in flight, nothing else of that inbox goes
        expect(await queue.claim(2000, 10, LEASE, 10)).toEqual([]);
        sent.push(batch[0]!.id);
        await queue.complete(batch[0]!.id, 2000);
      }
      expect(sent).toEqual(["z3", "a1", "m2", "b4", "a5"]);
      expect(await queue.claim(2000, 10, LEASE, 10)).toEqual([]);
    });

    it("sends different inboxes in parallel, one item each, earliest due first, at most `limit`", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("late", "c.example")], 3000);
      await queue.enqueue([delivery("a1", "a.example"), delivery("a2", "a.example")], 1000);
      await queue.enqueue([delivery("b1", "b.example")], 2000);
      expect(ids(await queue.claim(5000, 2, LEASE, 10))).toEqual(["a1", "b1"]);
      expect(ids(await queue.claim(5000, 2, LEASE, 10))).toEqual(["late"]);
      expect(await queue.claim(5000, 0, LEASE, 10)).toEqual([]);
      await queue.complete("a1", 5000);
      expect(ids(await queue.claim(5000, 2, LEASE, 10))).toEqual(["a2"]);
    });

    it("gives two concurrent claims disjoint inboxes", async () => {
      const queue = store().federation.deliveries;
      const all = range(1, 40).map((i) => delivery(`d${i}`, `host${i % 8}.example`, { inbox: `/u${i}/inbox` }));
      await queue.enqueue(all, 1000);
      const [a, b] = await Promise.all([queue.claim(1000, 25, LEASE, 100), queue.claim(1000, 25, LEASE, 100)]);
      const taken = [...ids(a!), ...ids(b!)];
      expect(new Set(taken).size).toBe(taken.length);
      expect(new Set(taken)).toEqual(new Set(all.map((d) => d.id)));
    });

    it("hands an inbox out again once its lease ran out", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a"), delivery("b")], 1000);
      expect(ids(await queue.claim(1000, 10, 500, 10))).toEqual(["a"]);
      expect(await queue.claim(1499, 10, 500, 10)).toEqual([]);
      expect(await queue.claim(1500, 10, 500, 10)).toMatchObject([{ id: "a", leasedUntil: 2000, attempts: 0 }]);
      expect(await queue.claim(1999, 10, 500, 10)).toEqual([]);
    });

    it("takes at most perDomainLimit inboxes of a domain, counting leases in force", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        [
          ...range(1, 5).map((i) => delivery(`a${i}`, "a.example", { inbox: `/a${i}` })),
          ...range(1, 5).map((i) => delivery(`b${i}`, "b.example", { inbox: `/b${i}` })),
          delivery("c1", "c.example"),
        ],
        1000,
      );
      expect(await claimed(queue, 1000, 10, 2)).toEqual(["a1", "a2", "b1", "b2", "c1"]);
      // a.example and b.example hold two leases each: nothing more for them until one ends
      expect(await queue.claim(1000, 10, LEASE, 2)).toEqual([]);
      await queue.complete("a1", 1000);
      await queue.fail("b1", { at: 900, error: "503", now: 1000 });
      expect(await claimed(queue, 1000, 10, 2)).toEqual(["a3", "b1"]);
      // when the leases run out, the domains have room again
      expect(await claimed(queue, 1000 + LEASE, 10, 3)).toEqual(["a2", "a3", "a4", "b1", "b2", "b3", "c1"]);
    });

    it("reaches other domains behind the inboxes of one busy domain", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        range(1, 700).map((i) => delivery(`busy${i}`, "busy.example", { inbox: `/u${i}` })),
        1000,
      );
      await queue.enqueue([delivery("q1", "quiet.example"), delivery("q2", "calm.example")], 2000);
      const first = await queue.claim(5000, 10, LEASE, 2);
      expect(first.filter((d) => d.domain === "busy.example")).toHaveLength(2);
      expect(ids(first.filter((d) => d.domain !== "busy.example")).sort()).toEqual(["q1", "q2"]);
      await queue.enqueue([delivery("q3", "still.example")], 3000);
      expect(ids(await queue.claim(5000, 10, LEASE, 2))).toEqual(["q3"]);
    });

    it("holds the per-domain limit across concurrent claims", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        range(1, 12).map((i) => delivery(`s${i}`, "slow.example", { inbox: `/u${i}` })),
        1000,
      );
      const claims = await Promise.all(range(1, 4).map(() => queue.claim(1000, 10, LEASE, 3)));
      const taken = claims.flatMap(ids);
      expect(taken).toHaveLength(3);
      expect(new Set(taken).size).toBe(3);
    });

    it("holds an inbox's whole backlog while its head fails, then lets it go at once", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("h1"), delivery("h2"), delivery("h3")], 1000);
      await queue.enqueue([delivery("o1", "remote.example", { inbox: "/other" })], 1000);
      expect(await claimed(queue, 1000)).toEqual(["h1", "o1"]);
      expect(await queue.fail("h1", { at: 5000, error: "connect ECONNREFUSED", now: 1000 })).toBe(true);
      await queue.complete("o1", 1000);
      // nothing of the failing inbox is due before its next try
      expect(await queue.claim(4999, 10, LEASE, 10)).toEqual([]);
      const [retry] = await queue.claim(5000, 10, LEASE, 10);
      expect(retry).toMatchObject({
        id: "h1",
        attempts: 1,
        nextAttemptAt: 5000,
        lastError: "connect ECONNREFUSED",
        createdAt: 1000,
        failingSince: 1000,
      });
      // the run keeps its start; a long error is cut
      await queue.fail("h1", { at: 20_000, error: "x".repeat(MAX_ERROR_LENGTH + 500), now: 5000 });
      const [third] = await queue.claim(20_000, 10, LEASE, 10);
      expect(third).toMatchObject({
        id: "h1",
        attempts: 2,
        failingSince: 1000,
        lastError: "x".repeat(MAX_ERROR_LENGTH),
      });
      // success: the rest is due at once, the run over
      await queue.complete("h1", 20_001);
      expect(await queue.claim(20_001, 10, LEASE, 10)).toMatchObject([{ id: "h2", attempts: 0, failingSince: null }]);
      expect(await queue.fail("nope", { at: 1, error: "e", now: 1 })).toBe(false);
      await expectDomainError(queue.fail("h2", { at: 1.5, error: "e", now: 1 }), "invalid");
      await expectDomainError(queue.fail("h2", { at: 1, error: { $set: 1 } as never, now: 1 }), "invalid");
    });

    it("gives up on an inbox's items past the horizon, keeping them with their bodies", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("old1"), delivery("old2")], 1000);
      await queue.enqueue([delivery("young")], 50_000);
      await queue.claim(60_000, 10, LEASE, 10);
      await queue.fail("old1", {
        at: 70_000,
        error: "HTTP 503",
        now: 60_000,
        dropCreatedBefore: 10_000,
        expiredError: "Gave up: HTTP 503",
      });
      expect(await queue.countPending()).toBe(1);
      const dropped = await queue.listDropped(10);
      expect(dropped.map((d) => [d.id, d.lastError, d.droppedAt, d.body])).toEqual([
        ["old2", "Gave up: HTTP 503", 60_000, delivery("old2").body],
        ["old1", "Gave up: HTTP 503", 60_000, delivery("old1").body],
      ]);
      expect(dropped.find((d) => d.id === "old1")?.attempts).toBe(1);
      // the inbox keeps its schedule: what is left waits for the next try
      expect(await queue.claim(69_999, 10, LEASE, 10)).toEqual([]);
      expect(ids(await queue.claim(70_000, 10, LEASE, 10))).toEqual(["young"]);
      // an inbox emptied this way is forgotten: a new item is due at once
      await queue.fail("young", { at: 90_000, error: "HTTP 503", now: 80_000, dropCreatedBefore: 60_000 });
      expect(await queue.countPending()).toBe(0);
      await queue.enqueue([delivery("fresh")], 80_000);
      expect(await queue.claim(80_000, 10, LEASE, 10)).toMatchObject([{ id: "fresh", failingSince: null }]);
    });

    it("holds an inbox for its domain without counting an attempt, and wakes what waited with the domain", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        [
          delivery("held", "down.example", { inbox: "/a" }),
          delivery("since", "down.example", { inbox: "/b" }),
          delivery("before", "down.example", { inbox: "/c" }),
          delivery("elsewhere", "up.example"),
        ],
        1000,
      );
      await queue.claim(1000, 10, LEASE, 10);
      expect(await queue.hold("held", { until: 60_000, now: 1000 })).toBe(true);
      await queue.fail("since", { at: 60_000, error: "503", now: 2000 });
      await queue.fail("before", { at: 60_000, error: "404", now: 500 });
      await queue.fail("elsewhere", { at: 60_000, error: "503", now: 2000 });
      expect(await queue.claim(3000, 10, LEASE, 10)).toEqual([]);
      expect(await queue.pendingInboxes(3000, 10, "down.example")).toMatchObject([
        { inbox: "https://down.example/a", held: true, headAttempts: 0, nextAttemptAt: 60_000 },
        { inbox: "https://down.example/b", held: false, headAttempts: 1, failingSince: 2000 },
        { inbox: "https://down.example/c", held: false, headAttempts: 1, failingSince: 500 },
      ]);
      // the domain's run began at 1500: the held inbox and the one failing since then are woken
      expect(await queue.wake("Down.Example", 1500, 3000)).toBe(2);
      expect(await claimed(queue, 3000)).toEqual(["held", "since"]);
      expect(await queue.wake("down.example", 1500, 3000)).toBe(0);
      expect(await queue.hold("nope", { until: 1, now: 1 })).toBe(false);
    });

    it("drops an item with its body; its inbox's next item is due at once", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a"), delivery("b"), delivery("c", "other.example")], 1000);
      await queue.claim(1000, 10, LEASE, 10);
      await queue.fail("a", { at: 9000, error: "timeout", now: 1000 });
      await queue.claim(9000, 10, LEASE, 10);
      expect(await queue.drop("a", "HTTP 400", 9500)).toBe(true);
      expect(await queue.drop("a", "again", 9500)).toBe(false);
      expect(await queue.claim(9500, 10, LEASE, 10)).toMatchObject([{ id: "b", failingSince: null, attempts: 0 }]);
      expect(await queue.drop("b", "HTTP 410", 9600)).toBe(true);
      expect(await queue.countPending()).toBe(1);
      const { body: bodyA, ...a } = delivery("a");
      const { body: bodyB, ...b } = delivery("b");
      const dropped = await queue.listDropped(10);
      expect(dropped).toEqual([
        {
          ...b,
          body: bodyB,
          seq: expect.any(Number),
          attempts: 0,
          lastError: "HTTP 410",
          createdAt: 1000,
          droppedAt: 9600,
        },
        {
          ...a,
          body: bodyA,
          seq: expect.any(Number),
          attempts: 1,
          lastError: "HTTP 400",
          createdAt: 1000,
          droppedAt: 9500,
        },
      ]);
      expect(dropped[0]!.seq).toBeGreaterThan(dropped[1]!.seq);
      expect(await drain(queue, 1000 + LEASE)).toEqual(["c"]);
    });

    it("removes every item of a domain, and its inboxes with them", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue(
        [
          delivery("a1", "gone.example"),
          delivery("a2", "gone.example", { inbox: "/x" }),
          delivery("k", "kept.example"),
        ],
        1000,
      );
      await queue.claim(1000, 1, LEASE, 10);
      expect(await queue.removeForDomain("Gone.Example")).toBe(2);
      expect(await queue.pendingForDomain("gone.example")).toBe(0);
      expect(await queue.pendingInboxes(1000, 10, "gone.example")).toEqual([]);
      expect(await queue.countPending()).toBe(1);
      expect(await drain(queue, 1000 + LEASE)).toEqual(["k"]);
      // a new item for the domain starts afresh
      await queue.enqueue([delivery("a3", "gone.example")], 2000);
      expect(ids(await queue.claim(2000, 10, LEASE, 10))).toEqual(["a3"]);
    });

    it("refuses malformed arguments", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a")], 1000);
      await expectDomainError(queue.claim(1000, -1, LEASE, 1), "invalid");
      await expectDomainError(queue.claim(1000, 1, -5, 1), "invalid");
      await expectDomainError(queue.claim(1000, 1, LEASE, 0.5), "invalid");
      await expectDomainError(queue.claim("1000" as never, 1, LEASE, 1), "invalid");
      await expectDomainError(queue.claim(1000, 1, LEASE, 1, { $ne: null } as never), "invalid");
      await expectDomainError(queue.complete({ $ne: null } as never), "invalid");
      await expectDomainError(queue.pendingForDomain({ $ne: null } as never), "invalid");
      await expectDomainError(queue.wake("a.example", "1" as never, 1), "invalid");
      await expectDomainError(queue.hold("a", { until: 1.5, now: 1 }), "invalid");
      await expectDomainError(queue.replayDropped([{ $gt: 0 } as never], 1), "invalid");
      expect(await queue.claim(1000, 1, LEASE, 0)).toEqual([]);
      expect(ids(await queue.claim(1000, 1, LEASE, 1))).toEqual(["a"]);
    });
  });
}
