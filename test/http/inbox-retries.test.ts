import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InboxRetryWorker } from "../../federation/inbox/retry-worker.js";
import { type FakeActor, FakePeer, postSigned } from "../support/fake-peer.js";
import { freePort } from "../support/fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * What the inbox does when something it needs is out of reach: a peer whose key cannot be fetched is
 * asked to send again (503), an activity whose object, parent or image cannot be fetched is kept and
 * tried again by the instance, and nothing answered 202 is lost on the way.
 */

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const AS = "https://www.w3.org/ns/activitystreams";
type Json = Record<string, unknown>;

describe("inbox: nothing acknowledged is lost", () => {
  let t: TestInstance;
  let peer: FakePeer;
  let origin: FakePeer;
  let alice: FakeActor;
  let carol: FakeActor;
  let op: number;
  let opId: string;
  let anonymous: string;
  let inbox: string;
  let seq = 0;
  let now = Date.now();
  let retries: InboxRetryWorker;

  const fresh = (p: FakePeer, what: string) => `${p.url}/${what}/${++seq}`;
  const replyTo = (author: FakeActor, on: FakePeer, parent: string, extra: Json = {}): Json => ({
    id: fresh(on, "notes"),
    type: "Note",
    attributedTo: author.id,
    inReplyTo: parent,
    to: [PUBLIC],
    cc: [anonymous],
    content: "<p>a reply</p>",
    ...extra,
  });
  const create = (author: FakeActor, object: Json | string): Json => ({
    "@context": AS,
    id: fresh(peer, "activities/create"),
    type: "Create",
    actor: author.id,
    to: [PUBLIC],
    object,
  });
  // Signed at the instance's "now", which the tests move forward.
  const send = (body: unknown, signer: FakeActor) => postSigned(inbox, body, signer, { now: new Date(now) });
  const posted = async (apId: string) => {
    const ref = await t.services.store.federation.remotePosts.get(apId);
    return ref ? t.services.store.posts.getPost(ref.board, ref.no) : null;
  };

  beforeAll(async () => {
    const port = await freePort("127.0.0.1");
    t = await startTestInstance(
      { ALLOW_PRIVATE_ADDRESSES: "on", PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port) },
      { listen: true, clock: () => now },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    op = (await t.services.posting.createThread({ board: "b", comment: "local op", ip: "192.0.2.1" })).no;
    opId = `${t.url}/b/thread/${op}`;
    anonymous = `${t.url}/ap/anonymous`;
    inbox = `${t.url}/ap/inbox`;
    peer = await FakePeer.start("127.0.0.1");
    origin = await FakePeer.start("127.0.0.2");
    alice = peer.actor("alice");
    carol = origin.actor("carol");
    retries = new InboxRetryWorker(t.services, inboxOf(t), {
      clock: () => now,
      random: () => 0.5,
    });
  });
  afterAll(async () => {
    await t?.stop();
    await peer?.close();
    await origin?.close();
  });

  it("asks a peer whose key cannot be fetched now to send again, keeping nothing, and takes the resend", async () => {
    const dave = peer.actor("dave");
    const note = replyTo(dave, peer, opId);
    const activity = create(dave, note);
    peer.serve("/users/dave", { error: "maintenance" }, { status: 503 });
    const first = await send(activity, dave);
    expect(first.status).toBe(503);
    expect(first.headers["retry-after"]).toMatch(/^[0-9]+$/);
    expect(await t.services.store.federation.inboxDedupe.has(String(activity["id"]), now)).toBe(false);
    expect(await posted(String(note["id"]))).toBeNull();

    peer.serve("/users/dave", dave.document);
    const again = await send(activity, dave);
    expect(again.status).toBe(202);
    expect((await posted(String(note["id"])))?.comment).toBe("a reply");
  });

  it("keeps a Create whose object's origin answers 503, and takes it once the origin is back", async () => {
    // alice's Create of carol's Note: the Note must come from carol's server, which is down
    const note = replyTo(carol, origin, opId);
    origin.serve(String(note["id"]), { error: "down" }, { status: 503 });
    const byCarol: Json = { ...create(carol, String(note["id"])) };
    const res = await send(byCarol, carol);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: "urn:atoll:inbox:deferred" });
    expect(await t.services.store.federation.inboundRetries.countPending()).toBe(1);
    // a resend is not taken twice: it is already kept
    expect((await send(byCarol, carol)).body).toMatchObject({ type: "urn:atoll:inbox:ignored" });

    // not due yet: nothing is tried
    expect(await retries.runOnce()).toBe(0);
    now += 31_000;
    // still down: tried, and kept for later with the failure counted
    expect(await retries.runOnce()).toBe(1);
    const [kept] = await t.services.store.federation.inboundRetries.list({ failed: false, limit: 5 });
    expect(kept).toMatchObject({ id: byCarol["id"], attempts: 2 });
    expect(kept?.lastError).toMatch(/503/);

    origin.serve(String(note["id"]), note);
    now += 61_000;
    expect(await retries.runOnce()).toBe(1);
    expect((await posted(String(note["id"])))?.threadNo).toBe(op);
    expect(await t.services.store.federation.inboundRetries.countPending()).toBe(0);
  });

  it("waits for an image its server cannot serve now, then posts it whole", async () => {
    const image = `${fresh(peer, "media/img")}.jpg`;
    peer.serve(image, { error: "busy" }, { status: 502 });
    const note = replyTo(alice, peer, opId, {
      attachment: [{ type: "Document", mediaType: "image/jpeg", url: image }],
    });
    const res = await send(create(alice, note), alice);
    expect(res.body).toMatchObject({ type: "urn:atoll:inbox:deferred" });
    expect(await posted(String(note["id"]))).toBeNull();

    peer.serve(image, await makeJpeg(120, 90), { type: "image/jpeg" });
    now += 31_000;
    expect(await retries.runOnce()).toBe(1);
    expect((await posted(String(note["id"])))?.file).toMatchObject({ width: 120, height: 90 });
  });

  it("posts without the image once it has waited long enough for it", async () => {
    const image = `${fresh(peer, "media/img")}.jpg`;
    peer.serve(image, { error: "busy" }, { status: 503 });
    const note = replyTo(alice, peer, opId, {
      attachment: [{ type: "Document", mediaType: "image/jpeg", url: image }],
    });
    expect((await send(create(alice, note), alice)).body).toMatchObject({ type: "urn:atoll:inbox:deferred" });
    now += 2 * 60 * 60 * 1000;
    expect(await retries.runOnce()).toBe(1);
    const post = await posted(String(note["id"]));
    expect(post?.comment).toBe("a reply");
    expect(post?.file).toBeNull();
  });

  it("gives up after the horizon, lists what it gave up on, and takes it when replayed", async () => {
    const note = replyTo(carol, origin, opId);
    origin.serve(String(note["id"]), { error: "down" }, { status: 500 });
    const activity = create(carol, String(note["id"]));
    expect((await send(activity, carol)).body).toMatchObject({ type: "urn:atoll:inbox:deferred" });
    now += 8 * 24 * 60 * 60 * 1000;
    expect(await retries.runOnce()).toBe(1);
    const queue = t.services.store.federation.inboundRetries;
    expect(await queue.countPending()).toBe(0);
    const [failed] = await queue.list({ failed: true, limit: 5 });
    expect(failed).toMatchObject({ id: activity["id"], failedAt: now });

    origin.serve(String(note["id"]), note);
    expect(await queue.replay(String(activity["id"]), now)).toBe(true);
    expect(await retries.runOnce()).toBe(1);
    expect((await posted(String(note["id"])))?.threadNo).toBe(op);
  });

  it("answers 503 and keeps nothing when the activity cannot be kept either", async () => {
    const note = replyTo(carol, origin, opId);
    origin.serve(String(note["id"]), { error: "down" }, { status: 503 });
    const activity = create(carol, String(note["id"]));
    const queue = t.services.store.federation.inboundRetries;
    const add = queue.add.bind(queue);
    // the store refuses the write, as a full or broken disk would
    queue.add = async () => {
      throw Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    };
    try {
      const res = await send(activity, carol);
      expect(res.status).toBe(503);
      expect(res.headers["retry-after"]).toMatch(/^[0-9]+$/);
    } finally {
      queue.add = add;
    }
    expect(await t.services.store.federation.inboxDedupe.has(String(activity["id"]), now)).toBe(false);
    // the peer's next try is taken
    origin.serve(String(note["id"]), note);
    expect((await send(activity, carol)).status).toBe(202);
    expect(await posted(String(note["id"]))).not.toBeNull();
  });

  it("takes one of two copies of an activity arriving at the same time", async () => {
    const note = replyTo(alice, peer, opId, { content: "<p>twice</p>" });
    const activity = create(alice, note);
    const [a, b] = await Promise.all([send(activity, alice), send(activity, alice)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([a.body["type"], b.body["type"]].sort()).toEqual(["urn:atoll:inbox:accepted", "urn:atoll:inbox:ignored"]);
    const thread = await request(t.app).get(`/b/thread/${op}.json`);
    expect((thread.body.posts as Json[]).filter((p) => String(p["com"]).includes("twice"))).toHaveLength(1);
  });

  describe("replies to posts that are not here", () => {
    it("fetches the missing parent from its origin and posts both, oldest first", async () => {
      const parent = replyTo(carol, origin, opId, { content: "<p>the parent</p>" });
      origin.serve(String(parent["id"]), parent);
      const reply = replyTo(alice, peer, String(parent["id"]), { content: "<p>the child</p>" });
      const res = await send(create(alice, reply), alice);
      expect(res.body).toMatchObject({ type: "urn:atoll:inbox:accepted" });
      const p = await posted(String(parent["id"]));
      const c = await posted(String(reply["id"]));
      expect(p?.threadNo).toBe(op);
      expect(c?.threadNo).toBe(op);
      expect(p!.no).toBeLessThan(c!.no);
      expect(p?.fediActor).toBe(carol.id);
    });

    it("walks a chain of missing parents up to a post of ours, within a bounded depth", async () => {
      let parent = opId;
      const chain: Json[] = [];
      for (let i = 0; i < 3; i++) {
        const link = replyTo(carol, origin, parent, { content: `<p>link ${i}</p>` });
        origin.serve(String(link["id"]), link);
        chain.push(link);
        parent = String(link["id"]);
      }
      const reply = replyTo(alice, peer, parent);
      expect((await send(create(alice, reply), alice)).body).toMatchObject({ type: "urn:atoll:inbox:accepted" });
      const nos = [];
      for (const link of chain) nos.push((await posted(String(link["id"])))?.no);
      nos.push((await posted(String(reply["id"])))?.no);
      expect(nos.every((n) => typeof n === "number")).toBe(true);
      expect([...nos].sort((x, y) => Number(x) - Number(y))).toEqual(nos);

      // a chain longer than the bound leads nowhere: nothing of it is posted
      let deep = opId;
      const long: Json[] = [];
      for (let i = 0; i < 12; i++) {
        const link = replyTo(carol, origin, deep);
        origin.serve(String(link["id"]), link);
        long.push(link);
        deep = String(link["id"]);
      }
      const tooDeep = replyTo(alice, peer, deep);
      expect((await send(create(alice, tooDeep), alice)).body).toMatchObject({ type: "urn:atoll:inbox:ignored" });
      for (const link of long) expect(await posted(String(link["id"]))).toBeNull();
    });

    it("keeps the reply for later while the parent's server is down", async () => {
      const parent = replyTo(carol, origin, opId);
      origin.serve(String(parent["id"]), { error: "down" }, { status: 503 });
      const reply = replyTo(alice, peer, String(parent["id"]));
      expect((await send(create(alice, reply), alice)).body).toMatchObject({ type: "urn:atoll:inbox:deferred" });
      origin.serve(String(parent["id"]), parent);
      now += 31_000;
      expect(await retries.runOnce()).toBe(1);
      expect((await posted(String(reply["id"])))?.threadNo).toBe(op);
      expect((await posted(String(parent["id"])))?.threadNo).toBe(op);
    });

    it("fetches nothing for a reply that names none of our actors", async () => {
      const parent = replyTo(carol, origin, opId);
      origin.serve(String(parent["id"]), parent);
      const reply = replyTo(alice, peer, String(parent["id"]), { cc: [] });
      const before = origin.fetched.length;
      expect((await send(create(alice, reply), alice)).body).toMatchObject({ type: "urn:atoll:inbox:ignored" });
      expect(origin.fetched.length).toBe(before);
    });

    it("ignores a reply whose chain leads to a post that was deleted", async () => {
      const gone = replyTo(carol, origin, opId);
      origin.serve(String(gone["id"]), { error: "gone" }, { status: 410 });
      const reply = replyTo(alice, peer, String(gone["id"]));
      expect((await send(create(alice, reply), alice)).body).toMatchObject({ type: "urn:atoll:inbox:ignored" });
      expect(await posted(String(reply["id"]))).toBeNull();
    });
  });
});

/** The instance's inbox pipeline (federation is on in these tests). */
function inboxOf(t: TestInstance) {
  const federation = t.federation;
  if (!federation?.inbox) throw new Error("federation is off");
  return federation.inbox;
}
