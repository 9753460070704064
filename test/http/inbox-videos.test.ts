import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InboxScene } from "../support/inbox-scene.js";
import { ffmpegMissing, H264_AAC, makeVideo, VP9_OPUS } from "../support/videos.js";

/*
 * Videos as other software sends them: Mastodon a `Document` with mediaType video/mp4, Lemmy and
 * PeerTube-like servers a `Video`. /b/ takes MP4 only here; WebM stays out, as does everything on an
 * images-only board.
 */

const missing = ffmpegMissing();

describe.skipIf(missing !== null)(
  `video attachments through the inbox${missing ? ` (skipped: ${missing})` : ""}`,
  () => {
    const scene = new InboxScene();
    const { thread, note, create, send } = scene;

    beforeAll(async () => {
      await scene.start();
      await scene.t.services.boards.update("b", {
        settings: { requireImageForThread: false, allowedTypes: ["image/jpeg", "video/mp4"], maxVideoDuration: 10 },
      });
      const mp4 = await makeVideo({ seconds: 1, width: 96, height: 64, codecs: H264_AAC, ext: ".mp4" });
      const webm = await makeVideo({ seconds: 1, width: 96, height: 64, codecs: VP9_OPUS, ext: ".webm" });
      scene.peer.serve("/media/clip.mp4", mp4, { type: "video/mp4" });
      scene.peer.serve("/media/clip.webm", webm, { type: "video/webm" });
      scene.peer.serve("/media/page.mp4", Buffer.from("<html>nope</html>"), { type: "text/html" });
    });
    afterAll(() => scene.stop());

    const reply = async (attachment: unknown[]) => {
      const n = note(scene.alice, {
        inReplyTo: `${scene.t.url}/b/thread/${scene.op}`,
        content: "<p>a clip</p>",
        attachment,
      });
      expect((await send(create(scene.alice, n), scene.alice)).status).toBe(202);
      const post = (await thread(scene.op)).find((p) => p["ap_id"] === n["id"]);
      expect(post?.["com"]).toContain("a clip");
      return post ?? {};
    };

    it("takes Mastodon's Document with mediaType video/mp4 as a playable MP4", async () => {
      const post = await reply([{ type: "Document", mediaType: "video/mp4", url: `${scene.peer.url}/media/clip.mp4` }]);
      expect(post).toMatchObject({ ext: ".mp4", w: 96, h: 64 });
    });

    it("takes a Video that names no media type", async () => {
      const post = await reply([{ type: "Video", url: `${scene.peer.url}/media/clip.mp4` }]);
      expect(post).toMatchObject({ ext: ".mp4" });
    });

    it("leaves out a video type the board does not take, and a 'video' served as a page", async () => {
      const webm = await reply([
        { type: "Document", mediaType: "video/webm", url: `${scene.peer.url}/media/clip.webm` },
      ]);
      expect(webm["tim"]).toBeUndefined();
      const page = await reply([{ type: "Document", mediaType: "video/mp4", url: `${scene.peer.url}/media/page.mp4` }]);
      expect(page["tim"]).toBeUndefined();
    });
  },
);
