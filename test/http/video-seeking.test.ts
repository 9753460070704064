import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRange } from "../../server/http/byte-range.js";
import { clockTime } from "../../server/http/web/pages/post.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { ffmpegMissing, makeVideo, VP9_OPUS } from "../support/videos.js";

const missing = ffmpegMissing();

describe("a Range header against a file's size", () => {
  it("picks one span, clamps its end, and tells an unsatisfiable one from one to ignore", () => {
    expect(resolveRange(undefined, 100)).toBeNull();
    expect(resolveRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(resolveRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(resolveRange("bytes=50-500", 100)).toEqual({ start: 50, end: 99 });
    expect(resolveRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(resolveRange("bytes=-500", 100)).toEqual({ start: 0, end: 99 });
    expect(resolveRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(resolveRange("bytes=-0", 100)).toBe("unsatisfiable");
    expect(resolveRange("bytes=0-", 0)).toBe("unsatisfiable");
    // several ranges, another unit, a reversed or malformed span: the whole file
    expect(resolveRange("bytes=0-1,5-6", 100)).toBeNull();
    expect(resolveRange("items=0-1", 100)).toBeNull();
    expect(resolveRange("bytes=9-1", 100)).toBeNull();
    expect(resolveRange("bytes=-", 100)).toBeNull();
  });

  it("shows a length as a player does", () => {
    expect([0, 0.3, 2.04, 5, 65, 754, 3723].map(clockTime)).toEqual([
      "0:00",
      "0:01",
      "0:02",
      "0:05",
      "1:05",
      "12:34",
      "1:02:03",
    ]);
  });
});

describe.skipIf(missing !== null)(`seeking in a video and its length${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let t: TestInstance;
  let tim: number;
  let whole: Buffer;
  let no: number;

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://atoll.test" });
    await t.services.boards.create({
      uri: "wsg",
      title: "Videos",
      settings: { allowedTypes: ["image/jpeg", "video/webm"], maxVideoDuration: 10 },
    });
    const webm = await makeVideo({ seconds: 2, width: 160, height: 90, codecs: VP9_OPUS, ext: ".webm" });
    const op = await request(t.app)
      .post("/api/v1/boards/wsg/threads")
      .field("com", "a clip")
      .attach("file", webm, { filename: "clip.webm", contentType: "video/webm" });
    expect(op.status).toBe(201);
    no = op.body.no;
    const thread = await request(t.app).get(`/wsg/thread/${no}.json`);
    tim = thread.body.posts[0].tim;
    const file = await request(t.app).get(`/media/wsg/${tim}.webm`).buffer(true);
    expect(file.status).toBe(200);
    expect(file.headers["accept-ranges"]).toBe("bytes");
    whole = Buffer.from(file.body);
  });
  afterAll(() => t.stop());

  it("answers a single range with 206 and exactly those bytes", async () => {
    const size = whole.length;
    const head = await request(t.app).get(`/media/wsg/${tim}.webm`).set("Range", "bytes=0-99").buffer(true);
    expect(head.status).toBe(206);
    expect(head.headers["content-range"]).toBe(`bytes 0-99/${size}`);
    expect(head.headers["content-length"]).toBe("100");
    expect(head.headers["content-type"]).toBe("video/webm");
    expect(Buffer.compare(Buffer.from(head.body), whole.subarray(0, 100))).toBe(0);

    const middle = await request(t.app).get(`/media/wsg/${tim}.webm`).set("Range", "bytes=1000-").buffer(true);
    expect(middle.status).toBe(206);
    expect(middle.headers["content-range"]).toBe(`bytes 1000-${size - 1}/${size}`);
    expect(Buffer.compare(Buffer.from(middle.body), whole.subarray(1000))).toBe(0);

    const tail = await request(t.app).get(`/media/wsg/${tim}.webm`).set("Range", "bytes=-16").buffer(true);
    expect(tail.status).toBe(206);
    expect(Buffer.compare(Buffer.from(tail.body), whole.subarray(size - 16))).toBe(0);

    const thumb = await request(t.app).get(`/media/wsg/${tim}s.jpg`).set("Range", "bytes=0-1").buffer(true);
    expect(thumb.status).toBe(206);
    expect([...Buffer.from(thumb.body)]).toEqual([0xff, 0xd8]);
  });

  it("answers a range past the end with 416, and sends the whole file for ranges it does not serve", async () => {
    const size = whole.length;
    const past = await request(t.app).get(`/media/wsg/${tim}.webm`).set("Range", `bytes=${size}-`);
    expect(past.status).toBe(416);
    expect(past.headers["content-range"]).toBe(`bytes */${size}`);

    const several = await request(t.app).get(`/media/wsg/${tim}.webm`).set("Range", "bytes=0-1,4-5").buffer(true);
    expect(several.status).toBe(200);
    expect(Buffer.from(several.body).length).toBe(size);

    const stale = await request(t.app)
      .get(`/media/wsg/${tim}.webm`)
      .set("Range", "bytes=0-1")
      .set("If-Range", '"another-version"')
      .buffer(true);
    expect(stale.status).toBe(200);
    expect(Buffer.from(stale.body).length).toBe(size);
  });

  it("keeps the video's length and shows it on the thumbnail, not in the 4chan JSON", async () => {
    const post = await t.services.store.posts.getPost("wsg", no);
    expect(post?.file?.duration).toBeGreaterThan(1.5);
    expect(post?.file?.duration).toBeLessThan(2.5);
    const page = await request(t.app).get(`/wsg/thread/${no}`);
    expect(page.text).toContain(`<span class="video-duration">0:02</span>`);
    expect(page.text).toContain("160x90, 0:02)");
    const thread = await request(t.app).get(`/wsg/thread/${no}.json`);
    expect(thread.body.posts[0]).not.toHaveProperty("duration");
  });
});
