import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { S3MediaStore } from "../../storage/media/s3-media-store.js";
import { TEST_BUCKET } from "../support/s3-server.js";

/*
 * s3rver encrypts its ListObjectsV2 continuation token with DES, which OpenSSL 3 only offers through
 * its legacy provider: a truncated listing fails in a plain Node 20 process. So this s3rver runs in a
 * child process started with --openssl-legacy-provider, and the listing pages past S3's 1,000 keys.
 */
const SERVER = `import S3rver from "s3rver";
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.argv[1],
  configureBuckets: [{ name: ${JSON.stringify(TEST_BUCKET)} }] });
const { port } = await server.run();
console.log(port);`;

async function startChildS3(directory: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "--input-type=module", "-e", SERVER, directory], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}`)));
    child.stdout!.once("data", (line: Buffer) => resolve(Number(String(line).trim())));
  });
  return { child, port };
}

describe("S3 media store listing past one page", () => {
  it("lists every one of 1,003 blobs once, over ListObjectsV2 continuation", async () => {
    const directory = await mkdtemp(join(tmpdir(), "atoll-s3-paging-"));
    const { child, port } = await startChildS3(directory);
    const media = new S3MediaStore({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      bucket: TEST_BUCKET,
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
      forcePathStyle: true,
    });
    try {
      const stored = new Set<string>();
      for (let i = 0; i < 1003; i++) stored.add(await media.put(Buffer.from(`blob ${i}`)));
      const listed: string[] = [];
      for await (const sha of media.list()) listed.push(sha);
      expect(listed).toHaveLength(1003);
      expect(new Set(listed)).toEqual(stored);
    } finally {
      media.close();
      child.kill();
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);
});
