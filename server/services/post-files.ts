import { createHash } from "node:crypto";
import type { Board } from "../domain/board.js";
import { isVideoType } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { MediaRefused } from "../domain/media-safety/media-bans.js";
import type { PdqHash } from "../domain/media-safety/pdq.js";
import type { MediaStore, Store } from "../domain/ports.js";
import { EXT_BY_TYPE, type NewPost, type Post, type PostFile } from "../domain/post.js";
import { formatSize } from "../domain/sizes.js";
import { bannerMedia } from "./board-banner.js";
import type { ImageProcessor, ProcessedImage } from "./images.js";
import type { Logger } from "./logger.js";
import type { MediaGate } from "./media-ban-index.js";
import type { UploadCounts } from "./metrics.js";
import { unpublishFiles } from "./named-media.js";
import type { UploadedFile } from "./posting.js";
import { displayName } from "./upload-name.js";
import { sniffVideoType } from "./video-probe.js";
import type { ProcessedVideo, VideoProcessor } from "./videos.js";

/** An upload as stored: its blobs and what a post's file record needs of it. */
export interface StoredImage {
  sha256: string;
  thumbSha256: string;
  mime: PostFile["mime"];
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  size: number;
  md5: string;
  /** Seconds, for a video. */
  duration?: number;
}

/**
 * The files of posts: uploads processed into an original and a thumbnail and stored as blobs (an
 * identical upload reuses them), and blobs removed once no post refers to them.
 */
export class PostFiles {
  /**
   * Upload digest → stored image, so a re-posted file skips the image work, with the upload's PDQ
   * hash when it was computed (undefined: it was not). Bounded.
   */
  private readonly dedupe = new Map<string, { stored: StoredImage; pdq: PdqHash | null | undefined }>();

  constructor(
    private readonly deps: {
      store: Store;
      media: MediaStore;
      images: ImageProcessor;
      /** Absent or null: this server has no ffmpeg, and video uploads are refused saying so. */
      videos?: VideoProcessor | null | undefined;
      logger: Logger;
      /**
       * Media bans: the upload's digest before any image work; its likeness (PDQ, computed by the
       * image work itself) and the re-encoded original's digest after it, before anything is stored.
       */
      mediaBans?: MediaGate | undefined;
      /** Told of every upload stored or refused (the metrics). */
      uploads?: UploadCounts | undefined;
    },
  ) {}

  /**
   * Processes an upload and stores its original and thumbnail, or returns those of an identical
   * upload still stored. When one of the two cannot be stored, the other is removed again (unless a
   * post already refers to it) before the error is thrown.
   */
  async store(board: Board, file: UploadedFile, op: boolean): Promise<StoredImage> {
    const counts = this.deps.uploads;
    if (!counts) return this.storeOne(board, file, op);
    try {
      const stored = await this.storeOne(board, file, op);
      counts.stored(stored.mime.startsWith("video/") ? "video" : "image");
      return stored;
    } catch (err) {
      counts.refused(err instanceof MediaRefused ? "banned" : err instanceof DomainError ? err.kind : "error");
      throw err;
    }
  }

  private async storeOne(board: Board, file: UploadedFile, op: boolean): Promise<StoredImage> {
    if (file.buffer.length > board.settings.maxFileSize) {
      throw new DomainError("too_large", `The file is larger than ${formatSize(board.settings.maxFileSize)}.`);
    }
    const uploaded = createHash("sha256").update(file.buffer).digest("hex");
    await this.refuseBanned(uploaded);
    const likeness = (await this.deps.mediaBans?.checksLikeness()) ?? false;
    const digest = `${op ? "op" : "reply"}:${uploaded}`;
    const entry = this.dedupe.get(digest);
    // Without the hash a known upload cannot be checked for likeness: it is processed again.
    const known = entry && (!likeness || entry.pdq !== undefined) ? entry : undefined;
    if (known) {
      await this.refuseBanned(known.stored.sha256);
      if (likeness && (await this.deps.mediaBans?.matchesHash(known.pdq ?? null))) throw new MediaRefused();
    }
    if (
      known &&
      board.settings.allowedTypes.includes(known.stored.mime) &&
      (await this.deps.media.has(known.stored.sha256)) &&
      (await this.deps.media.has(known.stored.thumbSha256))
    ) {
      return known.stored;
    }
    const processed = await this.process(board, file, op, likeness);
    if (likeness && processed.pdq !== undefined && (await this.deps.mediaBans?.matchesHash(processed.pdq)))
      throw new MediaRefused();
    // Re-encoding gives the original that is kept, and that a "delete and ban" bans, its own digest.
    const digest256 =
      "sha256" in processed ? processed.sha256 : createHash("sha256").update(processed.original).digest("hex");
    await this.refuseBanned(digest256);
    const puts = await Promise.allSettled([
      this.deps.media.put(processed.original),
      this.deps.media.put(processed.thumb),
    ]);
    const [original, thumb] = puts;
    if (original.status === "rejected" || thumb.status === "rejected") {
      // The one that was stored is nobody's yet (unless another post has the same bytes): remove it now.
      await this.collectUnreferenced(puts.flatMap((p) => (p.status === "fulfilled" ? [p.value] : [])));
      throw original.status === "rejected" ? original.reason : (thumb as PromiseRejectedResult).reason;
    }
    const sha256 = original.value;
    const thumbSha256 = thumb.value;
    if (sha256 !== digest256) {
      // The bytes stored are not those the ban check saw: nothing is kept under a digest never checked.
      await this.collectUnreferenced([sha256, thumbSha256]);
      throw new Error("the processed original changed between its ban check and its storage");
    }
    const stored: StoredImage = {
      sha256,
      thumbSha256,
      mime: processed.mime,
      width: processed.width,
      height: processed.height,
      thumbWidth: processed.thumbWidth,
      thumbHeight: processed.thumbHeight,
      size: processed.original.length,
      md5: "md5" in processed ? processed.md5 : createHash("md5").update(processed.original).digest("base64"),
      ...("duration" in processed ? { duration: processed.duration } : {}),
    };
    this.dedupe.set(digest, { stored, pdq: likeness ? (processed.pdq ?? null) : undefined });
    if (this.dedupe.size > 1000) {
      const oldest = this.dedupe.keys().next().value;
      if (oldest !== undefined) this.dedupe.delete(oldest);
    }
    return stored;
  }

  /** Images go to the image processor, videos (by their first bytes) to the video processor. */
  private async process(
    board: Board,
    file: UploadedFile,
    op: boolean,
    likeness: boolean,
  ): Promise<ProcessedImage | (ProcessedVideo & { pdq?: undefined })> {
    const s = board.settings;
    const video = sniffVideoType(file.buffer);
    if (video === null) {
      return this.deps.images.process(file.buffer, {
        allowedTypes: s.allowedTypes,
        maxFileSize: s.maxFileSize,
        op,
        pdq: likeness,
      });
    }
    if (!s.allowedTypes.some(isVideoType)) {
      throw new DomainError("unsupported_media", "Videos are not accepted on this board.");
    }
    if (!this.deps.videos) {
      throw new DomainError("unsupported_media", "This server cannot take videos: ffmpeg is not installed.");
    }
    return this.deps.videos.process(file.buffer, {
      allowedTypes: s.allowedTypes,
      maxFileSize: s.maxFileSize,
      maxDuration: s.maxVideoDuration,
      op,
    });
  }

  /**
   * Stores a post's uploads in order, all or none: when one is refused (its message then names it
   * when the post has several) or cannot be stored, the blobs stored for the others are removed
   * again (unless a post already refers to them) before the error is thrown.
   */
  async storeAll(board: Board, files: readonly UploadedFile[], op: boolean): Promise<StoredImage[]> {
    if (files.length > board.settings.maxFiles) {
      const n = board.settings.maxFiles;
      throw new DomainError("invalid", `A post on /${board.uri}/ takes at most ${n} ${n === 1 ? "file" : "files"}.`);
    }
    const stored: StoredImage[] = [];
    try {
      for (const file of files) {
        try {
          stored.push(await this.store(board, file, op));
        } catch (err) {
          if (files.length < 2 || !(err instanceof DomainError) || err instanceof MediaRefused) throw err;
          throw new DomainError(err.kind, `${JSON.stringify(file.originalName || "unnamed")}: ${err.message}`);
        }
      }
      return stored;
    } catch (err) {
      await this.collectUnreferenced(stored.flatMap((s) => [s.sha256, s.thumbSha256]));
      throw err;
    }
  }

  private async refuseBanned(sha256: string): Promise<void> {
    if (await this.deps.mediaBans?.refuses([sha256])) throw new MediaRefused();
  }

  /**
   * Removes the published names of the files `gone` lists (each post's own, whether or not its blobs
   * stay for another post), then the blobs the store reported as no longer referenced.
   */
  async removeBlobs(addresses: readonly string[], gone?: GoneFiles): Promise<void> {
    if (gone) {
      await unpublishFiles(this.deps.media, gone.board, gone.files, (m, f) => this.deps.logger.warn(m, f));
    }
    // Forget them for dedupe first, so a new upload of the same image is processed and stored again.
    if (addresses.length > 0) {
      const gone = new Set(addresses);
      for (const [k, { stored: v }] of this.dedupe)
        if (gone.has(v.sha256) || gone.has(v.thumbSha256)) this.dedupe.delete(k);
    }
    // A board's banner may be the very image a post had: it stays.
    const banners = addresses.length > 0 ? await bannerMedia(this.deps.store) : new Set<string>();
    for (const a of addresses) {
      if (banners.has(a)) continue;
      try {
        await this.deps.media.delete(a);
      } catch (err) {
        this.deps.logger.warn("could not remove media blob", { sha256: a, err });
      }
    }
  }

  /** Removes those of `addresses` no post refers to: the blobs of a post that failed. */
  async collectUnreferenced(addresses: string[]): Promise<void> {
    if (addresses.length === 0) return;
    try {
      const referenced = await this.deps.store.posts.referencedMedia();
      await this.removeBlobs(addresses.filter((a) => !referenced.has(a)));
    } catch (err) {
      this.deps.logger.warn("media cleanup after a failed post did not finish", { err });
    }
  }
}

/** Files taken off a board (deleted posts, deleted files): their published names go with them. */
export interface GoneFiles {
  board: string;
  files: readonly PostFile[];
}

/** The files of `posts` deleted from `board`. */
export function goneWith(board: string, posts: readonly Post[]): GoneFiles {
  return { board, files: posts.flatMap((p) => (p.file ? [p.file, ...p.extraFiles] : [])) };
}

/** The content addresses (originals and thumbnails) of stored uploads. */
export function addresses(images: readonly StoredImage[]): string[] {
  return images.flatMap((i) => [i.sha256, i.thumbSha256]);
}

/**
 * A post's file fields from its stored uploads: the first file named as screened, the others by
 * their uploads' names. Each asks for file id `tim` (milliseconds): the store raises them past any
 * id the board already gave out, the further files right after the first.
 */
export function fileRecords(
  images: readonly StoredImage[],
  uploads: readonly UploadedFile[],
  firstName: string,
  spoiler: boolean,
  tim: number,
): Pick<NewPost, "file" | "extraFiles"> {
  const record = (image: StoredImage, originalName: string): PostFile => ({
    sha256: image.sha256,
    thumbSha256: image.thumbSha256,
    tim,
    ext: EXT_BY_TYPE[image.mime],
    mime: image.mime,
    filename: displayName(originalName),
    size: image.size,
    width: image.width,
    height: image.height,
    thumbWidth: image.thumbWidth,
    thumbHeight: image.thumbHeight,
    md5: image.md5,
    spoiler,
    ...(image.duration === undefined ? {} : { duration: image.duration }),
  });
  const [first, ...rest] = images;
  if (!first) return { file: null, extraFiles: [] };
  return {
    file: record(first, firstName),
    extraFiles: rest.map((im, i) => record(im, uploads[i + 1]?.originalName ?? "")),
  };
}
