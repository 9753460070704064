import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  admin,
  createBoard,
  domainOf,
  mirrorOf,
  settled,
  startAtoll,
  waitFor,
} from "../support/defederation-parties.js";
import { FakePeer, postSigned } from "../support/fake-peer.js";
import { type FedifyPeer, fedifyPeerUnavailable, startFedifyPeer } from "../support/fedify-peer.js";
import type { TestInstance } from "../support/instance.js";
import type { Json } from "../support/loopback.js";

/*
 * Silencing a server, with the independent Fedify peer (127.0.0.2) and hand-driven fake peers on its
 * domain against an Atoll instance (127.0.0.1): follows wait for approval, new threads are held.
 */

const unavailable = fedifyPeerUnavailable();

describe.skipIf(unavailable !== null)(
  `silence, with the Fedify peer${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let A: TestInstance;
    let peer: FedifyPeer;
    let group: string;

    beforeAll(async () => {
      A = await startAtoll("127.0.0.1");
      await createBoard(A, "q");
      group = `${A.url}/ap/boards/q`;
      peer = await startFedifyPeer("127.0.0.2");
      const res = await admin(A, "POST", "/api/v1/admin/domain_blocks", {
        domain: domainOf(peer),
        severity: "silence",
      });
      expect(res.status).toBe(200);
    }, 120_000);
    afterAll(async () => {
      await peer?.stop();
      await A?.stop();
    });

    it("a follow from a silenced peer waits for approval; the approved one gets its Accept", async () => {
      const res = await peer.control<{ ok: boolean }>("/control/follow", { target: group });
      expect(res.ok).toBe(true);
      const follow = await waitFor("the pending follow", () =>
        A.services.store.federation.follows.get(peer.actor, group),
      );
      expect(follow.state).toBe("pending");
      const requests = await admin(A, "GET", "/api/v1/admin/boards/q/follow_requests");
      expect(requests.status).toBe(200);
      expect(requests.json).toMatchObject([{ id: follow.id, actor: peer.actor, board: "q", domain: domainOf(peer) }]);
      await settled(A);
      expect((await peer.received()).filter((a) => a["type"] === "Accept")).toEqual([]);
      expect(await A.services.store.federation.follows.followersOf("q")).toEqual([]);

      const ok = await admin(
        A,
        "POST",
        `/api/v1/admin/boards/q/follow_requests/${encodeURIComponent(follow.id)}/authorize`,
      );
      expect(ok.status).toBe(200);
      const accept = await waitFor("the Accept at the peer", async () =>
        (await peer.received()).find((a) => a["type"] === "Accept"),
      );
      expect(accept["actor"]).toBe(group);
      expect((await A.services.store.federation.follows.get(peer.actor, group))?.state).toBe("accepted");
      expect((await admin(A, "GET", "/api/v1/admin/boards/q/follow_requests")).json).toEqual([]);
      const again = await admin(
        A,
        "POST",
        `/api/v1/admin/boards/q/follow_requests/${encodeURIComponent(follow.id)}/reject`,
      );
      expect(again.status).toBe(404);
    });

    it("a new thread from the silenced peer is held, and appears only once approved", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        mention: "@q",
        content: "<p>a thread that waits</p>",
      });
      expect(sent.ok).toBe(true);
      const held = await waitFor("the held thread", async () => {
        const list = (await admin(A, "GET", "/api/v1/admin/held")).json as Array<Json>;
        return list.length > 0 ? list : undefined;
      });
      expect(held).toMatchObject([{ board: "q", domain: domainOf(peer), actor: peer.actor, object_id: sent.id }]);
      expect(held[0]?.["text"]).toContain("a thread that waits");
      expect(await mirrorOf(A, sent.id)).toBeNull();

      const id = encodeURIComponent(held[0]?.["id"] as string);
      const approved = await admin(A, "POST", `/api/v1/admin/held/${id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.json).toMatchObject({ outcome: "accepted" });
      const post = await mirrorOf(A, sent.id);
      expect(post?.no).toBe(post?.threadNo);
      expect(post?.comment).toContain("a thread that waits");
      expect((await admin(A, "GET", "/api/v1/admin/held")).json).toEqual([]);
    });

    it("a rejected held thread is dropped, and a reply from the silenced peer is posted at once", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        mention: "@q",
        content: "<p>not wanted</p>",
      });
      const held = await waitFor("the held thread", async () => {
        const list = (await admin(A, "GET", "/api/v1/admin/held?board=q")).json as Array<Json>;
        return list.find((h) => h["object_id"] === sent.id);
      });
      const rejected = await admin(A, "POST", `/api/v1/admin/held/${encodeURIComponent(held["id"] as string)}/reject`);
      expect(rejected.status).toBe(200);
      expect((await admin(A, "GET", "/api/v1/admin/held")).json).toEqual([]);
      expect(await mirrorOf(A, sent.id)).toBeNull();

      const thread = (await A.services.posting.createThread({ board: "q", comment: "a local thread", ip: "192.0.2.5" }))
        .no;
      const reply = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        inReplyTo: `${A.url}/q/thread/${thread}`,
        content: "<p>a reply from a limited server</p>",
      });
      const posted = await waitFor("the reply", () => mirrorOf(A, reply.id));
      expect(posted.threadNo).toBe(thread);
    });

    it("a rejected follow request is forgotten and answered with a Reject", async () => {
      // Another server on the peer's (silenced) domain, driven by hand.
      const other = await FakePeer.start(domainOf(peer));
      try {
        const actor = other.actor("bob");
        const followId = `${other.url}/follows/bob`;
        const res = await postSigned(
          `${A.url}/ap/boards/q/inbox`,
          {
            "@context": "https://www.w3.org/ns/activitystreams",
            id: followId,
            type: "Follow",
            actor: actor.id,
            object: group,
          },
          actor,
        );
        expect(res.status).toBe(202);
        const listed = (await admin(A, "GET", "/api/v1/admin/boards/q/follow_requests")).json as Array<Json>;
        expect(listed.map((f) => f["id"])).toEqual([followId]);
        // Named by the follower's actor id this time.
        const no = await admin(
          A,
          "POST",
          `/api/v1/admin/boards/q/follow_requests/${encodeURIComponent(actor.id)}/reject`,
        );
        expect(no.status).toBe(200);
        const reject = await other.waitFor((r) => r.body["type"] === "Reject");
        expect(reject.body["actor"]).toBe(group);
        expect((reject.body["object"] as Json)["id"]).toBe(followId);
        expect(await A.services.store.federation.follows.get(actor.id, group)).toBeNull();
        expect(other.received.filter((r) => r.body["type"] === "Accept")).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it("when the silenced domain becomes suspended, what is held from it is dropped", async () => {
      await peer.control("/control/note", { to: group, mention: "@q", content: "<p>held, then dropped</p>" });
      await waitFor("the held thread", async () =>
        (await A.services.store.defederation.held.list()).length > 0 ? true : undefined,
      );
      const blocks = (await admin(A, "GET", "/api/v1/admin/domain_blocks")).json as Array<{ id: string }>;
      const res = await admin(A, "PUT", `/api/v1/admin/domain_blocks/${blocks[0]?.id}`, { severity: "suspend" });
      expect(res.status).toBe(200);
      expect(await A.services.store.defederation.held.list()).toEqual([]);
      expect(await A.services.store.federation.follows.get(peer.actor, group)).toBeNull();
    });
  },
);
