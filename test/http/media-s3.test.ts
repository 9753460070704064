import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import sharp from "sharp";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3MediaStore, s3Client } from "../../storage/media/s3-media-store.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { picture } from "../support/pictures.js";
import { startS3, type TestS3 } from "../support/s3-server.js";
import { ffmpegMissing, makeVideo, VP9_OPUS } from "../support/videos.js";

const noVideo = ffmpegMissing();

interface ThreadFile {
  no: number;
  tim: number;
  ext: string;
  md5: string;
}

describe("media in an S3-compatible bucket (MEDIA_STORE=s3)", () => {
  let s3: TestS3;
  let t: TestInstance;
  let jpeg: Buffer;

  beforeAll(async () => {
    s3 = await startS3();
    t = await startTestInstance({ ...s3.env, PUBLIC_URL: "http://atoll.test" });
    await t.services.boards.create({
      uri: "wsg",
      title: "Videos",
      settings: { allowedTypes: ["image/jpeg", "video/webm"], maxVideoDuration: 10 },
    });
    jpeg = await sharp(await picture(7, 640, 480))
      .jpeg()
      .toBuffer();
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.remove();
  });

  async function posts(no: number): Promise<ThreadFile[]> {
    const thread = await request(t.app).get(`/wsg/thread/${no}.json`);
    expect(thread.status).toBe(200);
    return thread.body.posts as ThreadFile[];
  }

  /** The object the bucket holds for `sha256`, with its headers. */
  async function object(sha256: string) {
    const client = s3Client(s3.settings);
    try {
      const got = await client.send(
        new GetObjectCommand({ Bucket: s3.settings.bucket, Key: S3MediaStore.key(sha256) }),
      );
      return {
        type: got.ContentType,
        cache: got.CacheControl,
        bytes: Buffer.from(await got.Body!.transformToByteArray()),
      };
    } finally {
      client.destroy();
    }
  }

  it("stores an image post's original and thumbnail in the bucket and serves them through /media", async () => {
    const op = await request(t.app)
      .post("/api/v1/boards/wsg/threads")
      .field("com", "a picture")
      .attach("file", jpeg, { filename: "pic.jpg", contentType: "image/jpeg" });
    expect(op.status).toBe(201);
    const [first] = await posts(op.body.no);
    const file = await t.services.store.posts.findFileByTim("wsg", first!.tim);
    expect(file).not.toBeNull();

    const original = await request(t.app).get(`/media/wsg/${first!.tim}.jpg`).buffer(true);
    expect(original.status).toBe(200);
    expect(original.headers["content-type"]).toBe("image/jpeg");
    const stored = await object(file!.sha256);
    expect(Buffer.compare(Buffer.from(original.body), stored.bytes)).toBe(0);
    expect(stored.type).toBe("image/jpeg");
    expect(stored.cache).toBe("public, max-age=31536000, immutable");

    const thumb = await request(t.app).get(`/media/wsg/${first!.tim}s.jpg`).buffer(true);
    expect(thumb.status).toBe(200);
    const storedThumb = await object(file!.thumbSha256);
    expect(Buffer.compare(Buffer.from(thumb.body), storedThumb.bytes)).toBe(0);
    expect(storedThumb.type).toBe("image/jpeg");

    const part = await request(t.app).get(`/media/wsg/${first!.tim}.jpg`).set("Range", "bytes=10-29").buffer(true);
    expect(part.status).toBe(206);
    expect(part.headers["content-range"]).toBe(`bytes 10-29/${stored.bytes.length}`);
    expect(Buffer.compare(Buffer.from(part.body), stored.bytes.subarray(10, 30))).toBe(0);
  });

  it.skipIf(noVideo !== null)(
    `serves a video reply with byte ranges${noVideo ? ` (skipped: ${noVideo})` : ""}`,
    async () => {
      const op = await request(t.app)
        .post("/api/v1/boards/wsg/threads")
        .field("com", "thread for a clip")
        .attach(
          "file",
          await sharp(await picture(8, 320, 240))
            .jpeg()
            .toBuffer(),
          { filename: "a.jpg" },
        );
      expect(op.status).toBe(201);
      const webm = await makeVideo({ seconds: 2, width: 160, height: 90, codecs: VP9_OPUS, ext: ".webm" });
      const reply = await request(t.app)
        .post(`/api/v1/boards/wsg/threads/${op.body.no}/replies`)
        .field("com", "a clip")
        .attach("file", webm, { filename: "clip.webm", contentType: "video/webm" });
      expect(reply.status).toBe(201);
      const video = (await posts(op.body.no)).find((p) => p.no === reply.body.no);
      expect(video?.ext).toBe(".webm");
      const file = await t.services.store.posts.findFileByTim("wsg", video!.tim);
      const stored = await object(file!.sha256);
      expect(stored.type).toBe("video/webm");

      const whole = await request(t.app).get(`/media/wsg/${video!.tim}.webm`).buffer(true);
      expect(whole.status).toBe(200);
      expect(Buffer.compare(Buffer.from(whole.body), stored.bytes)).toBe(0);
      const size = stored.bytes.length;
      const tail = await request(t.app).get(`/media/wsg/${video!.tim}.webm`).set("Range", "bytes=1000-").buffer(true);
      expect(tail.status).toBe(206);
      expect(tail.headers["content-range"]).toBe(`bytes 1000-${size - 1}/${size}`);
      expect(Buffer.compare(Buffer.from(tail.body), stored.bytes.subarray(1000))).toBe(0);
      const beyond = await request(t.app).get(`/media/wsg/${video!.tim}.webm`).set("Range", `bytes=${size}-`);
      expect(beyond.status).toBe(416);
      expect(beyond.headers["content-range"]).toBe(`bytes */${size}`);
    },
  );

  it("removes a deleted post's objects from the bucket", async () => {
    const pic = await sharp(await picture(9, 300, 200))
      .jpeg()
      .toBuffer();
    const op = await request(t.app)
      .post("/api/v1/boards/wsg/threads")
      .field("com", "to go")
      .attach("file", pic, "x.jpg");
    expect(op.status).toBe(201);
    const [first] = await posts(op.body.no);
    const file = await t.services.store.posts.findFileByTim("wsg", first!.tim);
    expect(await t.services.media.has(file!.sha256)).toBe(true);
    await t.services.staff.createUser("boss", "a long enough password 1", "admin", []);
    await t.services.moderation.deletePost({ username: "boss", role: "admin", boards: [] }, "wsg", op.body.no);
    expect(await t.services.media.has(file!.sha256)).toBe(false);
    expect(await t.services.media.has(file!.thumbSha256)).toBe(false);
  });

  // Last: it stops the S3 server.
  it("refuses a post with a 503 and keeps nothing of it when the bucket does not answer", async () => {
    const first = await sharp(await picture(11, 300, 200))
      .jpeg()
      .toBuffer();
    const op = await request(t.app)
      .post("/api/v1/boards/wsg/threads")
      .field("com", "before the outage")
      .attach("file", first, { filename: "first.jpg", contentType: "image/jpeg" });
    expect(op.status).toBe(201);
    const before = await posts(op.body.no);
    await s3.stop();
    const pic = await sharp(await picture(10, 400, 300))
      .jpeg()
      .toBuffer();
    const reply = await request(t.app)
      .post(`/api/v1/boards/wsg/threads/${op.body.no}/replies`)
      .field("com", "during the outage")
      .attach("file", pic, { filename: "lost.jpg", contentType: "image/jpeg" });
    expect(reply.status).toBe(503);
    expect(reply.body.type).toContain("storage-unavailable");
    expect(reply.body.detail).toContain("not saved");
    expect(await posts(op.body.no)).toEqual(before);
    // Reading a stored file while the bucket is gone is the same passing trouble, not a 404 or a 500.
    const read = await request(t.app).get(`/media/wsg/${before[0]!.tim}.jpg`);
    expect(read.status).toBe(503);
    // The HEAD the thread page's files rely on fails loudly too, rather than answering "absent".
    await expect(t.services.media.has("0".repeat(64))).rejects.toMatchObject({
      name: "StorageError",
      reason: "unavailable",
    });
    const probe = s3Client(s3.settings);
    await expect(
      probe.send(new HeadObjectCommand({ Bucket: s3.settings.bucket, Key: S3MediaStore.key("0".repeat(64)) })),
    ).rejects.toBeDefined();
    probe.destroy();
  });
});
