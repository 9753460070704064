import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeInbox, type Received, until } from "../support/fake-inbox.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PUBLIC_URL = "http://atoll.test";
const AP = "application/activity+json";

/** The inbox's addresses: ten loopback hosts, so ten domains with their own per-domain limits. */
const ADDRESSES = Array.from({ length: 10 }, (_, i) => `127.0.0.${20 + i}`);

describe("outbound delivery, end to end", () => {
  let t: TestInstance;
  let inbox: FakeInbox;

  beforeAll(async () => {
    // The instance's own worker delivers (the default role), as in production.
    t = await startTestInstance({ PUBLIC_URL, ALLOW_PRIVATE_ADDRESSES: "on", ATOLL_ROLE: "all" });
    for (const uri of ["b", "c"]) {
      await t.services.boards.create({ uri, title: uri, settings: { requireImageForThread: false } });
    }
    inbox = await FakeInbox.start({
      addresses: ADDRESSES,
      publicKeyOf: async (actorId) => {
        const res = await request(t.app).get(new URL(actorId).pathname).set("Accept", AP);
        return JSON.parse(res.text).publicKey.publicKeyPem as string;
      },
    });
  });

  afterAll(async () => {
    await inbox.close();
    await t.stop();
  });

  async function follow(board: string, actor: string, ownInbox: string, sharedInbox: string | null): Promise<void> {
    const { follows } = t.services.store.federation;
    const object = `${PUBLIC_URL}/ap/boards/${board}`;
    await follows.add({
      id: `${actor}#follow-${board}`,
      actorId: actor,
      objectId: object,
      board,
      direction: "inbound",
      state: "pending",
      inbox: ownInbox,
      sharedInbox,
      domain: new URL(actor).hostname,
      createdAt: Date.now(),
    });
    await follows.accept(actor, object);
  }

  it("answers a new thread at once and delivers the board's signed Announces in the background", async () => {
    const base = inbox.base(ADDRESSES[0]);
    await follow("b", `${base}/users/alice`, `${base}/users/alice/inbox`, `${base}/shared/b`);
    // A slow peer: every answer takes 2 s. The poster must not wait for it.
    inbox.respond = () => ({ status: 202, delayMs: 2000 });

    const started = performance.now();
    const res = await request(t.app).post("/api/v1/boards/b/threads").send({ sub: "Hello", com: "fediverse" });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(201);
    expect(elapsed).toBeLessThan(1000);

    const noteId: string = res.body.ap_id;
    const forB = (r: Received[]) => r.filter((x) => x.path === "/shared/b");
    await inbox.waitFor((r) => forB(r).length === 2, 5000);
    const got = forB(inbox.received);
    expect(got.every((r) => r.verified && r.keyId === `${PUBLIC_URL}/ap/boards/b#main-key`)).toBe(true);
    const wrapped = got.find((r) => typeof r.body["object"] === "object")!.body;
    expect(wrapped).toMatchObject({
      type: "Announce",
      actor: `${PUBLIC_URL}/ap/boards/b`,
      object: { type: "Create", object: { type: "Note", id: noteId, name: "Hello" } },
    });
    const boost = got.find((r) => typeof r.body["object"] === "string")!.body;
    expect(boost).toMatchObject({ type: "Announce", actor: `${PUBLIC_URL}/ap/boards/b`, object: noteId });
    inbox.respond = () => ({ status: 202 });
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 0, 5000);
  });

  it("fans a new thread out to 1,000 followers as one request per shared inbox and activity", async () => {
    // 1,000 followers on 50 shared inboxes: five paths on each of ten hosts.
    const shared = ADDRESSES.flatMap((a) => Array.from({ length: 5 }, (_, i) => `${inbox.base(a)}/shared/c${i}`));
    for (let i = 0; i < 1000; i++) {
      const sharedInbox = shared[i % shared.length]!;
      const origin = new URL(sharedInbox).origin;
      await follow("c", `${origin}/users/f${i}`, `${origin}/users/f${i}/inbox`, sharedInbox);
    }
    expect(await t.services.store.federation.follows.inboxesForBoard("c")).toHaveLength(50);
    const seen = inbox.received.length;

    const started = performance.now();
    const res = await request(t.app).post("/api/v1/boards/c/threads").send({ com: "to everyone" });
    expect(res.status).toBe(201);
    const noteId: string = res.body.ap_id;
    // A thread's OP goes out as two activities (Announce(Create) and the boost): 50 requests each.
    await inbox.waitFor((r) => r.length - seen >= 100, 10_000);
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 0, 5000);
    const elapsed = performance.now() - started;
    console.log(`1,000 followers on 50 shared inboxes: 100 signed requests delivered in ${elapsed.toFixed(0)} ms`);

    const got = inbox.received.slice(seen);
    expect(got).toHaveLength(100);
    expect(got.every((r) => r.verified)).toBe(true);
    const announces = got.filter((r) => typeof r.body["object"] === "object");
    const boosts = got.filter((r) => r.body["object"] === noteId);
    expect(announces).toHaveLength(50);
    expect(boosts).toHaveLength(50);
    expect(new Set(announces.map((r) => r.inbox))).toEqual(new Set(shared));
    expect(new Set(boosts.map((r) => r.inbox))).toEqual(new Set(shared));
    for (const a of ADDRESSES) expect(inbox.maxConcurrent.get(a) ?? 0).toBeLessThanOrEqual(2);
    expect(elapsed).toBeLessThan(5000);
  });
});
