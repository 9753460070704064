import { join } from "node:path";
import type { Config } from "../../server/config.js";
import type { MediaStore } from "../../server/domain/ports.js";
import { FsMediaStore } from "./fs-media-store.js";
import { S3MediaStore } from "./s3-media-store.js";

/**
 * Whether files are copied under the names pages link: only when pages link the bucket (or its CDN).
 * Through Atoll's own /media a file is found by its id in the post store, and a copy would double the
 * bucket's size for nothing.
 */
export function publishesNames(config: Pick<Config, "mediaStore" | "mediaUrl" | "publicUrl">): boolean {
  if (config.mediaStore.kind !== "s3") return false;
  const own = `${config.publicUrl.replace(/\/+$/, "")}/media`;
  return config.mediaUrl.replace(/\/+$/, "") !== own;
}

/** The media store the configuration names: DATA_DIR/media, or the S3 bucket (MEDIA_STORE=s3). */
export function openMediaStore(config: Pick<Config, "dataDir" | "mediaStore" | "mediaUrl" | "publicUrl">): MediaStore {
  const m = config.mediaStore;
  if (m.kind === "fs") return new FsMediaStore(join(config.dataDir, "media"));
  return new S3MediaStore(m, { named: publishesNames(config) });
}

/** Lets go of what a media store holds open (an S3 client's connections); a directory holds nothing. */
export function closeMediaStore(media: MediaStore): void {
  if (media instanceof S3MediaStore) media.close();
}
