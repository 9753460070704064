import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import { FsMediaStore } from "../../storage/media/fs-media-store.js";
import { S3MediaStore } from "../../storage/media/s3-media-store.js";
import { openStore } from "../../storage/open.js";
import { startS3, type TestS3 } from "../support/s3-server.js";
import { exitCode, runCli, runServer, serverBuilt } from "../support/server-process.js";

/** `atoll …` as a child process; the S3 server answers from this process meanwhile. */
const atoll = (args: string[], env: Record<string, string>) => runCli(args, env);

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const a of iterable) out.push(a);
  return out.sort();
}

describe("MEDIA_STORE settings", () => {
  it("needs the bucket, region and keys with MEDIA_STORE=s3, and takes none with fs", () => {
    expect(loadConfig({}).mediaStore).toEqual({ kind: "fs" });
    expect(() => loadConfig({ MEDIA_STORE: "s3" })).toThrow(/S3_BUCKET: required with MEDIA_STORE=s3/);
    expect(() => loadConfig({ MEDIA_STORE: "disk" })).toThrow(/MEDIA_STORE: expected "fs" or "s3"/);
    const s3 = {
      MEDIA_STORE: "s3",
      S3_REGION: "eu-west-1",
      S3_BUCKET: "my-media",
      S3_ACCESS_KEY_ID: "id",
      S3_SECRET_ACCESS_KEY: "secret",
    };
    expect(loadConfig(s3).mediaStore).toEqual({
      kind: "s3",
      endpoint: null,
      region: "eu-west-1",
      bucket: "my-media",
      accessKeyId: "id",
      secretAccessKey: "secret",
      forcePathStyle: false,
    });
    expect(() => loadConfig({ ...s3, S3_BUCKET: "Not_A_Bucket" })).toThrow(/S3_BUCKET must be a bucket name/);
    expect(() => loadConfig({ ...s3, S3_ENDPOINT: "minio:9000" })).toThrow(/S3_ENDPOINT must be an absolute/);
    expect(() => loadConfig({ ...s3, S3_FORCE_PATH_STYLE: "maybe" })).toThrow(/S3_FORCE_PATH_STYLE/);
  });
});

describe.skipIf(!serverBuilt)(
  "atoll media migrate --to s3 (skipped when dist/ is not built: run npm run build)",
  () => {
    let s3: TestS3;
    let dataDir: string;
    let blobs: string[];

    beforeAll(async () => {
      s3 = await startS3();
      dataDir = await mkdtemp(join(tmpdir(), "atoll-migrate-"));
      await (await openStore({ dataDir, mongodbUrl: null })).close();
      const local = new FsMediaStore(join(dataDir, "media"));
      blobs = await Promise.all(
        [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), Buffer.alloc(300_000, 7), Buffer.from("third")].map((b) =>
          local.put(b),
        ),
      );
    });
    afterAll(async () => {
      await s3?.remove();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it("stops a server started with MEDIA_STORE=s3 but no bucket, with exit 2 and the missing names", async () => {
      const run = runServer({ DATA_DIR: dataDir, MEDIA_STORE: "s3", PORT: "0", HOST: "127.0.0.1" });
      expect(await exitCode(run)).toBe(2);
      expect(run.output()).toContain("S3_BUCKET: required with MEDIA_STORE=s3");
    });

    it("copies every local file with progress, then copies nothing the second time, and keeps the local files", async () => {
      const env = { DATA_DIR: dataDir, ...s3.env };
      const first = await atoll(["media", "migrate", "--to", "s3"], env);
      expect(first.err.replace(/.*NodeVersionSupportWarning[\s\S]*?trace-warnings[^\n]*\n/, "")).toBe("");
      expect(first.code).toBe(0);
      expect(first.out).toContain("3 files under");
      expect(first.out).toMatch(/^1 \/ 3 {2}[0-9a-f]{64} {2}copied /m);
      expect(first.out).toMatch(/^3 \/ 3 {2}[0-9a-f]{64} {2}copied /m);
      expect(first.out).toContain("Done: 3 copied (");
      expect(first.out).toContain("0 failed.");

      const bucket = new S3MediaStore(s3.settings);
      try {
        expect(await collect(bucket.list())).toEqual([...blobs].sort());
        const big = await bucket.open(blobs[1]!);
        expect(big?.size).toBe(300_000);
        big?.stream.destroy();
      } finally {
        bucket.close();
      }

      const second = await atoll(["media", "migrate", "--to", "s3"], env);
      expect(second.code).toBe(0);
      expect(second.out).toContain("Done: 0 copied (0 B), 3 already there or gone, 0 failed.");
      expect(second.out.match(/already there$/gm)).toHaveLength(3);
      expect(await collect(new FsMediaStore(join(dataDir, "media")).list())).toEqual([...blobs].sort());
    });

    it("fails with a non-zero exit, naming each file not copied, when the bucket does not answer", async () => {
      const env = { DATA_DIR: dataDir, ...s3.env };
      await s3.stop();
      const run = await atoll(["media", "migrate", "--to", "s3"], env);
      expect(run.code).toBe(1);
      expect(run.err.match(/FAILED: object storage could not look up/g)).toHaveLength(3);
      expect(run.err).toContain("3 of 3 files were not copied; run the command again to retry them.");
      expect(run.out).toContain("0 copied (0 B), 0 already there or gone, 3 failed.");
    });

    it("asks for --to s3 and the S3 settings", async () => {
      const usage = await atoll(["media", "migrate"], { DATA_DIR: dataDir });
      expect(usage.code).toBe(2);
      expect(usage.err).toContain("--to s3 is required.");
      const unset = await atoll(["media", "migrate", "--to", "s3"], { DATA_DIR: dataDir });
      expect(unset.code).toBe(2);
      expect(unset.err).toContain("set MEDIA_STORE=s3");
      const help = await atoll(["media", "migrate", "--help"], {});
      expect(help.code).toBe(0);
      expect(help.out).toContain("start the server with MEDIA_STORE=s3");
    });
  },
);
