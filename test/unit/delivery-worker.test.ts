import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { retrySpacing, verdictOf } from "../../federation/delivery/outcomes.js";
import {
  BOARD_ACTOR,
  Cleanup,
  deliveryInstance,
  deliveryWorker,
  fakeInbox,
  follow,
  items,
  numbers,
  PUBLIC_URL,
} from "../support/delivery-harness.js";
import { until } from "../support/fake-inbox.js";
import type { TestInstance } from "../support/instance.js";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const DAY = 86_400_000;

async function thread(t: TestInstance): Promise<number> {
  const no = (await t.services.posting.createThread({ board: "b", comment: "hello", ip: "192.0.2.1" })).no;
  // The publisher reads the followers on a later turn; let it, so a follow added next does not see this thread.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return no;
}

/** Waits until the publisher (which queues on a later turn) has queued `n` items. */
async function queued(t: TestInstance, n: number): Promise<void> {
  await until(async () => (await t.services.store.federation.deliveries.countPending()) === n);
}

describe("DeliveryWorker", () => {
  it("delivers signed Announces one at a time to a shared inbox and removes delivered items", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    await follow(t, `${inbox.base()}/users/alice`, `${inbox.base()}/users/alice/inbox`, `${inbox.base()}/inbox`);
    const no = await thread(t);
    await queued(t, 2);

    const now = Date.now();
    const w = deliveryWorker(cleanup, t, { clock: () => now });
    // two activities for one inbox: one per claim, in the order queued
    expect(await w.runOnce()).toBe(1);
    expect(await w.runOnce()).toBe(1);
    expect(await w.runOnce()).toBe(0);
    expect(await t.services.store.federation.deliveries.countPending()).toBe(0);
    expect(inbox.received).toHaveLength(2);
    for (const r of inbox.received) {
      expect(r.verifyError).toBeNull();
      expect(r.keyId).toBe(`${BOARD_ACTOR}#main-key`);
      expect(r.path).toBe("/inbox");
      expect(r.body["@context"]).toEqual(["https://www.w3.org/ns/activitystreams", `${PUBLIC_URL}/ns/atoll.jsonld`]);
    }
    const noteId = `${PUBLIC_URL}/b/thread/${no}`;
    expect(inbox.received.map((r) => (typeof r.body["object"] === "object" ? "announce" : "boost"))).toEqual([
      "announce",
      "boost",
    ]);
    expect(inbox.received[0]!.body).toMatchObject({
      type: "Announce",
      actor: BOARD_ACTOR,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      cc: [`${BOARD_ACTOR}/followers`],
      object: { type: "Create", id: `${noteId}#create`, object: { type: "Note", id: noteId } },
    });
    expect(inbox.received[1]!.body).toMatchObject({ type: "Announce", actor: BOARD_ACTOR, object: noteId });
    expect(await t.services.store.federation.peerHealth.get("127.0.0.1")).toMatchObject({
      consecutiveFailures: 0,
      lastSuccessAt: now,
    });
  });

  it("keeps an inbox's order across failures and retries, retrying only its oldest item", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const target = `${inbox.base()}/inbox`;
    const { deliveries } = t.services.store.federation;
    let now = Date.now();
    await deliveries.enqueue(items(target, 1, 3), now);
    await deliveries.enqueue(items(target, 4, 5), now);
    let answers = 0;
    inbox.respond = () => ({ status: ++answers <= 3 ? 503 : 202 });
    const w = deliveryWorker(cleanup, t, { clock: () => now });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect(await w.runOnce()).toBe(1);
      // the backlog waits with its head: nothing is due until the next try
      expect(await w.runOnce()).toBe(0);
      now += 3000;
    }
    while ((await w.runOnce()) > 0) {
      // the clock stands still: once the head is through, the rest is due at once
    }
    expect(numbers(inbox.received)).toEqual([1, 1, 1, 1, 2, 3, 4, 5]);
    expect(await deliveries.countPending()).toBe(0);
    expect(await deliveries.listDropped(10)).toEqual([]);
  });

  it("gives a peer that answers again its backlog at once, in order, after 503s and refused connections", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const target = `${inbox.base()}/inbox`;
    let now = Date.now();
    await t.services.store.federation.deliveries.enqueue(items(target, 1, 30), now);
    const accepted: number[] = [];
    let up = false;
    inbox.respond = (r) => {
      if (!up) return { status: 503 };
      accepted.push(r.body["n"] as number);
      return { status: 202 };
    };
    const w = deliveryWorker(cleanup, t, { clock: () => now, pollMs: 10 });
    const head = async () => (await t.services.store.federation.deliveries.pendingInboxes(now, 10))[0];
    /** Waits for the worker to record the head's `n`th failure. */
    const failed = (n: number) => until(async () => (await head())?.headAttempts === n);
    /** Moves the clock to the head's next try. */
    const next = async () => {
      now = (await head())!.nextAttemptAt;
    };
    w.start();
    await failed(1);
    await next();
    await failed(2);
    // the peer goes away entirely: connections are refused
    await inbox.refuse();
    await next();
    await failed(3);
    // A kept-alive connection the peer closed as it went away may be reset before it is seen closed.
    expect((await head())?.lastError).toMatch(/ECONNREFUSED|ECONNRESET/);
    expect((await head())?.items).toBe(30);
    // it comes back at the head's next try, and from then on the clock stands still
    await inbox.listen();
    up = true;
    await next();
    await until(() => accepted.length === 30, 20_000);
    expect(accepted).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(numbers(inbox.received).slice(0, 2)).toEqual([1, 1]);
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 0);
    expect((await t.services.store.federation.peerHealth.get("127.0.0.1"))?.firstFailureAt).toBeNull();
  });

  it("retries what a peer may take later and drops what it cannot read", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    // a 403 page from a proxy is retried; a 403 with a JSON body is the application refusing the activity
    const retried = ["301", "302", "401", "403-html", "404", "408", "425", "429", "500", "502", "503", "504"];
    const dropped = ["400", "403-json", "405", "409", "413", "415", "422", "451", "410"];
    const { deliveries, follows } = t.services.store.federation;
    await follow(t, `${inbox.base()}/users/gone`, `${inbox.base()}/users/gone/inbox`, `${inbox.base()}/s/410`);
    await follow(t, `${inbox.base()}/users/kept`, `${inbox.base()}/users/kept/inbox`, `${inbox.base()}/s/400`);
    const now = Date.now();
    await deliveries.enqueue(
      [...retried, ...dropped].flatMap((s, k) => items(`${inbox.base()}/s/${s}`, k, k)),
      now,
    );
    inbox.respond = (r) => {
      const [code, kind] = r.path.slice(3).split("-");
      const status = Number(code);
      const headers: Record<string, string> = {};
      if (status < 400) headers["location"] = `${inbox.base()}/elsewhere`;
      if (kind === "html") headers["content-type"] = "text/html";
      if (kind === "json") headers["content-type"] = "application/problem+json";
      return { status, headers };
    };
    const w = deliveryWorker(cleanup, t, { clock: () => now, perDomain: 50, concurrency: 50 });
    expect(await w.runOnce()).toBe(retried.length + dropped.length);
    const last = (url: string) => url.split("/").at(-1);
    const pending = await deliveries.pendingInboxes(now, 100);
    expect(pending.map((p) => last(p.inbox)).sort()).toEqual([...retried].sort());
    for (const p of pending) {
      expect(p).toMatchObject({ headAttempts: 1, items: 1, failingSince: now });
      expect(p.nextAttemptAt).toBeGreaterThan(now);
    }
    const gaveUp = await deliveries.listDropped(100);
    expect(gaveUp.map((d) => last(d.inbox)).sort()).toEqual([...dropped].sort());
    for (const d of gaveUp) expect(d.lastError).toMatch(new RegExp(`^HTTP ${last(d.inbox)!.slice(0, 3)}`));
    // a 410 ends the follows delivered to that inbox; a 400 does not
    expect((await follows.followersOf("b")).map((f) => f.actorId)).toEqual([`${inbox.base()}/users/kept`]);
  });

  it("waits as long as Retry-After asks, up to an hour", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const now = Date.now();
    const { deliveries } = t.services.store.federation;
    await deliveries.enqueue([...items(`${inbox.base()}/a`, 1, 1), ...items(`${inbox.base()}/b`, 2, 2)], now);
    inbox.respond = (r) => ({ status: 429, headers: { "retry-after": r.path === "/a" ? "120" : "86400" } });
    const w = deliveryWorker(cleanup, t, { clock: () => now, random: () => 0.5 });
    expect(await w.runOnce()).toBe(2);
    const next = new Map((await deliveries.pendingInboxes(now, 10)).map((p) => [p.inbox, p.nextAttemptAt - now]));
    expect(next.get(`${inbox.base()}/a`)).toBe(120_000);
    expect(next.get(`${inbox.base()}/b`)).toBe(3_600_000);
  });

  it("spaces the tries of a failing destination by a tenth of its outage, from 2 s to 5 min", () => {
    const o = { share: 0.1, minMs: 2000, maxMs: 300_000 };
    expect(retrySpacing(0, { ...o, random: () => 0.5 })).toBe(2000);
    expect(retrySpacing(60_000, { ...o, random: () => 0.5 })).toBe(6000);
    expect(retrySpacing(600_000, { ...o, random: () => 0 })).toBe(48_000);
    expect(retrySpacing(600_000, { ...o, random: () => 0.999_999 })).toBe(72_000);
    expect(retrySpacing(3_600_000, { ...o, random: () => 0.5 })).toBe(300_000);
    expect(retrySpacing(30 * 86_400_000, { ...o, random: () => 0.999_999 })).toBe(360_000);
    expect(["delivered", "retry", "gone", "drop"]).toEqual([201, 503, 410, 400].map((s) => verdictOf(s)));
    expect(verdictOf(403, "text/html; charset=utf-8")).toBe("retry");
    expect(verdictOf(403, "application/activity+json")).toBe("drop");
    expect(verdictOf(401, "application/json")).toBe("retry");
  });

  it("gives up only after 7 days of failures, keeping what it gave up on", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t);
    const target = `${inbox.base()}/inbox`;
    const start = Date.now();
    let now = start;
    const { deliveries } = t.services.store.federation;
    await deliveries.enqueue(items(target, 1, 2), now);
    inbox.respond = () => ({ status: 503 });
    const w = deliveryWorker(cleanup, t, { clock: () => now });
    // down for six days and more: tried every five minutes at most, nothing lost
    for (const at of [0, 1, 3, 6].map((d) => start + d * DAY)) {
      now = at;
      expect(await w.runOnce()).toBe(1);
      expect(await deliveries.countPending()).toBe(2);
      expect((await deliveries.pendingInboxes(now, 10))[0]!.nextAttemptAt - now).toBeLessThanOrEqual(360_000);
    }
    // an item queued on the sixth day is younger than the horizon when the first ones pass it
    await deliveries.enqueue(items(target, 3, 3), now);
    now = start + 7 * DAY;
    expect(await w.runOnce()).toBe(1);
    expect(await deliveries.countPending()).toBe(1);
    const gaveUp = await deliveries.listDropped(10);
    expect(gaveUp.map((d) => JSON.parse(d.body).n)).toEqual([2, 1]);
    expect(gaveUp[0]!.lastError).toMatch(/^Gave up after 7\.0 days of failures: HTTP 503/);
    expect(inbox.received).toHaveLength(5);
  });

  it("drops what the guarded client refuses (a private address when they are not allowed)", async () => {
    const t = await deliveryInstance(cleanup, { env: { ALLOW_PRIVATE_ADDRESSES: "off" } });
    await t.services.store.federation.deliveries.enqueue(items("https://127.0.0.1/users/h/inbox", 1, 1));
    const w = deliveryWorker(cleanup, t);
    expect(await w.runOnce()).toBe(1);
    expect((await t.services.store.federation.deliveries.listDropped(10))[0]?.lastError).toMatch(
      /^Refused \(private_address\)/,
    );
  });

  it("keeps at most perDomain requests in flight per domain, and one per inbox", async () => {
    const t = await deliveryInstance(cleanup);
    const inbox = await fakeInbox(cleanup, () => t, ["127.0.0.2", "127.0.0.3"]);
    const { deliveries } = t.services.store.federation;
    for (const address of ["127.0.0.2", "127.0.0.3"]) {
      for (let i = 0; i < 6; i++) await deliveries.enqueue(items(`${inbox.base(address)}/u${i}/inbox`, 1, 2));
    }
    let maxPerInbox = 0;
    const current = new Map<string, number>();
    inbox.respond = (r) => {
      const n = (current.get(r.inbox) ?? 0) + 1;
      current.set(r.inbox, n);
      maxPerInbox = Math.max(maxPerInbox, n);
      setTimeout(() => current.set(r.inbox, (current.get(r.inbox) ?? 1) - 1), 50);
      return { status: 202, delayMs: 50 };
    };
    const w = deliveryWorker(cleanup, t, { concurrency: 8, perDomain: 2, pollMs: 20 });
    w.start();
    await until(async () => (await deliveries.countPending()) === 0, 20_000);
    await w.stop();
    expect(inbox.received).toHaveLength(24);
    expect(inbox.received.every((r) => r.verified)).toBe(true);
    expect(inbox.maxConcurrent.get("127.0.0.2")).toBe(2);
    expect(inbox.maxConcurrent.get("127.0.0.3")).toBe(2);
    expect(inbox.maxConcurrentTotal).toBeLessThanOrEqual(4);
    expect(maxPerInbox).toBe(1);
  });

  it("delivers a queue left by a web-only process once an instance with a worker opens the same data", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "atoll-delivery-"));
    cleanup.add(() => rm(dataDir, { recursive: true, force: true }));
    let t = await deliveryInstance(cleanup, { dataDir });
    const inbox = await fakeInbox(cleanup, () => t);
    await follow(t, `${inbox.base()}/users/jo`, `${inbox.base()}/users/jo/inbox`, `${inbox.base()}/inbox`);
    await thread(t);
    await queued(t, 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inbox.received).toHaveLength(0);
    await t.stop();

    t = await deliveryInstance(cleanup, { role: "all", dataDir, board: false });
    await inbox.waitFor((r) => r.length === 2, 5000);
    expect(inbox.received.every((r) => r.verified)).toBe(true);
    await queued(t, 0);
  });

  it("queues nothing with FEDERATION=off", async () => {
    const t = await deliveryInstance(cleanup, { env: { FEDERATION: "off" }, role: "all" });
    const inbox = await fakeInbox(cleanup, () => t);
    await follow(t, `${inbox.base()}/users/kim`, `${inbox.base()}/users/kim/inbox`, null);
    const no = await thread(t);
    await t.services.posting.createReply({ board: "b", threadNo: no, comment: "reply", ip: "192.0.2.1" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await t.services.store.federation.deliveries.countPending()).toBe(0);
    expect(inbox.received).toHaveLength(0);
  });
});
