import { createHash } from "node:crypto";
import { utimes } from "node:fs/promises";
import { join } from "node:path";
import { CopyObjectCommand, DeleteObjectCommand } from "@aws-sdk/client-s3";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PostFile } from "../../server/domain/post.js";
import { namesOf } from "../../server/services/named-media.js";
import { s3Client } from "../../storage/media/s3-media-store.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import { startS3, type TestS3 } from "../support/s3-server.js";
import { runCli, serverBuilt } from "../support/server-process.js";

/*
 * An instance that took posts while MEDIA_URL pointed at its own /media, then moved MEDIA_URL to the
 * bucket: `atoll media publish` makes the names its pages now link.
 */

/** `atoll …` as a child process; the S3 server answers from this process meanwhile. */
const atoll = (args: string[], env: Record<string, string>) => runCli(args, env);

/** Leaves out the SDK's notice about Node versions, which is not the command's output. */
const withoutNotice = (err: string) => err.replace(/.*NodeVersionSupportWarning[\s\S]*?trace-warnings[^\n]*\n/, "");

const sha256 = (data: ArrayBuffer) => createHash("sha256").update(Buffer.from(data)).digest("hex");

describe.skipIf(!serverBuilt)("atoll media publish (skipped when dist/ is not built: run npm run build)", () => {
  let s3: TestS3;
  let t: TestInstance;
  let mediaUrl: string;
  let env: Record<string, string>;
  /** Every name the posts' pages link once MEDIA_URL is at the bucket, with the blob it must show. */
  let names: [string, string][];

  const fromBucket = (name: string) => fetch(`${mediaUrl}/${name}`);

  async function post(board: string, thread: number | null, files: number, seed: number): Promise<number> {
    const path =
      thread === null ? `/api/v1/boards/${board}/threads` : `/api/v1/boards/${board}/threads/${thread}/replies`;
    let req = request(t.app).post(path).field("com", `post ${seed}`);
    for (let i = 0; i < files; i++) {
      req = req.attach("file", await makeJpeg(40 + seed * 4 + i, 32), { filename: "a.jpg", contentType: "image/jpeg" });
    }
    const res = await req;
    expect(res.status).toBe(201);
    return (res.body as { no: number }).no;
  }

  beforeAll(async () => {
    s3 = await startS3();
    mediaUrl = `${s3.settings.endpoint}/${s3.settings.bucket}`;
    // MEDIA_URL at the instance itself (the default): no names are made while these posts are taken.
    t = await startTestInstance({ ...s3.env, PUBLIC_URL: "http://127.0.0.1:9" });
    await t.services.boards.create({ uri: "b", title: "b" });
    await t.services.boards.create({ uri: "c", title: "c", settings: { maxFiles: 4 } });
    const op = await post("b", null, 1, 1);
    await post("b", op, 1, 2);
    await post("b", op, 0, 3);
    await post("c", null, 3, 4);
    const archived = await post("b", null, 1, 5);
    await t.services.store.posts.setThreadFlags("b", archived, { archived: true });

    const files: { board: string; file: PostFile }[] = [];
    for (let page = await t.services.store.posts.filesAfter(null, 100); page.length > 0; ) {
      for (const p of page) for (const file of p.files) files.push({ board: p.board, file });
      page = await t.services.store.posts.filesAfter(page.at(-1)!, 100);
    }
    expect(files).toHaveLength(6);
    names = files.flatMap(({ board, file }) => namesOf(board, file));
    env = { DATA_DIR: t.dataDir, PUBLIC_URL: "http://127.0.0.1:9", ...s3.env, MEDIA_URL: mediaUrl };
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.remove();
  });

  it("copies every post's names, on every board and in the archive, then copies nothing the second time", async () => {
    for (const [name] of names) expect((await fromBucket(name)).status).toBe(404);

    const first = await atoll(["media", "publish"], env);
    expect(withoutNotice(first.err)).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^5 posts held; publishing their files' names in bucket atoll-media$/m);
    expect(first.out).toMatch(/^4 {2}c\/1 {2}6 copied, 0 already there$/m);
    expect(first.out).toContain("Done: 4 posts with files, 12 names copied, 0 already there, 0 failed.");
    for (const [name, blob] of names) {
      const got = await fromBucket(name);
      expect(got.status, name).toBe(200);
      expect(got.headers.get("content-type")).toBe("image/jpeg");
      expect(got.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(sha256(await got.arrayBuffer())).toBe(blob);
    }

    const second = await atoll(["media", "publish"], env);
    expect(second.code).toBe(0);
    expect(second.out).toContain("Done: 4 posts with files, 0 names copied, 12 already there, 0 failed.");
  });

  it("starts after the post --after names", async () => {
    const run = await atoll(["media", "publish", "--after", "b/4"], env);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^1 {2}c\/1 {2}0 copied, 6 already there$/m);
    expect(run.out).toContain("Done: 1 posts with files, 0 names copied, 6 already there, 0 failed.");
    const bad = await atoll(["media", "publish", "--after", "b"], env);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--after takes board/number");
  });

  it("prunes, with --prune, the names no post holds that were written more than a day ago", async () => {
    const [held, blob] = names[0]!;
    const leftovers = ["b/5.jpg", "b/5s.jpg", "gone/7.png"];
    const fresh = "b/6.jpg";
    const client = s3Client(s3.settings);
    try {
      for (const key of [...leftovers, fresh]) {
        await client.send(
          new CopyObjectCommand({
            Bucket: s3.settings.bucket,
            Key: key,
            CopySource: `${s3.settings.bucket}/media/${blob}`,
          }),
        );
      }
    } finally {
      client.destroy();
    }
    // s3rver dates an object by its file's modification time
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    for (const key of [...leftovers, held]) {
      await utimes(join(s3.directory, s3.settings.bucket, `${key}._S3rver_object`), twoDaysAgo, twoDaysAgo);
    }

    const run = await atoll(["media", "publish", "--prune"], env);
    expect(withoutNotice(run.err)).toBe("");
    expect(run.code).toBe(0);
    for (const key of leftovers) expect(run.out).toContain(`${key}  removed: no post holds it`);
    expect(run.out).toContain("Pruned: 3 names no post holds removed, 1 held, 12 younger than a day left, 0 failed.");
    for (const key of leftovers) expect((await fromBucket(key)).status).toBe(404);
    expect((await fromBucket(fresh)).status).toBe(200);
    for (const [name] of names) expect((await fromBucket(name)).status).toBe(200);
  });

  it("names each name not copied and exits non-zero, saying when the file itself is not in the bucket", async () => {
    const [name, blob] = names[0]!;
    const client = s3Client(s3.settings);
    try {
      for (const key of [name, `media/${blob}`]) {
        await client.send(new DeleteObjectCommand({ Bucket: s3.settings.bucket, Key: key }));
      }
    } finally {
      client.destroy();
    }
    const run = await atoll(["media", "publish"], env);
    expect(run.code).toBe(1);
    expect(withoutNotice(run.err)).toContain(
      `${name}  FAILED: media/${blob} is not in the bucket: run atoll media migrate --to s3 first`,
    );
    expect(run.err).toContain("1 names were not copied; run the command again to retry them.");
    expect(run.out).toContain("Done: 4 posts with files, 0 names copied, 11 already there, 1 failed.");
  });

  it("stops when the bucket does not answer, naming where to start again", async () => {
    await s3.stop();
    const run = await atoll(["media", "publish", "--after", "b/1"], env);
    expect(run.code).toBe(1);
    expect(run.err.match(/FAILED: object storage could not look up/g)).toHaveLength(10);
    expect(run.err).toContain("the bucket failed 10 times in a row, so the walk stopped; 10 names were not copied");
    expect(run.err).toContain("(--after b/1 skips the posts before the first failure)");
  });

  it("refuses to run unless MEDIA_URL points at the bucket of MEDIA_STORE=s3", async () => {
    const own = await atoll(["media", "publish"], { ...env, MEDIA_URL: "http://127.0.0.1:9/media" });
    expect(own.code).toBe(2);
    expect(own.err).toContain("set MEDIA_STORE=s3, the S3_* variables and MEDIA_URL at the bucket");
    const fs = await atoll(["media", "publish"], { DATA_DIR: t.dataDir, MEDIA_URL: mediaUrl });
    expect(fs.code).toBe(2);
    const help = await atoll(["media", "publish", "--help"], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain("atoll media migrate first");
  });
});
