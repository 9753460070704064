import { join } from "node:path";
import type { Config } from "../../server/config.js";
import type { MediaStore } from "../../server/domain/ports.js";
import { FsMediaStore } from "./fs-media-store.js";
import { S3MediaStore } from "./s3-media-store.js";

/** The media store the configuration names: DATA_DIR/media, or the S3 bucket (MEDIA_STORE=s3). */
export function openMediaStore(config: Pick<Config, "dataDir" | "mediaStore">): MediaStore {
  const m = config.mediaStore;
  return m.kind === "s3" ? new S3MediaStore(m) : new FsMediaStore(join(config.dataDir, "media"));
}

/** Lets go of what a media store holds open (an S3 client's connections); a directory holds nothing. */
export function closeMediaStore(media: MediaStore): void {
  if (media instanceof S3MediaStore) media.close();
}
