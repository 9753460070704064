import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FedifyPeer, fedifyPeerUnavailable, freePort, startFedifyPeer } from "../support/fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const unavailable = fedifyPeerUnavailable();

interface Lookup {
  found: boolean;
  type: string;
  id: string;
  name: string | null;
  content: string | null;
  attributedTo: string | null;
  inbox: string | null;
  publicKeyOwner: string | null;
  attachments: Array<{ type: string; url: string | null; mediaType: string | null }>;
}

describe.skipIf(unavailable !== null)(
  `an independent implementation (Fedify) reads Atoll's documents${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let t: TestInstance;
    let peer: FedifyPeer;
    let base: string;
    let thread: number;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      t = await startTestInstance(
        { PORT: String(port), PUBLIC_URL: base, ALLOW_PRIVATE_ADDRESSES: "on" },
        { listen: true },
      );
      await t.services.boards.create({
        uri: "b",
        title: "Random",
        description: "Anything goes",
        settings: { requireImageForThread: false },
      });
      const file = { buffer: await makeJpeg(320, 200), originalName: "cat.jpg" };
      thread = (
        await t.services.posting.createThread({
          board: "b",
          subject: "Hello fediverse",
          comment: "first post",
          file,
          ip: "192.0.2.9",
        })
      ).no;
      peer = await startFedifyPeer();
    }, 120_000);
    afterAll(async () => {
      await peer?.stop();
      await t?.stop();
    });

    async function until<T>(probe: () => Promise<T | null | undefined | false>, what: string, ms = 10_000): Promise<T> {
      const end = Date.now() + ms;
      for (;;) {
        const v = await probe();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const threadJson = async (no: number) =>
      (await (await fetch(`${base}/b/thread/${no}.json`)).json()) as { posts: Array<Record<string, unknown>> };

    it("follows a board: Atoll verifies the peer's signature and the peer verifies Atoll's Accept", async () => {
      const res = await peer.control<{ ok: boolean }>("/control/follow", { target: `${base}/ap/boards/b` });
      expect(res.ok).toBe(true);
      const follow = await until(
        () => t.services.store.federation.follows.get(peer.actor, `${base}/ap/boards/b`),
        "the follow",
      );
      expect(follow.state).toBe("accepted");
      // The peer records only activities whose signatures it verified.
      const accept = await until(async () => (await peer.received()).find((a) => a["type"] === "Accept"), "the Accept");
      expect(accept["actor"]).toBe(`${base}/ap/boards/b`);
    });

    it("delivers a new thread to the following peer, signed by the board", async () => {
      const posted = await t.services.posting.createThread({
        board: "b",
        subject: "For followers",
        comment: "delivered",
        ip: "192.0.2.10",
      });
      const noteId = `${base}/b/thread/${posted.no}`;
      const announces = await until(async () => {
        const got = (await peer.received()).filter(
          (a) => a["type"] === "Announce" && JSON.stringify(a).includes(noteId),
        );
        return got.length >= 2 ? got : null;
      }, "the announces");
      expect(announces.every((a) => a["actor"] === `${base}/ap/boards/b`)).toBe(true);
      const wrapped = announces.find((a) => typeof a["object"] === "object");
      expect(JSON.stringify(wrapped)).toContain("delivered");
    });

    it("takes a reply from the peer into the thread, with the author's handle", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: `${base}/ap/boards/b`,
        inReplyTo: `${base}/b/thread/${thread}`,
        content: "<p>hello from fedify</p><script>alert(1)</script>",
      });
      expect(sent.ok).toBe(true);
      const reply = await until(
        async () => (await threadJson(thread)).posts.find((p) => p["fedi_actor"] === peer.actor),
        "the reply",
      );
      expect(reply).toMatchObject({ resto: thread, ap_id: sent.id });
      expect(String(reply["com"])).toContain("hello from fedify");
      expect(String(reply["com"])).not.toContain("<script");
      expect(String(reply["name"])).toContain("alice@");
    });

    it("turns a top-level note mentioning the board into a new thread", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: `${base}/ap/boards/b`,
        mention: "@b",
        content: "<p>A thread from the fediverse</p><p>with a body</p>",
      });
      expect(sent.ok).toBe(true);
      const op = await until(async () => {
        const catalog = (await (await fetch(`${base}/b/catalog.json`)).json()) as Array<{
          threads: Array<Record<string, unknown>>;
        }>;
        return catalog.flatMap((p) => p.threads).find((x) => x["ap_id"] === sent.id);
      }, "the new thread");
      expect(op["sub"]).toBe("A thread from the fediverse");
      expect(op["fedi_actor"]).toBe(peer.actor);
    });

    it("stops delivering after the peer unfollows", async () => {
      await peer.control("/control/undo-follow", { target: `${base}/ap/boards/b` });
      await until(
        async () => !(await t.services.store.federation.follows.get(peer.actor, `${base}/ap/boards/b`)),
        "the unfollow",
      );
      expect(await t.services.store.federation.follows.countFollowers("b")).toBe(0);
    });

    it("reads a board as a Group with an inbox and a key it owns", async () => {
      const g = await peer.control<Lookup>("/control/lookup", { uri: `${base}/ap/boards/b` });
      expect(g).toMatchObject({
        found: true,
        type: "Group",
        id: `${base}/ap/boards/b`,
        inbox: `${base}/ap/boards/b/inbox`,
        publicKeyOwner: `${base}/ap/boards/b`,
      });
      expect(g.name).toContain("Random");
    });

    it("reads a thread URL as a Note with its subject, text, author and image", async () => {
      const n = await peer.control<Lookup>("/control/lookup", { uri: `${base}/b/thread/${thread}` });
      expect(n).toMatchObject({
        found: true,
        type: "Note",
        id: `${base}/b/thread/${thread}`,
        name: "Hello fediverse",
        attributedTo: `${base}/ap/anonymous`,
      });
      expect(n.content).toContain("first post");
      expect(n.attachments).toHaveLength(1);
      expect(n.attachments[0]).toMatchObject({ type: "Document", mediaType: "image/jpeg" });
      expect(n.attachments[0]?.url).toMatch(new RegExp(`^${base}/media/b/\\d+\\.jpg$`));
      const author = await peer.control<Lookup>("/control/lookup", { uri: n.attributedTo });
      expect(author).toMatchObject({ found: true, type: "Person", name: "Anonymous" });
    });
  },
);
