import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { FsMediaStore } from "../../storage/media/fs-media-store.js";
import { IMMUTABLE, S3MediaStore, s3Client } from "../../storage/media/s3-media-store.js";
import { startS3 } from "../support/s3-server.js";
import { mediaStoreContract } from "./media-store.contract.js";

mediaStoreContract("file system", async () => {
  const dir = await mkdtemp(join(tmpdir(), "atoll-media-"));
  return { media: new FsMediaStore(join(dir, "media")), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// s3rver cannot page ListObjectsV2 in this process under Node 20: its continuation token is
// DES-encrypted, which OpenSSL 3 leaves out, so a truncated listing answers 500. The contract lists
// fewer than a page; media-store-paging.test.ts pages on an s3rver in a child process instead.
mediaStoreContract("S3 (s3rver)", async () => {
  const s3 = await startS3();
  const media = new S3MediaStore(s3.settings);
  return {
    media,
    async cleanup() {
      media.close();
      await s3.remove();
    },
  };
});

describe("S3 names published for MEDIA_URL at the bucket", () => {
  it("copies a blob under a name with its headers, removes names, and a board's names only", async () => {
    const s3 = await startS3();
    const media = new S3MediaStore(s3.settings, { named: true });
    const client = s3Client(s3.settings);
    const keys = async () => {
      const got = await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket }));
      return (got.Contents ?? []).map((o) => o.Key).sort();
    };
    try {
      expect(new S3MediaStore(s3.settings).publish).toBeUndefined();
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
      const sha = await media.put(jpeg);
      // a board called "media" shares the blobs' prefix: its names never take a blob with them
      await media.publish!("media/1700000000000.jpg", sha);
      await media.publish!("b/1700000000000.jpg", sha);
      await media.publish!("b/1700000000000s.jpg", sha);
      const got = await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: "b/1700000000000.jpg" }));
      expect(got.ContentType).toBe("image/jpeg");
      expect(got.CacheControl).toBe(IMMUTABLE);
      expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(jpeg);
      await expect(media.publish!("../x", sha)).rejects.toMatchObject({ kind: "invalid" });

      await media.unpublish!("b/1700000000000s.jpg");
      await media.unpublish!("b/1700000000000s.jpg");
      expect(await keys()).toEqual([`media/${sha}`, "b/1700000000000.jpg", "media/1700000000000.jpg"].sort());
      await media.unpublishBoard!("media");
      expect(await keys()).toEqual([`media/${sha}`, "b/1700000000000.jpg"].sort());
      expect(await media.has(sha)).toBe(true);
    } finally {
      client.destroy();
      media.close();
      await s3.remove();
    }
  });
});
