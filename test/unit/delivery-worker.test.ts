import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { FederationContext } from "../../federation/context.js";
import { DeliveryWorker, type DeliveryWorkerOptions } from "../../federation/delivery/worker.js";
import { FederationIds } from "../../federation/ids.js";
import { LocalKeys } from "../../federation/keys.js";
import { FakeInbox, until } from "../support/fake-inbox.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PUBLIC_URL = "http://atoll.test";
const BOARD_ACTOR = `${PUBLIC_URL}/ap/boards/b`;

/** Everything a test made, torn down after it. */
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/**
 * An instance whose own worker does not run (ATOLL_ROLE=web), so the test drives a worker of its
 * own with an injected clock. Its publisher still queues what is posted.
 */
async function instance(env: Record<string, string> = {}, role = "web", dataDir?: string): Promise<TestInstance> {
  const t = await startTestInstance(
    { PUBLIC_URL, ALLOW_PRIVATE_ADDRESSES: "on", ATOLL_ROLE: role, ...env },
    dataDir ? { dataDir } : {},
  );
  // Stopping twice (a test that restarts, then the cleanup) stops once.
  const stop = t.stop;
  let stopped: Promise<void> | null = null;
  t.stop = () => {
    stopped ??= stop();
    return stopped;
  };
  cleanup.push(() => t.stop());
  return t;
}

async function board(t: TestInstance, uri = "b"): Promise<void> {
  await t.services.boards.create({ uri, title: uri, settings: { requireImageForThread: false } });
}

/** A fake inbox that checks signatures with the keys the instance publishes (GET /ap/boards/b…). */
async function fakeInbox(get: () => TestInstance, addresses?: string[]): Promise<FakeInbox> {
  const inbox = await FakeInbox.start({
    ...(addresses ? { addresses } : {}),
    publicKeyOf: async (actorId) => {
      const res = await request(get().app).get(new URL(actorId).pathname).set("Accept", "application/activity+json");
      return JSON.parse(res.text).publicKey.publicKeyPem as string;
    },
  });
  cleanup.push(() => inbox.close());
  return inbox;
}

/** An accepted inbound follow of a board by a remote actor delivered at `inbox` (or its shared inbox). */
async function follow(t: TestInstance, boardUri: string, actor: string, inbox: string, sharedInbox: string | null) {
  const { follows } = t.services.store.federation;
  await follows.add({
    id: `${actor}#follow-${boardUri}`,
    actorId: actor,
    objectId: `${PUBLIC_URL}/ap/boards/${boardUri}`,
    board: boardUri,
    direction: "inbound",
    state: "pending",
    inbox,
    sharedInbox,
    domain: new URL(actor).hostname,
    createdAt: Date.now(),
  });
  await follows.accept(actor, `${PUBLIC_URL}/ap/boards/${boardUri}`);
}

function worker(t: TestInstance, opts: DeliveryWorkerOptions = {}): DeliveryWorker {
  const ids = new FederationIds(t.services.config.publicUrl);
  const ctx = new FederationContext(t.services, ids, new LocalKeys(t.services.store.federation.keys));
  const w = new DeliveryWorker(ctx, opts);
  cleanup.push(() => w.stop());
  return w;
}

async function thread(t: TestInstance, boardUri = "b"): Promise<number> {
  const no = (await t.services.posting.createThread({ board: boardUri, comment: "hello", ip: "192.0.2.1" })).no;
  // The publisher reads the followers on a later turn; let it, so a follow added next does not see this thread.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return no;
}

async function reply(t: TestInstance, threadNo: number, boardUri = "b"): Promise<number> {
  return (await t.services.posting.createReply({ board: boardUri, threadNo, comment: "reply", ip: "192.0.2.1" })).no;
}

/** Waits until the publisher (which queues on a later turn) has queued `n` items. */
async function queued(t: TestInstance, n: number): Promise<void> {
  await until(async () => (await t.services.store.federation.deliveries.countPending()) === n);
}

describe("DeliveryWorker", () => {
  it("delivers signed Announces and removes delivered items from the queue", async () => {
    const t = await instance();
    await board(t);
    const inbox = await fakeInbox(() => t);
    await follow(t, "b", `${inbox.base()}/users/alice`, `${inbox.base()}/users/alice/inbox`, `${inbox.base()}/inbox`);
    const no = await thread(t);
    await queued(t, 2);

    const now = Date.now();
    const w = worker(t, { clock: () => now });
    expect(await w.runOnce()).toBe(2);
    expect(await t.services.store.federation.deliveries.countPending()).toBe(0);
    expect(inbox.received).toHaveLength(2);
    for (const r of inbox.received) {
      expect(r.verifyError).toBeNull();
      expect(r.verified).toBe(true);
      expect(r.keyId).toBe(`${BOARD_ACTOR}#main-key`);
      expect(r.path).toBe("/inbox");
      expect(r.body["@context"]).toEqual(["https://www.w3.org/ns/activitystreams", `${PUBLIC_URL}/ns/atoll.jsonld`]);
    }
    const noteId = `${PUBLIC_URL}/b/thread/${no}`;
    const wrapped = inbox.received.find((r) => typeof r.body["object"] === "object")!.body;
    expect(wrapped).toMatchObject({
      type: "Announce",
      actor: BOARD_ACTOR,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      cc: [`${BOARD_ACTOR}/followers`],
      audience: BOARD_ACTOR,
      object: { type: "Create", id: `${noteId}#create`, object: { type: "Note", id: noteId } },
    });
    const boost = inbox.received.find((r) => typeof r.body["object"] === "string")!.body;
    expect(boost).toMatchObject({ type: "Announce", actor: BOARD_ACTOR, object: noteId });
    expect(await t.services.store.federation.domains.get("127.0.0.1")).toMatchObject({
      consecutiveFailures: 0,
      lastSuccessAt: now,
    });
  });

  it("retries a 500 with exponential back-off, then delivers", async () => {
    const t = await instance();
    await board(t);
    const no = await thread(t);
    const inbox = await fakeInbox(() => t);
    await follow(t, "b", `${inbox.base()}/users/bob`, `${inbox.base()}/users/bob/inbox`, null);
    await reply(t, no);
    await queued(t, 1);

    let now = Date.now();
    const w = worker(t, { clock: () => now });
    inbox.respond = () => ({ status: 500 });
    expect(await w.runOnce()).toBe(1);
    expect(inbox.received).toHaveLength(1);
    const { deliveries, domains } = t.services.store.federation;
    expect(await deliveries.countPending()).toBe(1);
    expect((await domains.get("127.0.0.1"))?.consecutiveFailures).toBe(1);

    // 30 s ± 20 %: not due after 20 s, due after 40 s.
    now += 20_000;
    expect(await w.runOnce()).toBe(0);
    now += 20_000;
    inbox.respond = () => ({ status: 202 });
    expect(await w.runOnce()).toBe(1);
    expect(inbox.received).toHaveLength(2);
    expect(inbox.received[1]!.path).toBe("/users/bob/inbox");
    expect(await deliveries.countPending()).toBe(0);
    expect((await domains.get("127.0.0.1"))?.consecutiveFailures).toBe(0);
    expect(await deliveries.listDropped(10)).toEqual([]);
  });

  it("computes back-off as 30 s × 2^attempts with jitter, capped at 6 h", async () => {
    const t = await instance();
    const low = worker(t, { random: () => 0 });
    const high = worker(t, { random: () => 0.999999 });
    expect(low.backoff(0)).toBe(24_000);
    expect(high.backoff(0)).toBeCloseTo(36_000, -2);
    expect(low.backoff(3)).toBe(192_000);
    expect(high.backoff(20)).toBe(6 * 3600_000);
  });

  it("gives up on an item once it is older than 48 h", async () => {
    const t = await instance();
    await board(t);
    const no = await thread(t);
    const inbox = await fakeInbox(() => t);
    await follow(t, "b", `${inbox.base()}/users/carol`, `${inbox.base()}/users/carol/inbox`, null);
    await reply(t, no);
    await queued(t, 1);
    inbox.respond = () => ({ status: 503 });
    const now = Date.now() + 49 * 3600_000;
    const w = worker(t, { clock: () => now });
    expect(await w.runOnce()).toBe(1);
    expect(await t.services.store.federation.deliveries.countPending()).toBe(0);
    const [dropped] = await t.services.store.federation.deliveries.listDropped(10);
    expect(dropped?.lastError).toMatch(/^Gave up after 49\.0 h: HTTP 503/);
  });

  it("drops on 410 and removes the followers delivered to that inbox; keeps the others", async () => {
    const t = await instance();
    await board(t);
    const no = await thread(t);
    const inbox = await fakeInbox(() => t);
    const gone = `${inbox.base()}/gone/inbox`;
    await follow(t, "b", `${inbox.base()}/users/dave`, `${inbox.base()}/users/dave/inbox`, gone);
    await follow(t, "b", `${inbox.base()}/users/erin`, `${inbox.base()}/users/erin/inbox`, gone);
    await follow(t, "b", `${inbox.base()}/users/frank`, `${inbox.base()}/users/frank/inbox`, null);
    await reply(t, no);
    await queued(t, 2);
    inbox.respond = (r) => ({ status: r.path === "/gone/inbox" ? 410 : 202 });
    const w = worker(t);
    expect(await w.runOnce()).toBe(2);
    const { deliveries, follows } = t.services.store.federation;
    expect(await deliveries.countPending()).toBe(0);
    const dropped = await deliveries.listDropped(10);
    expect(dropped.map((d) => [d.inbox, d.lastError])).toEqual([[gone, expect.stringMatching(/^HTTP 410/)]]);
    expect((await follows.followersOf("b")).map((f) => f.actorId)).toEqual([`${inbox.base()}/users/frank`]);
  });

  it("drops on 400 without retrying and keeps the follower", async () => {
    const t = await instance();
    await board(t);
    const no = await thread(t);
    const inbox = await fakeInbox(() => t);
    await follow(t, "b", `${inbox.base()}/users/gina`, `${inbox.base()}/users/gina/inbox`, null);
    await reply(t, no);
    await queued(t, 1);
    inbox.respond = () => ({ status: 400 });
    let now = Date.now();
    const w = worker(t, { clock: () => now });
    expect(await w.runOnce()).toBe(1);
    now += 3600_000;
    expect(await w.runOnce()).toBe(0);
    expect(inbox.received).toHaveLength(1);
    const { deliveries, follows } = t.services.store.federation;
    expect(await deliveries.countPending()).toBe(0);
    expect((await deliveries.listDropped(10))[0]?.lastError).toMatch(/^HTTP 400/);
    expect(await follows.countFollowers("b")).toBe(1);
  });

  it("drops what the guarded client refuses (a private address when they are not allowed)", async () => {
    const t = await instance({ ALLOW_PRIVATE_ADDRESSES: "off" });
    await board(t);
    const no = await thread(t);
    await follow(t, "b", "https://127.0.0.1/users/h", "https://127.0.0.1/users/h/inbox", null);
    await reply(t, no);
    await queued(t, 1);
    const w = worker(t);
    expect(await w.runOnce()).toBe(1);
    expect((await t.services.store.federation.deliveries.listDropped(10))[0]?.lastError).toMatch(
      /^Refused \(private_address\)/,
    );
  });

  it("keeps at most perDomain requests in flight per domain", async () => {
    const t = await instance();
    await board(t);
    const no = await thread(t);
    const inbox = await fakeInbox(() => t, ["127.0.0.2", "127.0.0.3"]);
    for (const address of ["127.0.0.2", "127.0.0.3"]) {
      for (let i = 0; i < 6; i++) {
        const base = inbox.base(address);
        await follow(t, "b", `${base}/users/u${i}`, `${base}/users/u${i}/inbox`, null);
      }
    }
    await reply(t, no);
    await queued(t, 12);
    inbox.respond = () => ({ status: 202, delayMs: 100 });
    const w = worker(t, { concurrency: 8, perDomain: 2, pollMs: 20 });
    w.start();
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 0, 10_000);
    await w.stop();
    expect(inbox.received).toHaveLength(12);
    expect(inbox.received.every((r) => r.verified)).toBe(true);
    expect(inbox.maxConcurrent.get("127.0.0.2")).toBe(2);
    expect(inbox.maxConcurrent.get("127.0.0.3")).toBe(2);
    expect(inbox.maxConcurrentTotal).toBeLessThanOrEqual(4);
  });

  it("postpones a dead domain's items to its next probe instead of sending them", async () => {
    const t = await instance();
    await board(t);
    const no = await thread(t);
    const inbox = await fakeInbox(() => t);
    await follow(t, "b", `${inbox.base()}/users/ivy`, `${inbox.base()}/users/ivy/inbox`, null);
    const start = Date.now();
    // Ten failures in a row over two hours, the last just now: the domain is dead and next probed in
    // 30 min (a quarter of the outage).
    const { domains, deliveries } = t.services.store.federation;
    for (let i = 0; i < 10; i++) await domains.recordFailure("127.0.0.1", start - (9 - i) * 800_000);
    const lastFailure = start;
    await reply(t, no);
    await queued(t, 1);

    let now = Date.now();
    const w = worker(t, { clock: () => now });
    expect(await w.runOnce()).toBe(1);
    expect(inbox.received).toHaveLength(0);
    expect(await deliveries.countPending()).toBe(1);
    const probe = lastFailure + (9 * 800_000) / 4;
    now = probe - 1000;
    expect(await w.runOnce()).toBe(0);
    now = probe;
    expect(await w.runOnce()).toBe(1);
    expect(inbox.received).toHaveLength(1);
    expect(await deliveries.countPending()).toBe(0);
    expect((await domains.get("127.0.0.1"))?.consecutiveFailures).toBe(0);
  });

  it("delivers a queue left by a web-only process once an instance with a worker opens the same data", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "atoll-delivery-"));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    let t = await instance({}, "web", dataDir);
    await board(t);
    const inbox = await fakeInbox(() => t);
    await follow(t, "b", `${inbox.base()}/users/jo`, `${inbox.base()}/users/jo/inbox`, `${inbox.base()}/inbox`);
    await thread(t);
    await queued(t, 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inbox.received).toHaveLength(0);
    await t.stop();

    t = await instance({}, "all", dataDir);
    await inbox.waitFor((r) => r.length === 2, 5000);
    expect(inbox.received.every((r) => r.verified)).toBe(true);
    await queued(t, 0);
  });

  it("queues nothing with FEDERATION=off", async () => {
    const t = await instance({ FEDERATION: "off" }, "all");
    await board(t);
    const inbox = await fakeInbox(() => t);
    await follow(t, "b", `${inbox.base()}/users/kim`, `${inbox.base()}/users/kim/inbox`, null);
    const no = await thread(t);
    await reply(t, no);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await t.services.store.federation.deliveries.countPending()).toBe(0);
    expect(inbox.received).toHaveLength(0);
  });
});
