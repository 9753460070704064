import { createServer } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeInbox, type Received, until } from "../support/fake-inbox.js";
import { type FakeActor, FakePeer, type PeerReceived, postSigned } from "../support/fake-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PUBLIC_URL = "http://atoll.test";
const AP = "application/activity+json";
const AS = "https://www.w3.org/ns/activitystreams";

/** The fan-out's addresses: ten loopback hosts, so ten domains with their own per-domain limits. */
const ADDRESSES = Array.from({ length: 10 }, (_, i) => `127.0.0.${20 + i}`);
/** Software the fan-out's hosts report in NodeInfo: half group-aware, half microblogs. */
const SOFTWARE = ["lemmy", "mastodon", "mbin", "misskey", "piefed", "gotosocial", "Lemmy", "akkoma", "kbin", "pleroma"];
/** A host that serves no NodeInfo: its software stays unknown. */
const UNKNOWN_HOST = "127.0.0.30";

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
      addresses: [...ADDRESSES, UNKNOWN_HOST],
      publicKeyOf: async (actorId) => {
        const res = await request(t.app).get(new URL(actorId).pathname).set("Accept", AP);
        return JSON.parse(res.text).publicKey.publicKeyPem as string;
      },
    });
    for (const [i, a] of ADDRESSES.entries()) inbox.serveNodeInfo(a, SOFTWARE[i]!);
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
    // A follower whose software is unknown (no NodeInfo) gets both the Announce(Create) and the boost.
    const base = inbox.base(UNKNOWN_HOST);
    await follow("b", `${base}/users/alice`, `${base}/users/alice/inbox`, `${base}/shared/b`);
    // A peer that answers nothing until the poster has had the answer: a poster waiting for the
    // peer would never get one.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    inbox.respond = () => ({ status: 202, hold: answered });

    const res = await request(t.app).post("/api/v1/boards/b/threads").send({ sub: "Hello", com: "fediverse" });
    expect(res.status).toBe(201);
    answer();

    const noteId: string = res.body.ap_id;
    const forB = (r: Received[]) => r.filter((x) => x.path === "/shared/b");
    await inbox.waitFor((r) => forB(r).length === 2, 5000);
    const got = forB(inbox.received);
    expect(got).toHaveLength(2);
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

  it("fans a new thread out to 1,000 followers on known software as one request per shared inbox", async () => {
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
    // A thread's OP is two activities, Announce(Create) for group-aware software and the boost for
    // microblogs; each host's software is learnt from its NodeInfo, so each inbox gets one of them.
    await inbox.waitFor((r) => r.length - seen >= 50, 10_000);
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 0, 5000);
    const elapsed = performance.now() - started;
    console.log(`1,000 followers on 50 shared inboxes: 50 signed requests delivered in ${elapsed.toFixed(0)} ms`);

    const got = inbox.received.slice(seen);
    expect(got).toHaveLength(50);
    expect(got.every((r) => r.verified)).toBe(true);
    expect(new Set(got.map((r) => r.inbox))).toEqual(new Set(shared));
    const groupAware = new Set(ADDRESSES.filter((_, i) => i % 2 === 0));
    const announces = got.filter((r) => typeof r.body["object"] === "object");
    const boosts = got.filter((r) => r.body["object"] === noteId);
    expect(announces).toHaveLength(25);
    expect(boosts).toHaveLength(25);
    expect(announces.every((r) => groupAware.has(r.address))).toBe(true);
    expect(boosts.every((r) => !groupAware.has(r.address))).toBe(true);
    // Each host was asked once, and its answer is kept.
    for (const a of ADDRESSES) expect(inbox.fetched.filter((f) => f === `${a} /.well-known/nodeinfo`)).toHaveLength(1);
    expect((await t.services.store.federation.instances.get(ADDRESSES[6]!))?.software).toBe("lemmy");
    for (const a of ADDRESSES) expect(inbox.maxConcurrent.get(a) ?? 0).toBeLessThanOrEqual(2);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Makes the peer's NodeInfo name `software` (2.0, linked from the well-known document). */
function serveNodeInfo(peer: FakePeer, software: string): void {
  const schema = "http://nodeinfo.diaspora.software/ns/schema/2.0";
  const json = { type: "application/json" };
  peer.serve("/.well-known/nodeinfo", { links: [{ rel: schema, href: `${peer.url}/nodeinfo/2.0` }] }, json);
  peer.serve("/nodeinfo/2.0", { version: "2.0", software: { name: software, version: "4.3.1" } }, json);
}

describe("one request per follower instance, chosen by its software", () => {
  let t: TestInstance;
  const peers: Record<"mastodon" | "lemmy" | "unknown", { peer: FakePeer; actor: FakeActor }> = {} as never;
  let boardId: string;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestInstance(
      { ALLOW_PRIVATE_ADDRESSES: "on", PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port), ATOLL_ROLE: "all" },
      { listen: true },
    );
    await t.services.boards.create({ uri: "s", title: "Software", settings: { requireImageForThread: false } });
    boardId = `${t.url}/ap/boards/s`;
    const hosts = { mastodon: "127.0.0.41", lemmy: "127.0.0.42", unknown: "127.0.0.43" } as const;
    for (const kind of ["mastodon", "lemmy", "unknown"] as const) {
      const peer = await FakePeer.start(hosts[kind]);
      if (kind !== "unknown") serveNodeInfo(peer, kind === "lemmy" ? "Lemmy" : "mastodon");
      peers[kind] = { peer, actor: peer.actor(`${kind}-user`) };
    }
  });

  afterAll(async () => {
    await t?.stop();
    for (const { peer } of Object.values(peers)) await peer.close();
  });

  /** What a peer's shared inbox received from the board. */
  const atShared = (kind: keyof typeof peers): PeerReceived[] =>
    peers[kind].peer.received.filter((r) => r.path === "/inbox" && r.body["actor"] === boardId);

  it("learns each follower's software when its Follow is accepted", async () => {
    for (const { peer, actor } of Object.values(peers)) {
      const follow = { "@context": AS, id: `${actor.id}#follow-s`, type: "Follow", actor: actor.id, object: boardId };
      const res = await postSigned(`${t.url}/ap/inbox`, follow, actor);
      expect(res.status).toBe(202);
      await peer.waitFor((r) => r.path === `${new URL(actor.inbox).pathname}` && r.body["type"] === "Accept");
    }
    const { instances } = t.services.store.federation;
    await until(async () => (await instances.list()).length === 3);
    const records = await instances.list();
    expect(records.map((r) => [r.domain, r.software])).toEqual([
      ["127.0.0.41", "mastodon"],
      ["127.0.0.42", "lemmy"],
      ["127.0.0.43", null],
    ]);
    expect(records[0]).toMatchObject({ version: "4.3.1", lastError: null });
    expect(records[2]?.lastError).toMatch(/404/);
    // NodeInfo was asked once per instance, at the well-known address and then the linked document.
    expect(peers.mastodon.peer.fetched.filter((p) => p.includes("nodeinfo"))).toEqual([
      "/.well-known/nodeinfo",
      "/nodeinfo/2.0",
    ]);
  });

  it("sends a new thread as a boost to Mastodon, as Announce(Create) to Lemmy, and both to the unknown", async () => {
    const res = await request(t.app).post("/api/v1/boards/s/threads").send({ sub: "Per software", com: "one each" });
    expect(res.status).toBe(201);
    const noteId: string = res.body.ap_id;
    await until(async () => atShared("unknown").length === 2, 5000);
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 0, 5000);
    await new Promise((r) => setTimeout(r, 100));

    const mastodon = atShared("mastodon");
    expect(mastodon).toHaveLength(1);
    expect(mastodon[0]?.body).toMatchObject({ type: "Announce", actor: boardId, object: noteId });

    const lemmy = atShared("lemmy");
    expect(lemmy).toHaveLength(1);
    expect(lemmy[0]?.body).toMatchObject({
      type: "Announce",
      actor: boardId,
      object: { type: "Create", object: { id: noteId, type: "Note", name: "Per software" } },
    });

    const unknown = atShared("unknown").map((r) => r.body);
    expect(unknown.map((b) => (typeof b["object"] === "string" ? "boost" : "announce")).sort()).toEqual([
      "announce",
      "boost",
    ]);
  });

  it("sends a reply to group-aware and unknown followers only", async () => {
    const before = { mastodon: atShared("mastodon").length, lemmy: atShared("lemmy").length };
    const unknownBefore = atShared("unknown").length;
    const op = await t.services.posting.createThread({ board: "s", comment: "op", ip: "192.0.2.7" });
    await until(async () => atShared("unknown").length === unknownBefore + 2, 5000);
    await t.services.posting.createReply({ board: "s", threadNo: op.no, comment: "a reply", ip: "192.0.2.7" });
    await until(async () => atShared("unknown").length === unknownBefore + 3, 5000);
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 0, 5000);
    await new Promise((r) => setTimeout(r, 100));

    // The thread: one request each for the known; the reply: nothing more for Mastodon.
    expect(atShared("mastodon")).toHaveLength(before.mastodon + 1);
    const lemmy = atShared("lemmy").slice(before.lemmy);
    expect(lemmy).toHaveLength(2);
    expect(lemmy[1]?.body).toMatchObject({
      type: "Announce",
      object: { type: "Create", object: { inReplyTo: `${t.url}/s/thread/${op.no}` } },
    });
  });
});
