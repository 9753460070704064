import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { FederationContext } from "../../federation/context.js";
import { deliveryId, inboxDomain } from "../../federation/delivery/activities.js";
import { DeliveryPublisher } from "../../federation/delivery/publisher.js";
import { deliveryRole } from "../../federation/delivery/role.js";
import { DeliveryWorker } from "../../federation/delivery/worker.js";
import { FederationIds } from "../../federation/ids.js";
import { LocalKeys } from "../../federation/keys.js";
import { DomainError } from "../../server/domain/errors.js";
import { BOARD_ACTOR, follow, PUBLIC_URL } from "../support/delivery-harness.js";
import { FakeInbox, until } from "../support/fake-inbox.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const ANONYMOUS = `${PUBLIC_URL}/ap/anonymous`;
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** An instance whose own worker does not run, so what is queued stays in the queue for the test to read. */
async function instance(): Promise<TestInstance> {
  const t = await startTestInstance({ PUBLIC_URL, ALLOW_PRIVATE_ADDRESSES: "on", ATOLL_ROLE: "web" });
  cleanup.push(() => t.stop());
  await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
  return t;
}

function context(t: TestInstance): FederationContext {
  const ids = new FederationIds(t.services.config.publicUrl);
  return new FederationContext(t.services, ids, new LocalKeys(t.services.store.federation.keys));
}

/** Everything queued, with bodies parsed, taken off the queue (each inbox hands out one item at a time). */
async function queuedActivities(t: TestInstance) {
  const { deliveries } = t.services.store.federation;
  const items = [];
  for (;;) {
    const batch = await deliveries.claim(Date.now() + 1000, 100, 60_000, 100);
    if (batch.length === 0) break;
    for (const i of batch) await deliveries.complete(i.id);
    items.push(...batch);
  }
  return items.map((i) => ({ ...i, json: JSON.parse(i.body) as Record<string, unknown> }));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe("DeliveryPublisher", () => {
  it("announces a deletion from the board and sends the author's own Delete, each signed by its actor", async () => {
    const t = await instance();
    const post = await t.services.posting.createThread({ board: "b", comment: "bye", password: "pw", ip: "192.0.2.9" });
    await settle();
    const inbox = await FakeInbox.start({
      publicKeyOf: async (actorId) =>
        JSON.parse((await request(t.app).get(new URL(actorId).pathname)).text).publicKey.publicKeyPem,
    });
    cleanup.push(() => inbox.close());
    await follow(t, `${inbox.base()}/users/a`, `${inbox.base()}/users/a/inbox`, `${inbox.base()}/inbox`);
    await t.services.posting.deleteOwn("b", post.no, "pw", false);
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 2);

    const worker = new DeliveryWorker(context(t));
    // both go to one shared inbox: one at a time
    expect((await worker.runOnce()) + (await worker.runOnce())).toBe(2);
    expect(inbox.received.map((r) => r.verified)).toEqual([true, true]);
    const noteId = `${PUBLIC_URL}/b/thread/${post.no}`;
    const announce = inbox.received.find((r) => r.body["type"] === "Announce")!;
    expect(announce.keyId).toBe(`${BOARD_ACTOR}#main-key`);
    expect(announce.body).toMatchObject({
      id: `${noteId}#announce-delete`,
      actor: BOARD_ACTOR,
      to: [PUBLIC],
      cc: [`${BOARD_ACTOR}/followers`],
      audience: BOARD_ACTOR,
      object: { type: "Delete", actor: ANONYMOUS, object: { id: noteId, type: "Tombstone" } },
    });
    const del = inbox.received.find((r) => r.body["type"] === "Delete")!;
    expect(del.keyId).toBe(`${ANONYMOUS}#main-key`);
    expect(del.body).toMatchObject({
      "@context": ["https://www.w3.org/ns/activitystreams", `${PUBLIC_URL}/ns/atoll.jsonld`],
      id: `${noteId}#delete`,
      actor: ANONYMOUS,
      object: { id: noteId, type: "Tombstone" },
    });
  });

  it("queues one item per shared inbox, keyed by the signing actor and the inbox's domain", async () => {
    const t = await instance();
    await follow(t, "https://one.example/users/a", "https://one.example/users/a/inbox", "https://one.example/inbox");
    await follow(t, "https://one.example/users/b", "https://one.example/users/b/inbox", "https://one.example/inbox");
    await follow(t, "https://Two.Example./u/c", "https://Two.Example./u/c/inbox", null);
    const post = await t.services.posting.createThread({ board: "b", comment: "hi", ip: "192.0.2.9" });
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 4);
    // Queuing the same post again is a no-op: the ids are derived, and the queue keeps the first.
    await new DeliveryPublisher(context(t)).publishPost(post);
    expect(await t.services.store.federation.deliveries.countPending()).toBe(4);
    const items = await queuedActivities(t);
    expect(items.map((i) => [i.inbox, i.domain, i.keyId]).sort()).toEqual([
      ["https://Two.Example./u/c/inbox", "two.example", BOARD_ACTOR],
      ["https://Two.Example./u/c/inbox", "two.example", BOARD_ACTOR],
      ["https://one.example/inbox", "one.example", BOARD_ACTOR],
      ["https://one.example/inbox", "one.example", BOARD_ACTOR],
    ]);
    const noteId = `${PUBLIC_URL}/b/thread/${post.no}`;
    expect(new Set(items.map((i) => i.activityId))).toEqual(new Set([`${noteId}#announce`, `${noteId}#boost`]));
    for (const i of items) expect(i.id).toBe(deliveryId(i.activityId, i.inbox));
  });

  it("announces a post whose process died before queueing it, from the pending record its transaction left", async () => {
    const t = await instance();
    await follow(t, "https://one.example/users/a", "https://one.example/users/a/inbox", null);
    // The instance's own publisher queues and clears as it goes: nothing stays pending.
    const live = await t.services.posting.createThread({ board: "b", comment: "live", ip: "192.0.2.9" });
    await until(async () => (await t.services.store.announcements.list(Date.now() + 1, 10)).length === 0);
    expect(await t.services.store.federation.deliveries.countPending()).toBe(2);

    // A post written as a dying process would leave it: stored, pending, nothing queued.
    const { post: orphan } = await t.services.store.posts.createThread(
      "b",
      { ...live, createdAt: Date.now(), comment: "orphan" },
      { maxThreads: 100, announce: true },
    );
    expect(await t.services.store.announcements.list(Date.now() + 1, 10)).toEqual([{ board: "b", no: orphan.no }]);
    const publisher = new DeliveryPublisher(context(t));
    // Too recent for a periodic pass, which leaves it to the live process…
    expect(await publisher.recoverPending(orphan.createdAt)).toBe(0);
    // …and taken by a pass over everything left (a worker starting).
    expect(await publisher.recoverPending(Date.now() + 1)).toBe(1);
    expect(await t.services.store.announcements.list(Date.now() + 1, 10)).toEqual([]);
    const items = await queuedActivities(t);
    const noteId = `${PUBLIC_URL}/b/thread/${orphan.no}`;
    expect(items.map((i) => i.activityId)).toEqual(expect.arrayContaining([`${noteId}#announce`, `${noteId}#boost`]));
    expect(items).toHaveLength(4);
  });

  it("announces a reply without boosting it", async () => {
    const t = await instance();
    const op = await t.services.posting.createThread({ board: "b", comment: "op", ip: "192.0.2.9" });
    await settle();
    await follow(t, "https://one.example/users/a", "https://one.example/users/a/inbox", null);
    const reply = await t.services.posting.createReply({ board: "b", threadNo: op.no, comment: "re", ip: "192.0.2.9" });
    await until(async () => (await t.services.store.federation.deliveries.countPending()) === 1);
    const [item] = await queuedActivities(t);
    expect(item?.json).toMatchObject({
      type: "Announce",
      object: {
        type: "Create",
        actor: ANONYMOUS,
        object: { id: `${PUBLIC_URL}/b/post/${reply.no}`, inReplyTo: `${PUBLIC_URL}/b/thread/${op.no}` },
      },
    });
  });

  it("ignores posts from the fediverse and boards without followers", async () => {
    const t = await instance();
    const post = await t.services.posting.createThread({ board: "b", comment: "quiet", ip: "192.0.2.9" });
    await settle();
    expect(await t.services.store.federation.deliveries.countPending()).toBe(0);
    await follow(t, "https://one.example/users/a", "https://one.example/users/a/inbox", null);
    t.services.events.emit({
      type: "post_created",
      post: { ...post, no: 99, threadNo: 99, apId: "https://one.example/notes/1", fediActor: "https://one.example/u" },
    });
    t.services.events.emit({ type: "post_created", post: { ...post, board: "nosuchboard" } });
    await settle();
    expect(await t.services.store.federation.deliveries.countPending()).toBe(0);
  });

  it("announceRemote wraps the remote activity and boosts a new remote thread", async () => {
    const t = await instance();
    await follow(t, "https://one.example/users/a", "https://one.example/users/a/inbox", "https://one.example/inbox");
    const publisher = new DeliveryPublisher(context(t));
    const create = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://remote.example/activities/1",
      type: "Create",
      actor: "https://remote.example/users/r",
      object: { id: "https://remote.example/notes/1", type: "Note", content: "<p>hi</p>" },
    };
    expect(await publisher.announceRemote("b", create)).toBe(2);
    const items = await queuedActivities(t);
    const wrapped = items.find((i) => typeof i.json["object"] === "object")!;
    expect(wrapped.json).toMatchObject({ type: "Announce", actor: BOARD_ACTOR, to: [PUBLIC], object: create });
    expect(String(wrapped.json["id"])).toMatch(new RegExp(`^${BOARD_ACTOR}/activities/announce/`));
    const boost = items.find((i) => typeof i.json["object"] === "string")!;
    expect(boost.json).toMatchObject({ type: "Announce", object: "https://remote.example/notes/1" });
    expect(items.every((i) => i.keyId === BOARD_ACTOR && i.domain === "one.example")).toBe(true);

    const replyCreate = {
      ...create,
      id: "https://remote.example/activities/2",
      object: { ...create.object, id: "https://remote.example/notes/2", inReplyTo: "https://atoll.test/b/thread/1" },
    };
    expect(await publisher.announceRemote("b", replyCreate)).toBe(1);
    await expect(publisher.announceRemote("b", { type: "Create" })).rejects.toBeInstanceOf(DomainError);
    await expect(publisher.announceRemote("nosuch", create)).rejects.toMatchObject({ kind: "not_found" });
  });

  it("announceRemote does not wait to learn a new instance's software, and uses it from then on", async () => {
    const t = await instance();
    const inbox = await FakeInbox.start({ addresses: ["127.0.0.61"], publicKeyOf: async () => "" });
    cleanup.push(() => inbox.close());
    inbox.serveNodeInfo("127.0.0.61", "mastodon");
    await follow(t, `${inbox.base()}/users/m`, `${inbox.base()}/users/m/inbox`, `${inbox.base()}/inbox`);
    const publisher = new DeliveryPublisher(context(t));
    const create = (n: number, extra: Record<string, unknown> = {}) => ({
      id: `https://remote.example/activities/${n}`,
      type: "Create",
      actor: "https://remote.example/users/r",
      object: { id: `https://remote.example/notes/${n}`, type: "Note", content: "<p>hi</p>", ...extra },
    });
    // Unknown yet: both activities, while the lookup runs behind the inbox's answer.
    expect(await publisher.announceRemote("b", create(1))).toBe(2);
    await publisher.peers.idle();
    expect((await t.services.store.federation.instances.get("127.0.0.61"))?.software).toBe("mastodon");
    // A microblog: the boost of a new thread only, nothing for a reply, a Delete as for everyone.
    expect(await publisher.announceRemote("b", create(2))).toBe(1);
    expect(await publisher.announceRemote("b", create(3, { inReplyTo: `${PUBLIC_URL}/b/thread/1` }))).toBe(0);
    const del = { id: "https://remote.example/activities/4", type: "Delete", actor: "https://remote.example/users/r" };
    expect(await publisher.announceRemote("b", { ...del, object: "https://remote.example/notes/2" })).toBe(1);
    const boosts = (await queuedActivities(t)).filter((i) => i.activityId.includes("/boost/"));
    expect(boosts.map((i) => i.json["object"]).sort()).toEqual([
      "https://remote.example/notes/1",
      "https://remote.example/notes/2",
    ]);
  });

  it("reads ATOLL_ROLE and inbox domains strictly", () => {
    expect(deliveryRole(undefined)).toBe("all");
    expect(deliveryRole("web")).toBe("web");
    expect(deliveryRole("worker")).toBe("worker");
    expect(() => deliveryRole("both")).toThrow(/ATOLL_ROLE/);
    expect(inboxDomain("https://Mastodon.Social.:8443/inbox")).toBe("mastodon.social");
    expect(inboxDomain("https://xn--bcher-kva.example/inbox")).toBe("xn--bcher-kva.example");
    expect(inboxDomain("https://bücher.example/inbox")).toBe("xn--bcher-kva.example");
    expect(inboxDomain("ftp://a.example/inbox")).toBeNull();
    expect(inboxDomain("not a url")).toBeNull();
  });
});
