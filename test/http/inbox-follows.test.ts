import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyOwnerOf, verifyRequest } from "../../federation/http/signatures.js";
import { type FakeActor, type FakePeer, postSigned } from "../support/fake-peer.js";
import { AS, InboxScene, PUBLIC } from "../support/inbox-scene.js";
import type { TestInstance } from "../support/instance.js";

/* Follows of a board through the inbox: accepted with a signed Accept, undone, forgotten. */

describe("inbox over HTTP", () => {
  const scene = new InboxScene();
  const { fresh, send } = scene;
  let t: TestInstance;
  let peer: FakePeer;
  let alice: FakeActor;
  let mallory: FakeActor;
  let boardId: string;

  beforeAll(async () => {
    await scene.start();
    ({ t, peer, alice, mallory, boardId } = scene);
  });
  afterAll(() => scene.stop());

  describe("follows", () => {
    it("records a Follow of a board as accepted and delivers an Accept signed by the board", async () => {
      const follow = { "@context": AS, id: fresh("follows"), type: "Follow", actor: alice.id, object: boardId };
      const res = await send(follow, alice);
      expect(res.status).toBe(202);
      expect(res.type).toMatch(/^application\/problem\+json/);
      const stored = await t.services.store.federation.follows.get(alice.id, boardId);
      expect(stored).toMatchObject({ id: follow.id, board: "b", direction: "inbound", state: "accepted" });
      expect(stored?.sharedInbox).toBe(`${peer.url}/inbox`);

      const accept = await peer.waitFor((r) => r.path === "/users/alice/inbox" && r.body["type"] === "Accept");
      expect(accept.body).toMatchObject({ actor: boardId, object: { id: follow.id, type: "Follow", actor: alice.id } });
      // The signature is the board's, checkable with the key the board actor publishes.
      const keyId = /keyId="([^"]+)"/.exec(String(accept.headers["signature"]))![1]!;
      expect(keyOwnerOf(keyId)).toBe(boardId);
      const actor = JSON.parse((await request(t.app).get("/ap/boards/b")).text);
      const rawBody = Buffer.from(JSON.stringify(accept.body));
      expect(() =>
        verifyRequest(
          { method: "POST", path: "/users/alice/inbox", headers: accept.headers, rawBody },
          { publicKeyPem: actor.publicKey.publicKeyPem },
        ),
      ).not.toThrow();

      const followers = await request(t.app).get("/ap/boards/b/followers?page=true");
      expect(JSON.parse(followers.text).orderedItems).toContain(alice.id);
    });

    it("answers 404 for a follow of an unknown board or a POST to its inbox, and ignores other follows", async () => {
      const unknown = { id: fresh("follows"), type: "Follow", actor: alice.id, object: `${t.url}/ap/boards/nope` };
      expect((await send(unknown, alice)).status).toBe(404);
      const boardInbox = await postSigned(`${t.url}/ap/boards/nope/inbox`, { ...unknown, id: fresh("f") }, alice);
      expect(boardInbox.status).toBe(404);
      expect(boardInbox.type).toMatch(/problem\+json/);
      const other = await send({ id: fresh("follows"), type: "Follow", actor: alice.id, object: mallory.id }, alice);
      expect(other.status).toBe(202);
      expect(other.body["title"]).toBe("Ignored");
    });

    it("removes a follow on Undo by its follower only", async () => {
      const follow = { id: fresh("follows"), type: "Follow", actor: mallory.id, object: boardId };
      expect((await send(follow, mallory)).status).toBe(202);
      const forged = { id: fresh("undo"), type: "Undo", actor: alice.id, object: follow.id };
      expect((await send(forged, alice)).status).toBe(403);
      expect(await t.services.store.federation.follows.get(mallory.id, boardId)).not.toBeNull();
      const undo = { id: fresh("undo"), type: "Undo", actor: mallory.id, object: follow };
      expect((await send(undo, mallory)).status).toBe(202);
      expect(await t.services.store.federation.follows.get(mallory.id, boardId)).toBeNull();
    });

    it("forgets an actor that deletes itself, with its follows", async () => {
      const frank = peer.actor("frank");
      const follow = { id: fresh("follows"), type: "Follow", actor: frank.id, object: boardId };
      expect((await send(follow, frank)).status).toBe(202);
      expect(await t.services.store.federation.actors.get(frank.id)).not.toBeNull();
      // The account is gone from its server; its key is still in our cache.
      peer.serve("/users/frank", { id: frank.id, type: "Tombstone" }, { status: 410 });
      const del = { id: `${frank.id}#delete`, type: "Delete", actor: frank.id, object: frank.id, to: [PUBLIC] };
      const res = await send(del, frank);
      expect(res.status).toBe(202);
      expect(res.body["title"]).toBe("Accepted");
      expect(await t.services.store.federation.follows.get(frank.id, boardId)).toBeNull();
      expect(await t.services.store.federation.actors.get(frank.id)).toBeNull();
      // Again, now that nothing is cached: the key cannot be had, and there is nothing left to do.
      const again = await send({ ...del, id: `${frank.id}#delete-again` }, frank);
      expect(again.status).toBe(202);
      expect(again.body["title"]).toBe("Ignored");
    });
  });
});
