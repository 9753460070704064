import { describe, expect, it } from "vitest";
import type { DeliveryWorkerRecord } from "../../server/domain/federation-ports.js";
import { expectDomainError, range } from "./factories.js";
import { delivery, ids, LEASE } from "./federation-deliveries.contract.js";
import type { ContractContext } from "./store-contract.js";

export function workerRecord(id: string, overrides: Partial<DeliveryWorkerRecord> = {}): DeliveryWorkerRecord {
  return { id, host: "box", pid: 4242, processStartedAt: 500, startedAt: 1000, heartbeatAt: 1000, ...overrides };
}

/*
 * What lets deliveries survive failures: leases tied to registered workers, the dropped list and
 * its replay, the backlog per inbox as operators see it, and the probe of a dead domain.
 */
export function describeDeliveryRecoveryContract({ store }: ContractContext): void {
  describe("federation: delivery workers and leases", () => {
    it("registers workers, keeps their heartbeats, and voids a removed worker's leases", async () => {
      const queue = store().federation.deliveries;
      await queue.registerWorker(workerRecord("w1"));
      await queue.registerWorker(workerRecord("w2", { host: "other", pid: 7, startedAt: 2000, heartbeatAt: 2000 }));
      expect(await queue.heartbeat("w1", 5000)).toBe(true);
      expect(await queue.heartbeat("w1", 4000)).toBe(true);
      expect(await queue.heartbeat("unknown", 5000)).toBe(false);
      expect(await queue.listWorkers()).toEqual([
        workerRecord("w1", { heartbeatAt: 5000 }),
        workerRecord("w2", { host: "other", pid: 7, startedAt: 2000, heartbeatAt: 2000 }),
      ]);

      await queue.enqueue(
        range(1, 3).map((i) => delivery(`d${i}`, "remote.example", { inbox: `/u${i}` })),
        1000,
      );
      const mine = await queue.claim(1000, 2, LEASE, 10, "w1");
      expect(mine.map((d) => d.leasedBy)).toEqual(["w1", "w1"]);
      expect(ids(await queue.claim(1000, 10, LEASE, 10, "w2"))).toHaveLength(1);
      // every inbox is leased by a live worker
      expect(await queue.claim(1000, 10, LEASE, 10, "w2")).toEqual([]);
      // w1 is found dead: its two inboxes are free at once, long before the leases run out
      expect(await queue.removeWorker("w1")).toBe(2);
      expect(await queue.removeWorker("w1")).toBe(0);
      expect((await queue.listWorkers()).map((w) => w.id)).toEqual(["w2"]);
      expect(ids(await queue.claim(1001, 10, LEASE, 10, "w2")).sort()).toEqual(ids(mine).sort());
      await expectDomainError(queue.registerWorker({ ...workerRecord("w3"), pid: "1" as never }), "invalid");
    });

    it("counts against the per-domain limit only the leases of registered workers", async () => {
      const queue = store().federation.deliveries;
      await queue.registerWorker(workerRecord("alive"));
      await queue.enqueue(
        range(1, 4).map((i) => delivery(`d${i}`, "remote.example", { inbox: `/u${i}` })),
        1000,
      );
      // a lease naming a worker that never registered (or whose record is gone) holds nothing
      expect(await queue.claim(1000, 2, LEASE, 2, "ghost")).toHaveLength(2);
      expect(await queue.claim(1000, 10, LEASE, 2, "alive")).toHaveLength(2);
      expect(await queue.claim(1000, 10, LEASE, 2, "alive")).toEqual([]);
      expect(await queue.pendingInboxes(1000, 10)).toHaveLength(4);
      expect((await queue.pendingInboxes(1000, 10)).filter((p) => p.inFlight)).toHaveLength(2);
    });

    it("holds the per-domain limit across two workers' claims, each within its share of it", async () => {
      const queue = store().federation.deliveries;
      await queue.registerWorker(workerRecord("w1"));
      await queue.registerWorker(workerRecord("w2", { pid: 7 }));
      await queue.enqueue(
        [
          ...range(1, 6).map((i) => delivery(`a${i}`, "a.example", { inbox: `/u${i}` })),
          ...range(1, 2).map((i) => delivery(`b${i}`, "b.example", { inbox: `/u${i}` })),
        ],
        1000,
      );
      // each worker holds at most one inbox of a domain: the other gets the second slot
      const first = await queue.claim(1000, 10, LEASE, 2, "w1", 1);
      expect(first.map((d) => d.domain).sort()).toEqual(["a.example", "b.example"]);
      expect(first.every((d) => d.leasedBy === "w1")).toBe(true);
      expect(await queue.claim(1000, 10, LEASE, 2, "w1", 1)).toEqual([]);
      const second = await queue.claim(1000, 10, LEASE, 2, "w2", 1);
      expect(second.map((d) => d.domain).sort()).toEqual(["a.example", "b.example"]);
      expect(second.every((d) => d.leasedBy === "w2")).toBe(true);
      // both domains hold two leases, whoever's they are: neither worker gets more, whatever its share
      expect(await queue.claim(1000, 10, LEASE, 2, "w1", 2)).toEqual([]);
      expect(await queue.claim(1000, 10, LEASE, 2, "w2", 5)).toEqual([]);
      // a send that ends frees its worker's slot, which that worker's share lets it take again
      await queue.complete(first.find((d) => d.domain === "a.example")!.id, 1000);
      expect((await queue.claim(1000, 10, LEASE, 2, "w2", 1)).length).toBe(0);
      const again = await queue.claim(1000, 10, LEASE, 2, "w1", 1);
      expect(again.map((d) => d.domain)).toEqual(["a.example"]);
      // a share above the limit is the limit; a share of 0 takes nothing
      expect(await queue.claim(1000, 10, LEASE, 2, "w2", 0)).toEqual([]);
      await queue.complete(second.find((d) => d.domain === "a.example")!.id, 1000);
      await queue.complete(again[0]!.id, 1000);
      expect((await queue.claim(1000, 10, LEASE, 2, "w2", 9)).map((d) => d.domain)).toEqual(["a.example", "a.example"]);
      await expectDomainError(queue.claim(1000, 10, LEASE, 2, "w1", -1), "invalid");
    });
  });

  describe("federation: the backlog and the dropped list", () => {
    it("lists the backlog per inbox", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a1"), delivery("a2")], 1000);
      await queue.enqueue([delivery("a3"), delivery("b1", "b.example", { inbox: "/users/x/inbox" })], 2000);
      await queue.claim(3000, 10, LEASE, 10);
      await queue.fail("a1", { at: 9000, error: "HTTP 502", now: 3000 });
      expect(await queue.pendingInboxes(3000, 10)).toEqual([
        {
          inbox: "https://b.example/users/x/inbox",
          domain: "b.example",
          items: 1,
          oldestCreatedAt: 2000,
          headAttempts: 0,
          lastError: null,
          nextAttemptAt: 2000,
          failingSince: null,
          held: false,
          inFlight: true,
        },
        {
          inbox: "https://remote.example/inbox",
          domain: "remote.example",
          items: 3,
          oldestCreatedAt: 1000,
          headAttempts: 1,
          lastError: "HTTP 502",
          nextAttemptAt: 9000,
          failingSince: 3000,
          held: false,
          inFlight: false,
        },
      ]);
      expect((await queue.pendingInboxes(3000, 1)).map((p) => p.domain)).toEqual(["b.example"]);
      expect((await queue.pendingInboxes(3000, 10, "Remote.Example")).map((p) => p.items)).toEqual([3]);
      expect(await queue.pendingInboxes(3000, 0)).toEqual([]);
    });

    it("lists dropped deliveries newest first, by domain, a page at a time", async () => {
      const queue = store().federation.deliveries;
      const all = range(1, 6).map((i) => delivery(`d${i}`, i % 2 === 0 ? "even.example" : "odd.example"));
      await queue.enqueue(all, 1000);
      for (const i of range(1, 6)) {
        await queue.claim(1000 + i, 10, LEASE, 10);
        await queue.drop(`d${i}`, `HTTP 40${i}`, 1000 + i);
      }
      const newest = await queue.listDropped(3);
      expect(ids(newest)).toEqual(["d6", "d5", "d4"]);
      expect(ids(await queue.listDropped(3, { before: newest.at(-1)!.seq }))).toEqual(["d3", "d2", "d1"]);
      expect(ids(await queue.listDropped(10, { domain: "EVEN.example" }))).toEqual(["d6", "d4", "d2"]);
      const even = await queue.listDropped(1, { domain: "even.example", before: newest[0]!.seq });
      expect(ids(even)).toEqual(["d4"]);
      expect(await queue.getDropped(even[0]!.seq)).toEqual(even[0]);
      expect(await queue.getDropped(999_999)).toBeNull();
      expect(await queue.listDropped(0)).toEqual([]);
      expect(await queue.pruneDropped(1004)).toBe(3);
      expect(ids(await queue.listDropped(10))).toEqual(["d6", "d5", "d4"]);
      await expectDomainError(queue.listDropped(10, { domain: { $ne: "" } as never }), "invalid");
      await expectDomainError(queue.getDropped("1" as never), "invalid");
    });

    it("replays dropped deliveries at the tail of their inbox, as new, and forgets them as dropped", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a"), delivery("b")], 1000);
      await queue.claim(1000, 10, LEASE, 10);
      await queue.fail("a", { at: 2000, error: "HTTP 503", now: 1000 });
      await queue.claim(2000, 10, LEASE, 10);
      await queue.drop("a", "HTTP 400", 2000);
      await queue.enqueue([delivery("c")], 3000);
      const [dropped] = await queue.listDropped(10);
      expect(await queue.replayDropped([dropped!.seq, dropped!.seq, 999_999], 5000)).toBe(1);
      expect(await queue.listDropped(10)).toEqual([]);
      expect(await queue.countPending()).toBe(3);
      // b and c were queued before the replay: a goes last, with no attempts, created now
      const order: Array<[string, number, number]> = [];
      for (;;) {
        const [next] = await queue.claim(6000, 10, LEASE, 10);
        if (!next) break;
        order.push([next.id, next.attempts, next.createdAt]);
        await queue.complete(next.id, 6000);
      }
      expect(order).toEqual([
        ["b", 0, 1000],
        ["c", 0, 3000],
        ["a", 0, 5000],
      ]);
      expect(await queue.replayDropped([], 5000)).toBe(0);
    });

    it("replays an item queued again meanwhile without doubling it", async () => {
      const queue = store().federation.deliveries;
      await queue.enqueue([delivery("a")], 1000);
      await queue.claim(1000, 10, LEASE, 10);
      await queue.drop("a", "HTTP 422", 1000);
      await queue.enqueue([delivery("a", "remote.example", { body: "queued again" })], 2000);
      const [dropped] = await queue.listDropped(10);
      expect(await queue.replayDropped([dropped!.seq], 3000)).toBe(1);
      expect(await queue.countPending()).toBe(1);
      expect(await queue.claim(3000, 10, LEASE, 10)).toMatchObject([{ id: "a", body: "queued again" }]);
      expect(await queue.listDropped(10)).toEqual([]);
    });
  });

  describe("federation: probing a dead domain", () => {
    it("ends a run once, hands out one probe at a time, and lists the failing domains", async () => {
      const domains = store().federation.peerHealth;
      expect(await domains.recordSuccess("fine.example", 500)).toBeNull();
      await domains.recordFailure("down.example", 1000);
      await domains.recordFailure("down.example", 2000);
      await domains.recordFailure("flaky.example", 2000);
      expect(await domains.failing()).toEqual(["down.example", "flaky.example"]);
      expect((await domains.get("down.example"))?.nextProbeAt).toBeNull();

      // two workers race for the probe: one gets it
      const races = await Promise.all([
        domains.takeProbe("down.example", 3000, 8000),
        domains.takeProbe("down.example", 3000, 8000),
      ]);
      expect(races.filter(Boolean)).toHaveLength(1);
      expect(await domains.takeProbe("down.example", 7999, 9000)).toBe(false);
      expect((await domains.get("down.example"))?.nextProbeAt).toBe(8000);
      await domains.deferProbe("down.example", 12_000);
      expect(await domains.takeProbe("down.example", 11_999, 20_000)).toBe(false);
      expect(await domains.takeProbe("down.example", 12_000, 20_000)).toBe(true);
      // a healthy domain has no probe to defer
      await domains.deferProbe("fine.example", 12_000);
      expect((await domains.get("fine.example"))?.nextProbeAt).toBeNull();

      const ended = await Promise.all([
        domains.recordSuccess("down.example", 13_000),
        domains.recordSuccess("Down.Example", 13_000),
      ]);
      expect(ended.filter((e) => e !== null)).toEqual([
        {
          domain: "down.example",
          consecutiveFailures: 2,
          firstFailureAt: 1000,
          lastFailureAt: 2000,
          lastSuccessAt: null,
          nextProbeAt: 20_000,
        },
      ]);
      expect(await domains.get("down.example")).toMatchObject({ firstFailureAt: null, nextProbeAt: null });
      expect(await domains.failing()).toEqual(["flaky.example"]);
      await expectDomainError(domains.takeProbe("x.example", 1, 1.5), "invalid");
    });
  });
}
