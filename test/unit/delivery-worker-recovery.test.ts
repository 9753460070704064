import { spawn } from "node:child_process";
import { once } from "node:events";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import type { DeliveryWorkerRecord } from "../../server/domain/federation-ports.js";
import { Cleanup, deliveryInstance, deliveryWorker, fakeInbox, items, numbers } from "../support/delivery-harness.js";
import { until } from "../support/fake-inbox.js";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

function record(id: string, overrides: Partial<DeliveryWorkerRecord>): DeliveryWorkerRecord {
  const now = Date.now();
  return { id, host: hostname(), pid: 1, processStartedAt: 1, startedAt: now, heartbeatAt: now, ...overrides };
}

describe("DeliveryWorker: workers that die", () => {
  it("voids at start the leases of a worker whose process is gone, and sends its items at once", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const { deliveries } = t.services.store.federation;
    await deliveries.registerWorker(record("killed", { pid: await deadPid() }));
    await deliveries.enqueue([...items(`${inbox.base()}/a`, 1, 2), ...items(`${inbox.base()}/b`, 3, 3)]);
    const leased = await deliveries.claim(Date.now(), 10, 60_000, 10, "killed");
    expect(leased.map((d) => d.leasedBy)).toEqual(["killed", "killed"]);
    const leasedUntil = Math.min(...leased.map((d) => d.leasedUntil!));

    const w = deliveryWorker(cleanup, t, { pollMs: 20 });
    w.start();
    await until(async () => (await deliveries.countPending()) === 0, 20_000);
    // long before the dead worker's leases would have run out
    expect(Date.now()).toBeLessThan(leasedUntil);
    expect(numbers(inbox.received).sort()).toEqual([1, 2, 3]);
    expect((await deliveries.listWorkers()).map((r) => r.id)).toEqual([w.id]);
  });

  it("voids the leases of a worker gone silent or whose pid is now another process, and keeps live ones", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const { deliveries } = t.services.store.federation;
    const now = Date.now();
    const workers = {
      silent: record("silent", { host: "elsewhere.example", heartbeatAt: now - 60_000 }),
      reused: record("reused", { pid: process.pid, processStartedAt: 12_345 }),
      sibling: record("sibling", { pid: process.pid, processStartedAt: Math.round(performance.timeOrigin) }),
      remote: record("remote", { host: "elsewhere.example", pid: 99_999_999 }),
    };
    for (const [name, w] of Object.entries(workers)) {
      await deliveries.registerWorker(w);
      await deliveries.enqueue(items(`${inbox.base()}/${name}`, 1, 1, name));
      expect(await deliveries.claim(Date.now(), 1, 60_000, 10, w.id)).toHaveLength(1);
    }
    const w = deliveryWorker(cleanup, t, { pollMs: 20, perDomain: 10 });
    w.start();
    await until(async () => (await deliveries.countPending()) === 2, 20_000);
    expect(inbox.received.map((r) => r.path).sort()).toEqual(["/reused", "/silent"]);
    expect((await deliveries.listWorkers()).map((r) => r.id).sort()).toEqual([w.id, "remote", "sibling"].sort());
    // what the live workers hold stays theirs
    const held = (await deliveries.pendingInboxes(Date.now(), 10)).map((p) => [p.inbox.split("/").at(-1), p.inFlight]);
    expect(held).toEqual([
      ["remote", true],
      ["sibling", true],
    ]);
  });

  it("registers under a new id at each start, beats, registers again when judged dead, and leaves on stop", async () => {
    const t = await deliveryInstance(cleanup);
    const { deliveries } = t.services.store.federation;
    const w = deliveryWorker(cleanup, t, { heartbeatMs: 20 });
    w.start();
    await until(async () => (await deliveries.listWorkers()).length === 1);
    const [first] = await deliveries.listWorkers();
    expect(first).toMatchObject({ id: w.id, host: hostname(), pid: process.pid });
    await until(async () => (await deliveries.listWorkers())[0]!.heartbeatAt > first!.heartbeatAt);
    // another worker judged it dead: it comes back at its next heartbeat
    await deliveries.removeWorker(first!.id);
    await until(async () => (await deliveries.listWorkers()).some((r) => r.id === first!.id));
    await w.stop();
    expect(await deliveries.listWorkers()).toEqual([]);
    w.start();
    await until(async () => (await deliveries.listWorkers()).length === 1);
    expect(w.id).not.toBe(first!.id);
    expect((await deliveries.listWorkers())[0]?.id).toBe(w.id);
  });
});

describe("DeliveryWorker: a dead domain", () => {
  it("is probed one request at a time, and every inbox of it resumes at the first success", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const { deliveries, peerHealth } = t.services.store.federation;
    const start = Date.now();
    let now = start;
    const targets = ["a", "b", "c", "d"].map((p) => `${inbox.base()}/${p}`);
    for (const [k, target] of targets.entries()) await deliveries.enqueue(items(target, 10 * k + 1, 10 * k + 5), now);
    let up = false;
    const accepted: number[] = [];
    inbox.respond = (r) => {
      if (!up) return { status: 503 };
      accepted.push(r.body["n"] as number);
      return { status: 202 };
    };
    const back: string[] = [];
    const w = deliveryWorker(cleanup, t, { clock: () => now, perDomain: 4 });
    w.onPeerBack((domain) => {
      back.push(domain);
    });
    // every inbox fails on its own for ten seconds: then the domain counts as dead
    for (const at of [0, 5000, 10_000]) {
      now = start + at;
      expect(await w.runOnce()).toBe(4);
    }
    expect(inbox.received).toHaveLength(12);
    const dead = await peerHealth.get("127.0.0.1");
    expect(dead?.nextProbeAt).toBeGreaterThan(now);
    // from now on, one request per probe, whatever the number of inboxes due
    now = start + 20_000;
    expect(await w.runOnce()).toBe(4);
    expect(inbox.received).toHaveLength(13);
    const waiting = await deliveries.pendingInboxes(now, 10);
    expect(waiting.filter((p) => p.held)).toHaveLength(3);
    expect(waiting.every((p) => p.items === 5)).toBe(true);
    // it answers again at the next probe: every inbox goes on at once, each in order
    up = true;
    const due = (await deliveries.pendingInboxes(now, 10)).map((p) => p.nextAttemptAt);
    now = Math.max(...due, (await peerHealth.get("127.0.0.1"))!.nextProbeAt!);
    while ((await w.runOnce()) > 0) {
      // the clock stands still
    }
    expect(accepted.sort((x, y) => x - y)).toEqual([
      1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 21, 22, 23, 24, 25, 31, 32, 33, 34, 35,
    ]);
    for (const k of [0, 1, 2, 3]) {
      const mine = inbox.received.filter((r) => r.path === `/${"abcd"[k]}`).map((r) => r.body["n"] as number);
      expect(mine.filter((n, i) => i > 0 && n < mine[i - 1]!)).toEqual([]);
    }
    expect(back).toEqual(["127.0.0.1"]);
    expect(await peerHealth.get("127.0.0.1")).toMatchObject({ firstFailureAt: null, nextProbeAt: null });
  });

  it("wakes at once when the inbox hears from it, and writes nothing for a healthy domain", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const { deliveries, peerHealth } = t.services.store.federation;
    const start = Date.now();
    const now = start;
    for (const at of [-30_000, -20_000, -10_000]) await peerHealth.recordFailure("127.0.0.1", start + at);
    await peerHealth.deferProbe("127.0.0.1", start + 600_000);
    await deliveries.enqueue(items(`${inbox.base()}/inbox`, 1, 3), now);
    const back: string[] = [];
    const w = deliveryWorker(cleanup, t, { clock: () => now });
    w.onPeerBack((domain) => {
      back.push(domain);
    });
    // dead, and not to be probed for ten minutes: the inbox waits for the domain
    expect(await w.runOnce()).toBe(1);
    expect(inbox.received).toHaveLength(0);
    expect((await deliveries.pendingInboxes(now, 10))[0]).toMatchObject({ held: true, nextAttemptAt: start + 600_000 });
    await w.peerAnswered("quiet.example");
    expect(await peerHealth.get("quiet.example")).toBeNull();
    await w.peerAnswered("127.0.0.1");
    expect(back).toEqual(["127.0.0.1"]);
    while ((await w.runOnce()) > 0) {
      // due now
    }
    expect(numbers(inbox.received)).toEqual([1, 2, 3]);
    expect(await peerHealth.failing()).toEqual([]);
    // a second word from it changes nothing
    await w.peerAnswered("127.0.0.1");
    expect(back).toEqual(["127.0.0.1"]);
  });
});
