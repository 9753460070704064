import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { ffmpegMissing, H264_AAC, makeVideo, VP9_OPUS } from "../support/videos.js";

const missing = ffmpegMissing();

describe.skipIf(missing !== null)(`posting videos${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let t: TestInstance;
  let webm: Buffer;
  let mp4: Buffer;

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://atoll.test" });
    await t.services.boards.create({
      uri: "wsg",
      title: "Videos",
      settings: { allowedTypes: ["image/jpeg", "video/webm", "video/mp4"], maxVideoDuration: 10 },
    });
    await t.services.boards.create({ uri: "b", title: "Images only" });
    const secret = ["-metadata", "title=SECRET-TITLE"];
    webm = await makeVideo({ seconds: 2, width: 320, height: 180, codecs: VP9_OPUS, ext: ".webm", extra: secret });
    mp4 = await makeVideo({ seconds: 2, width: 320, height: 180, codecs: H264_AAC, ext: ".mp4", extra: secret });
  });
  afterAll(() => t.stop());

  it("takes a WebM thread and an MP4 reply and serves both in every read shape", async () => {
    const op = await request(t.app)
      .post("/api/v1/boards/wsg/threads")
      .field("com", "a clip")
      .attach("file", webm, { filename: "clip.webm", contentType: "video/webm" });
    expect(op.status).toBe(201);
    const reply = await request(t.app)
      .post(`/api/v1/boards/wsg/threads/${op.body.no}/replies`)
      .field("com", "another")
      .attach("file", mp4, { filename: "other.mp4", contentType: "video/mp4" });
    expect(reply.status).toBe(201);

    const thread = await request(t.app).get(`/wsg/thread/${op.body.no}.json`);
    expect(thread.status).toBe(200);
    const [first, second] = thread.body.posts;
    expect(first).toMatchObject({ ext: ".webm", filename: "clip", w: 320, h: 180, tn_w: 250, tn_h: 141 });
    expect(second).toMatchObject({ ext: ".mp4", filename: "other", w: 320, h: 180, tn_w: 125 });

    const file = await request(t.app).get(`/media/wsg/${first.tim}.webm`).buffer(true);
    expect(file.status).toBe(200);
    expect(file.headers["content-type"]).toBe("video/webm");
    expect(Buffer.from(file.body).includes("SECRET")).toBe(false);
    const clip = await request(t.app).get(`/media/wsg/${second.tim}.mp4`).buffer(true);
    expect(clip.headers["content-type"]).toBe("video/mp4");
    const thumb = await request(t.app).get(`/media/wsg/${first.tim}s.jpg`);
    expect(thumb.headers["content-type"]).toBe("image/jpeg");

    const page = await request(t.app).get(`/wsg/thread/${op.body.no}`);
    expect(page.text).toContain(`class="file-thumb file-video"`);
    expect(page.text).toContain("/static/video.js");
  });

  it("refuses videos a board does not take, and hostile videos, with a 4xx", async () => {
    const images = await request(t.app).post("/api/v1/boards/b/threads").attach("file", webm, "clip.webm");
    expect(images.status).toBe(415);
    expect(images.body.detail).toBe("Videos are not accepted on this board.");

    const truncated = await request(t.app)
      .post("/api/v1/boards/wsg/threads")
      .attach("file", webm.subarray(0, 300), "cut.webm");
    expect(truncated.status).toBe(422);
    expect(truncated.body.detail).toMatch(/damaged or truncated/);

    const long = await makeVideo({ seconds: 12, width: 64, height: 36, codecs: H264_AAC, ext: ".mp4", rate: 5 });
    const tooLong = await request(t.app).post("/api/v1/boards/wsg/threads").attach("file", long, "long.mp4");
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.detail).toMatch(/too long/);
    const posts = await request(t.app).get("/wsg/catalog.json");
    expect(posts.body.flatMap((p: { threads: unknown[] }) => p.threads)).toHaveLength(1);
  });
});
