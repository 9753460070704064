import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsMediaStore } from "../../storage/media/fs-media-store.js";
import { S3MediaStore } from "../../storage/media/s3-media-store.js";
import { startS3 } from "../support/s3-server.js";
import { mediaStoreContract } from "./media-store.contract.js";

mediaStoreContract("file system", async () => {
  const dir = await mkdtemp(join(tmpdir(), "atoll-media-"));
  return { media: new FsMediaStore(join(dir, "media")), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// s3rver cannot page ListObjectsV2 under Node 20: its continuation token is DES-encrypted, which
// OpenSSL 3 leaves out, so a truncated listing answers 500. The contract lists fewer than a page.
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
