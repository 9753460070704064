import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, createBoard, mirrorOf, startAtoll, waitFor } from "../support/defederation-parties.js";
import { type FedifyPeer, fedifyPeerUnavailable, startFedifyPeer } from "../support/fedify-peer.js";
import type { TestInstance } from "../support/instance.js";
import type { Json } from "../support/loopback.js";

/*
 * Word filters on federated posts, with the independent Fedify peer (127.0.0.2) sending to an Atoll
 * instance (127.0.0.1): refused with a Reject, held with the held threads, replaced, and scopes.
 */

const unavailable = fedifyPeerUnavailable();

describe.skipIf(unavailable !== null)(
  `word filters on federated posts${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let A: TestInstance;
    let peer: FedifyPeer;
    let group: string;
    let thread = 0;

    const filter = async (body: Json) => {
      const res = await admin(A, "POST", "/api/v1/admin/filters", body);
      expect(res.status).toBe(201);
    };
    const reply = (content: string) =>
      peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        inReplyTo: `${A.url}/f/thread/${thread}`,
        content: `<p>${content}</p>`,
      });

    beforeAll(async () => {
      A = await startAtoll("127.0.0.1");
      await createBoard(A, "f");
      group = `${A.url}/ap/boards/f`;
      thread = (await A.services.posting.createThread({ board: "f", comment: "a local thread", ip: "192.0.2.9" })).no;
      peer = await startFedifyPeer("127.0.0.2");
      await filter({ pattern: "fedreject", action: "reject", scope: "federated" });
      await filter({ pattern: "localonly", action: "reject", scope: "local" });
      await filter({ pattern: "fedswap", action: "replace", replacement: "[swapped]", scope: "both" });
      await filter({ pattern: "f[e3]dh[o0]ld", regex: true, action: "hold", scope: "federated" });
    }, 120_000);
    afterAll(async () => {
      await peer?.stop();
      await A?.stop();
    });

    it("refuses a filtered post with a signed Reject and stores nothing", async () => {
      const sent = await reply("this is F3DREJECT text");
      expect(sent.ok).toBe(true);
      const rejectActivity = await waitFor("the Reject at the peer", async () =>
        (await peer.received()).find((a) => a["type"] === "Reject"),
      );
      expect(rejectActivity["actor"]).toBe(group);
      expect(JSON.stringify(rejectActivity)).toContain(sent.id);
      expect(JSON.stringify(rejectActivity)).not.toContain("fedreject");
      expect(await mirrorOf(A, sent.id)).toBeNull();
    });

    it("takes a post a local-only filter would refuse, and replaces what a replace filter matches", async () => {
      const ok = await reply("localonly is fine from afar");
      const posted = await waitFor("the reply", () => mirrorOf(A, ok.id));
      expect(posted.comment).toContain("localonly is fine");
      const swapped = await reply("some fedswap here");
      const stored = await waitFor("the replaced reply", () => mirrorOf(A, swapped.id));
      expect(stored.comment).toContain("some [swapped] here");
      expect(stored.html).not.toContain("fedswap");
    });

    it("holds a filtered post with the held threads; approving posts it", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        mention: "@f",
        content: "<p>please fedh0ld this</p>",
      });
      expect(sent.ok).toBe(true);
      const held = await waitFor("the held post", async () => {
        const list = (await admin(A, "GET", "/api/v1/admin/held")).json as Json[];
        return list.find((h) => h["object_id"] === sent.id);
      });
      expect(held).toMatchObject({ board: "f", actor: peer.actor });
      expect(held["reason"]).toContain("f[e3]dh[o0]ld");
      expect(await mirrorOf(A, sent.id)).toBeNull();
      const approved = await admin(A, "POST", `/api/v1/admin/held/${encodeURIComponent(held["id"] as string)}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.json).toMatchObject({ outcome: "accepted" });
      const post = await mirrorOf(A, sent.id);
      expect(post?.comment).toContain("please fedh0ld this");
      expect((await admin(A, "GET", "/api/v1/admin/held")).json).toEqual([]);
    });
  },
);
