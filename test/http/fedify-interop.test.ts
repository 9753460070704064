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
      await t.services.boards.create({ uri: "b", title: "Random", description: "Anything goes" });
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
    }, 60_000);
    afterAll(async () => {
      await peer?.stop();
      await t?.stop();
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
