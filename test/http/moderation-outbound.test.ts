import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { FederationContext } from "../../federation/context.js";
import { DeliveryWorker } from "../../federation/delivery/worker.js";
import { FederationIds } from "../../federation/ids.js";
import { LocalKeys } from "../../federation/keys.js";
import { newPost, ROOMY } from "../contract/factories.js";
import { BOARD_ACTOR, follow, PUBLIC_URL } from "../support/delivery-harness.js";
import { FakeInbox, until } from "../support/fake-inbox.js";
import { startTestInstance } from "../support/instance.js";

/*
 * Staff actions leave the instance in Lemmy's shapes, announced by the board and signed over real
 * HTTP to a follower that checks every signature against the actor documents Atoll serves.
 */

const PASSWORD = "correct horse battery";
const ANONYMOUS = `${PUBLIC_URL}/ap/anonymous`;
const STAFF = new RegExp(`^${BOARD_ACTOR}/staff/[A-Za-z0-9_-]{22}$`);

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function scene() {
  const t = await startTestInstance({ PUBLIC_URL, ALLOW_PRIVATE_ADDRESSES: "on", ATOLL_ROLE: "web" });
  cleanup.push(() => t.stop());
  await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
  await t.services.staff.createUser("boss", PASSWORD, "board_owner", ["b"]);
  const inbox = await FakeInbox.start({
    publicKeyOf: async (actorId) =>
      JSON.parse((await request(t.app).get(new URL(actorId).pathname)).text).publicKey.publicKeyPem,
  });
  cleanup.push(() => inbox.close());
  const op = await t.services.posting.createThread({ board: "b", comment: "a thread", ip: "192.0.2.9" });
  const reply = await t.services.posting.createReply({ board: "b", threadNo: op.no, comment: "spam", ip: "192.0.2.8" });
  // The posts' own announcements are queued (to no one yet) before the follower arrives.
  await until(async () => (await t.services.store.announcements.list(Date.now() + 1000, 10)).length === 0);
  await follow(t, `${inbox.base()}/users/a`, `${inbox.base()}/users/a/inbox`, `${inbox.base()}/inbox`);
  const ids = new FederationIds(PUBLIC_URL);
  const worker = new DeliveryWorker(
    new FederationContext(t.services, ids, new LocalKeys(t.services.store.federation.keys)),
  );
  /** Sends everything queued (one at a time per inbox) and returns what the follower got. */
  const deliver = async () => {
    await until(async () => (await t.services.store.federation.deliveries.countPending()) > 0);
    while ((await worker.runOnce()) > 0) {}
    return inbox.received;
  };
  const boss = { username: "boss", role: "board_owner" as const, boards: ["b"] };
  return { t, inbox, op, reply, deliver, boss };
}

describe("moderation that federates: outbound", () => {
  it("a removal is the moderator's Delete with the reason, announced by the board; the author sends nothing", async () => {
    const { t, reply, deliver, boss } = await scene();
    await t.services.moderation.deletePost(boss, "b", reply.no, { reason: "Rule 3: no spam" });
    const got = await deliver();
    expect(got.map((r) => r.verified)).toEqual(got.map(() => true));
    expect(got.map((r) => r.body["type"])).toEqual(["Announce"]);
    const announce = got[0]!;
    expect(announce.keyId).toBe(`${BOARD_ACTOR}#main-key`);
    const removal = announce.body["object"] as Record<string, unknown>;
    expect(removal).toMatchObject({
      type: "Delete",
      object: `${PUBLIC_URL}/b/post/${reply.no}`,
      summary: "Rule 3: no spam",
      cc: [BOARD_ACTOR],
      audience: BOARD_ACTOR,
    });
    expect(String(removal["actor"])).toMatch(STAFF);
    expect(removal["actor"]).not.toBe(ANONYMOUS);

    // The moderator is a Person named by role, listed by the board's moderators collection.
    const person = JSON.parse((await request(t.app).get(new URL(String(removal["actor"])).pathname)).text);
    expect(person).toMatchObject({ type: "Person", name: "Board owner of /b/", inbox: `${PUBLIC_URL}/ap/inbox` });
    expect(JSON.stringify(person)).not.toContain("boss");
    const mods = JSON.parse((await request(t.app).get("/ap/boards/b/moderators?page=true")).text);
    expect(mods.orderedItems).toContain(removal["actor"]);
    expect(mods.orderedItems).toHaveLength(2);
    expect((await request(t.app).get("/ap/boards/b/staff/AAAAAAAAAAAAAAAAAAAAAA")).status).toBe(404);
  });

  it("a removed thread is also un-boosted for microblogs", async () => {
    const { t, op, deliver, boss } = await scene();
    await t.services.moderation.deletePost(boss, "b", op.no, { reason: "off topic" });
    const got = await deliver();
    const types = got.map((r) => `${r.body["type"]}(${(r.body["object"] as { type?: string }).type})`).sort();
    // The follower's software is unknown, so it gets what groups and what microblogs read.
    expect(types).toEqual(["Announce(Delete)", "Undo(Announce)"]);
    const undo = got.find((r) => r.body["type"] === "Undo")!;
    expect(undo.body["object"]).toMatchObject({ id: `${PUBLIC_URL}/b/thread/${op.no}#boost`, actor: BOARD_ACTOR });
  });

  it("lock, unlock, sticky and unsticky go out as Lock, Undo(Lock), Add and Remove to featured", async () => {
    const { t, op, deliver, boss } = await scene();
    const thread = `${PUBLIC_URL}/b/thread/${op.no}`;
    await t.services.moderation.setThreadFlags(boss, "b", op.no, { locked: true, sticky: true }, "heated");
    const featured = JSON.parse((await request(t.app).get("/ap/boards/b/featured?page=true")).text);
    expect(featured.orderedItems).toEqual([expect.objectContaining({ id: thread, type: "Note" })]);
    const group = JSON.parse((await request(t.app).get("/ap/boards/b")).text);
    expect(group.featured).toBe(`${BOARD_ACTOR}/featured`);

    await t.services.moderation.setThreadFlags(boss, "b", op.no, { locked: false, sticky: false }, "");
    const got = await deliver();
    await until(() => got.length >= 4);
    expect(got.every((r) => r.verified && r.body["type"] === "Announce")).toBe(true);
    const inner = got.map((r) => r.body["object"] as Record<string, unknown>);
    expect(inner.map((a) => a["type"])).toEqual(["Lock", "Add", "Undo", "Remove"]);
    expect(inner[0]).toMatchObject({ object: thread, summary: "heated", audience: BOARD_ACTOR });
    expect(inner[1]).toMatchObject({ object: thread, target: `${BOARD_ACTOR}/featured` });
    expect(inner[2]).toMatchObject({ object: { type: "Lock", object: thread } });
    expect(inner[2]).not.toHaveProperty("summary");
    expect(inner[3]).toMatchObject({ object: thread, target: `${BOARD_ACTOR}/featured` });
    expect(new Set(inner.map((a) => a["actor"])).size).toBe(1);
    const after = JSON.parse((await request(t.app).get("/ap/boards/b/featured?page=true")).text);
    expect(after.orderedItems ?? []).toEqual([]);
  });

  it("a removed post mirrored from a followed group is announced, and its origin gets the moderator's Delete", async () => {
    const { t, inbox, deliver, boss } = await scene();
    const origin = await FakeInbox.start({
      publicKeyOf: async (actorId) =>
        JSON.parse((await request(t.app).get(new URL(actorId).pathname)).text).publicKey.publicKeyPem,
    });
    cleanup.push(() => origin.close());
    const group = `${origin.base()}/c/main`;
    const { follows } = t.services.store.federation;
    await follows.add({
      id: `${BOARD_ACTOR}#follow-main`,
      actorId: BOARD_ACTOR,
      objectId: group,
      board: "b",
      direction: "outbound",
      state: "pending",
      inbox: `${group}/inbox`,
      sharedInbox: `${origin.base()}/inbox`,
      domain: new URL(group).hostname,
      createdAt: Date.now(),
    });
    await follows.accept(BOARD_ACTOR, group);
    const noteId = `${origin.base()}/post/1`;
    const { post: mirrored } = await t.services.store.posts.createThread(
      "b",
      newPost({ comment: "troll", apId: noteId, fediActor: `${origin.base()}/u/troll`, ipHash: null }),
      ROOMY,
    );

    await t.services.moderation.deletePost(boss, "b", mirrored.no, { reason: "harassment" });
    // The origin's software is looked up before its item is queued: send until it has arrived.
    await until(async () => {
      await deliver();
      return origin.received.length >= 1;
    });
    expect(origin.received).toHaveLength(1);
    const sent = origin.received[0]!;
    expect(sent.verified).toBe(true);
    expect(sent.path).toBe("/c/main/inbox");
    expect(sent.body).toMatchObject({ type: "Delete", object: noteId, summary: "harassment", audience: BOARD_ACTOR });
    expect(sent.keyId).toBe(`${sent.body["actor"]}#main-key`);
    expect(String(sent.body["actor"])).toMatch(STAFF);
    const announced = inbox.received.filter((r) => r.body["type"] === "Announce");
    expect(announced.map((r) => (r.body["object"] as Record<string, unknown>)["object"])).toEqual([noteId]);
  });
});
