import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FederationContext } from "../../federation/context.js";
import { FederationIds } from "../../federation/ids.js";
import { Inbox } from "../../federation/inbox/inbox.js";
import { answersOnly, QueueOutbox } from "../../federation/inbox/outbox.js";
import { LocalKeys } from "../../federation/keys.js";
import { RemoteFollowing } from "../../federation/remote/follows.js";
import type { FakeActor, FakePeer } from "../support/fake-peer.js";
import { AS, InboxScene, type Json, PUBLIC } from "../support/inbox-scene.js";
import type { TestInstance } from "../support/instance.js";

/* A board following a remote group, and mirroring what the group announces. */

describe("inbox over HTTP", () => {
  const scene = new InboxScene();
  const { fresh, postByApId, send } = scene;
  let t: TestInstance;
  let peer: FakePeer;
  let origin: FakePeer;
  let alice: FakeActor;
  let mallory: FakeActor;
  let bob: FakeActor;
  let boardId: string;
  // Numbers the object ids these tests write by hand.
  let seq = 0;

  beforeAll(async () => {
    await scene.start();
    ({ t, peer, origin, alice, mallory, bob, boardId } = scene);
  });
  afterAll(() => scene.stop());

  describe("board follows board", () => {
    let group: FakeActor;
    let following: RemoteFollowing;

    beforeAll(() => {
      group = peer.actor("group", { type: "Group" });
      const ctx = new FederationContext(
        t.services,
        new FederationIds(t.url),
        new LocalKeys(t.services.store.federation.keys),
      );
      const inbox = new Inbox(t.services, ctx, { outbox: answersOnly(t.services.store.federation.deliveries) });
      const queue = new QueueOutbox(t.services.store.federation.deliveries);
      following = new RemoteFollowing(t.services, ctx.ids, inbox.deps.actors, (a, i, act) => queue.send(a, i, act));
    });

    const announceOf = (object: unknown, actor = group): Json => ({
      "@context": AS,
      id: fresh("activities/announce"),
      type: "Announce",
      actor: actor.id,
      to: [PUBLIC],
      object,
    });

    it("follows a remote group: a pending outbound follow and a Follow signed by the board", async () => {
      const follow = await following.followRemoteBoard("b", group.id);
      expect(follow).toMatchObject({ actorId: boardId, objectId: group.id, direction: "outbound", state: "pending" });
      const sent = await peer.waitFor((r) => r.path === "/users/group/inbox" && r.body["type"] === "Follow");
      expect(sent.body).toMatchObject({ id: follow.id, actor: boardId, object: group.id });
      await expect(following.followRemoteBoard("nope", group.id)).rejects.toMatchObject({ kind: "not_found" });
      await expect(following.followRemoteBoard("b", alice.id)).rejects.toMatchObject({ kind: "invalid" });
    });

    it("ignores Announces before the group accepts, and accepts only the group's Accept", async () => {
      const n = `${origin.url}/notes/early`;
      expect((await send(announceOf(n), group)).body["title"]).toBe("Ignored");
      expect(origin.fetched).not.toContain("/notes/early");

      const follow = (await t.services.store.federation.follows.get(boardId, group.id))!;
      const object = { id: follow.id, type: "Follow", actor: boardId, object: group.id };
      expect((await send({ id: fresh("accept"), type: "Accept", actor: mallory.id, object }, mallory)).status).toBe(
        403,
      );
      expect((await send({ id: fresh("accept"), type: "Accept", actor: group.id, object }, group)).status).toBe(202);
      expect((await t.services.store.federation.follows.get(boardId, group.id))?.state).toBe("accepted");
    });

    it("mirrors an announced Create(Note) as a thread, reading the Note from its origin", async () => {
      const id = `${origin.url}/notes/mirrored`;
      origin.serve(id, {
        "@context": AS,
        id,
        type: "Page",
        name: "A <i>title</i>",
        attributedTo: bob.id,
        to: [PUBLIC, group.id],
        audience: group.id,
        content: "<p>the real text</p>",
      });
      const embedded = {
        id: `${origin.url}/activities/create/1`,
        type: "Create",
        actor: bob.id,
        object: { id, type: "Page", attributedTo: bob.id, to: [PUBLIC], content: "<p>forged</p>" },
      };
      expect((await send(announceOf(embedded), group)).body["title"]).toBe("Accepted");
      const ref = (await postByApId(id))!;
      const post = await t.services.store.posts.getPost("b", ref.no);
      expect(post).toMatchObject({ subject: "A title", comment: "the real text", fediActor: bob.id, apId: id });
      expect(post?.name).toBe(`bob@${new URL(origin.url).host}`);
    });

    it("takes a Create and post the group's own server embedded as delivered, fetching nothing", async () => {
      // The group and the post's author are on one origin (FEP-fe34): its signature vouches for both.
      const member = peer.actor("member");
      const id = `${peer.url}/notes/own-${++seq}`;
      const embedded = {
        id: `${peer.url}/activities/create/own-${seq}`,
        type: "Create",
        actor: member.id,
        object: { id, type: "Note", attributedTo: member.id, to: [PUBLIC, group.id], content: "<p>as sent</p>" },
      };
      const fetchedBefore = [...peer.fetched];
      expect((await send(announceOf(embedded), group)).body["title"]).toBe("Accepted");
      const post = await t.services.store.posts.getPost("b", (await postByApId(id))!.no);
      expect(post).toMatchObject({ comment: "as sent", fediActor: member.id });
      expect(peer.fetched.filter((p) => p.startsWith("/notes/"))).toEqual(
        fetchedBefore.filter((p) => p.startsWith("/notes/")),
      );
    });

    it("mirrors a reply whose thread is missing here: the thread is fetched first, then the reply", async () => {
      const opId = `${origin.url}/notes/missing-op-${++seq}`;
      origin.serve(opId, {
        "@context": AS,
        id: opId,
        type: "Page",
        name: "The missed thread",
        attributedTo: bob.id,
        to: [PUBLIC, group.id],
        audience: group.id,
        content: "<p>first post</p>",
      });
      const replyId = `${origin.url}/notes/reply-${seq}`;
      origin.serve(replyId, {
        "@context": AS,
        id: replyId,
        type: "Note",
        attributedTo: bob.id,
        inReplyTo: opId,
        to: [PUBLIC, group.id],
        content: "<p>second post</p>",
      });
      expect((await send(announceOf(replyId), group)).body["title"]).toBe("Accepted");
      const opRef = (await postByApId(opId))!;
      const replyRef = (await postByApId(replyId))!;
      const thread = await t.services.store.posts.getThreadPosts("b", opRef.no);
      expect(thread.map((p) => p.no)).toEqual([opRef.no, replyRef.no]);
      expect(thread[0]).toMatchObject({ subject: "The missed thread", comment: "first post" });
    });

    it("ignores Announces from actors no board follows, fetching nothing", async () => {
      const id = `${origin.url}/notes/unwanted`;
      expect((await send(announceOf(id, mallory), mallory)).body["title"]).toBe("Ignored");
      expect(origin.fetched).not.toContain("/notes/unwanted");
    });

    it("ends the follow when the group rejects it, and mirrors nothing more", async () => {
      const follow = (await t.services.store.federation.follows.get(boardId, group.id))!;
      const reject = { id: fresh("reject"), type: "Reject", actor: group.id, object: follow.id };
      expect((await send(reject, group)).body["title"]).toBe("Accepted");
      expect(await t.services.store.federation.follows.get(boardId, group.id)).toBeNull();
      expect((await send(announceOf(`${origin.url}/notes/late`), group)).body["title"]).toBe("Ignored");
    });
  });
});
