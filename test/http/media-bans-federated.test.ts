import { once } from "node:events";
import { createServer, type Server } from "node:http";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFUSED_ATTACHMENT_REPORT } from "../../server/services/media-bans.js";
import { type FedifyPeer, fedifyPeerUnavailable, freePort, startFedifyPeer } from "../support/fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import { waitFor } from "../support/loopback.js";

const unavailable = fedifyPeerUnavailable();
const TOKEN = "f".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

/*
 * A reply from an independent server (the Fedify peer) whose attachment is banned arrives without
 * the file, and the board's staff find it in the reports queue.
 */
describe.skipIf(unavailable !== null)(
  `federated attachments matching a media ban${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let t: TestInstance;
    let peer: FedifyPeer;
    let base: string;
    let thread: number;
    // The peer's media server: a real image on a loopback address of its own.
    let images: Server;
    let imageUrl: string;

    beforeAll(async () => {
      const port = await freePort("127.0.0.90");
      base = `http://127.0.0.90:${port}`;
      t = await startTestInstance(
        { HOST: "127.0.0.90", PORT: String(port), PUBLIC_URL: base, ALLOW_PRIVATE_ADDRESSES: "on", ADMIN_TOKEN: TOKEN },
        { listen: true },
      );
      await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
      thread = (await t.services.posting.createThread({ board: "b", comment: "first post", ip: "192.0.2.9" })).no;
      peer = await startFedifyPeer("127.0.0.91");
      const jpeg = await makeJpeg(120, 90);
      images = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": jpeg.length });
        res.end(jpeg);
      });
      images.listen(0, "127.0.0.92");
      await once(images, "listening");
      imageUrl = `http://127.0.0.92:${(images.address() as { port: number }).port}/picture.jpg`;
    }, 120_000);
    afterAll(async () => {
      await peer?.stop();
      images?.close();
      await t?.stop();
    });

    const replyWithImage = async (content: string) => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: `${base}/ap/boards/b`,
        inReplyTo: `${base}/b/thread/${thread}`,
        content: `<p>${content}</p>`,
        image: imageUrl,
      });
      expect(sent.ok).toBe(true);
      return waitFor(
        "the reply",
        async () => (await t.services.store.posts.getThreadPosts("b", thread)).find((p) => p.apId === sent.id),
        15_000,
      );
    };

    it("takes the image until its file is deleted and banned, then keeps such a reply without it and tells staff", async () => {
      const first = await replyWithImage("with a picture");

      expect(first.file).not.toBeNull();

      const banned = await request(t.app)
        .post("/api/v1/admin/media_bans")
        .set(auth)
        .send({ post: `b/${first.no}`, reason: "not here" });
      expect(banned.status).toBe(201);
      // Its digest and its likeness.
      expect((banned.body.bans as Array<{ kind: string }>).map((b) => b.kind).sort()).toEqual(["pdq", "sha256"]);
      expect(await t.services.store.reports.listOpen(["b"])).toEqual([]);

      const second = await replyWithImage("the same picture again");
      expect(second.file).toBeNull();
      expect(second.comment).toContain("the same picture again");
      let blobs = 0;
      for await (const _ of t.services.media.list()) blobs++;
      expect(blobs).toBe(0);

      const reports = await request(t.app).get("/api/v1/admin/reports").set(auth);
      expect(reports.status).toBe(200);
      expect(reports.body).toEqual([
        expect.objectContaining({ board: "b", post_no: second.no, reason: REFUSED_ATTACHMENT_REPORT, origin: null }),
      ]);
      // The automatic report stays here: nothing about it is sent to the peer.
      const received = await peer.received();
      expect(received.filter((a) => a["type"] === "Flag")).toEqual([]);
    }, 60_000);
  },
);
