import { BANNER_FILE, BANNER_MAX_BYTES, BANNER_MAX_HEIGHT, BANNER_MAX_WIDTH, IMAGE_TYPES } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import type { MediaStore, Store } from "../domain/ports.js";
import type { BoardService } from "./boards.js";
import type { ImageProcessor } from "./images.js";

export interface BoardBannerDeps {
  boards: BoardService;
  images: ImageProcessor;
  media: MediaStore;
}

/**
 * A board's banner: an image its owner uploads, re-encoded by the image processor like any post's
 * file (metadata stripped, type sniffed), bounded to 300×100 pixels and 500 KB, and kept in the media
 * store under its hash. Replacing or removing it leaves the old blob to the media collector, which
 * spares every blob a board's banner names (bannerMedia).
 */
export async function setBoardBanner(deps: BoardBannerDeps, uri: string, upload: Buffer | undefined): Promise<void> {
  const board = await deps.boards.get(uri);
  if (!upload || upload.length === 0) throw new DomainError("invalid", "Choose an image for the banner.");
  const image = await deps.images.process(upload, {
    allowedTypes: IMAGE_TYPES,
    maxFileSize: BANNER_MAX_BYTES,
    op: false,
  });
  if (image.width > BANNER_MAX_WIDTH || image.height > BANNER_MAX_HEIGHT) {
    throw new DomainError(
      "invalid",
      `A banner is at most ${BANNER_MAX_WIDTH}×${BANNER_MAX_HEIGHT} pixels; this one is ${image.width}×${image.height}.`,
    );
  }
  if (image.original.length > BANNER_MAX_BYTES) {
    throw new DomainError("too_large", "The banner is larger than 500 KB once re-encoded.");
  }
  const sha = await deps.media.put(image.original);
  await deps.boards.update(board.uri, { settings: { banner: `${sha}${image.ext}` } });
}

export async function removeBoardBanner(deps: Pick<BoardBannerDeps, "boards">, uri: string): Promise<void> {
  await deps.boards.update(uri, { settings: { banner: "" } });
}

/** The blobs boards' banners name: media no collector may take. */
export async function bannerMedia(store: Pick<Store, "boards">): Promise<Set<string>> {
  const out = new Set<string>();
  for (const board of await store.boards.list()) {
    const sha = BANNER_FILE.exec(board.settings.banner)?.[1];
    if (sha) out.add(sha);
  }
  return out;
}
