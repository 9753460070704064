import { availableParallelism } from "node:os";
import sharp from "sharp";
import type { ImageType, MediaType } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { formatSize } from "../domain/sizes.js";
import { BoundedQueue } from "./bounded-queue.js";
import { IMAGES_PER_WORKER, ImagePool } from "./image-pool.js";
import type { ProcessedImage } from "./image-transform.js";

export type { ProcessedImage } from "./image-transform.js";

export interface ImageProcessorOptions {
  /** Largest decoded size accepted, in pixels; for an animation, all frames together. */
  maxPixels: number;
  /** Images processed at once: each has a worker process of its own. */
  concurrency: number;
  /** Images allowed to wait for a slot; beyond that, uploads are refused as "busy". */
  queueLimit: number;
}

export interface ProcessOptions {
  /** Video types in it are ignored here: videos go to the video processor. */
  allowedTypes: readonly MediaType[];
  maxFileSize: number;
  /** An opening post gets the larger thumbnail. */
  op: boolean;
  /** Also compute the PDQ hash, from the pixels the thumbnail is then made from (no extra decoding). */
  pdq?: boolean;
}

const TYPE_NAMES: Readonly<Record<ImageType, string>> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/gif": "GIF",
  "image/webp": "WebP",
};

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(input: Buffer, bytes: readonly number[], at = 0): boolean {
  if (input.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (input[at + i] !== bytes[i]) return false;
  return true;
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));
const GIF87 = ascii("GIF87a");
const GIF89 = ascii("GIF89a");
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");

/**
 * The image type named by the file's first bytes, or null. Names, extensions and client-sent types are
 * never consulted: they are whatever the uploader wants them to be.
 */
export function sniffImageType(input: Buffer): ImageType | null {
  if (startsWith(input, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(input, PNG_SIGNATURE)) return "image/png";
  if (startsWith(input, GIF87) || startsWith(input, GIF89)) return "image/gif";
  if (startsWith(input, RIFF) && startsWith(input, WEBP, 8)) return "image/webp";
  return null;
}

/**
 * Image work gets all cores but one (one worker thread, decoding with one libvips thread, per core),
 * so that uploads in progress never starve the event loop that serves pages; on one core it shares it.
 */
export function imageConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Process-wide libvips settings for a server: no cache of decoded inputs (each upload is seen once),
 * and one libvips thread per image, so the image workers alone set how many cores image work takes.
 */
export function configureSharpForServer(): void {
  sharp.cache(false);
  sharp.concurrency(IMAGE_VIPS_THREADS);
}

/** libvips threads per image being processed. */
const IMAGE_VIPS_THREADS = 1;

/**
 * Validates uploads and turns them into a metadata-free original and a thumbnail, with a bounded
 * number of images in flight. Each instance has its own queue, so two servers in one process do not
 * share limits.
 */

export class ImageProcessor {
  readonly #queue: BoundedQueue;
  readonly #maxPixels: number;
  readonly #pool: ImagePool;

  constructor(opts: ImageProcessorOptions) {
    if (!Number.isInteger(opts.maxPixels) || opts.maxPixels < 1)
      throw new RangeError("maxPixels must be a positive integer");
    this.#maxPixels = opts.maxPixels;
    // Each worker is sent its next upload while it makes one, taken from the waiting line's share, so
    // the images accepted (in work or waiting) stay the workers plus `queueLimit`.
    const sentAhead = Math.min(opts.concurrency * (IMAGES_PER_WORKER - 1), opts.queueLimit);
    this.#queue = new BoundedQueue(
      opts.concurrency + sentAhead,
      opts.queueLimit - sentAhead,
      "Too many images are being processed right now; try again in a moment.",
    );
    this.#pool = new ImagePool(opts.concurrency, { vipsThreads: IMAGE_VIPS_THREADS });
  }

  /** Image worker processes running now (they start with the first uploads). */
  get workers(): number {
    return this.#pool.workers;
  }

  /** Their process ids. */
  get workerPids(): number[] {
    return this.#pool.pids;
  }

  /** Ends the image workers; uploads still being processed fail as "busy". */
  close(): Promise<void> {
    return this.#pool.close();
  }

  /** The most pixels (all frames together) an upload may have. */
  get maxPixels(): number {
    return this.#maxPixels;
  }

  /** Images running or waiting. */
  get pending(): number {
    return this.#queue.pending;
  }

  /**
   * Refuses (DomainError) with "too_large", "unsupported_media", "unprocessable" (broken, lying or
   * oversized-in-pixels images) or "busy"; otherwise returns the stored forms.
   */
  async process(input: Buffer, opts: ProcessOptions): Promise<ProcessedImage> {
    // The cheap checks run before queueing so a bad upload never takes a slot.
    const type = this.#check(input, opts);
    const job = { type, op: opts.op, pdq: opts.pdq === true, maxPixels: this.#maxPixels };
    return this.#queue.run(() => this.#pool.run(input, job));
  }

  #check(input: Buffer, opts: ProcessOptions): ImageType {
    if (!Buffer.isBuffer(input) || input.length === 0) {
      throw new DomainError("unsupported_media", "The file is empty.");
    }
    if (input.length > opts.maxFileSize) {
      throw new DomainError("too_large", `The file is larger than ${formatSize(opts.maxFileSize)}.`);
    }
    const type = sniffImageType(input);
    if (type === null) {
      throw new DomainError(
        "unsupported_media",
        "The file is not an image of an accepted type (JPEG, PNG, GIF or WebP).",
      );
    }
    if (!opts.allowedTypes.includes(type)) {
      const allowed =
        opts.allowedTypes.flatMap((t) => (t in TYPE_NAMES ? [TYPE_NAMES[t as ImageType]] : [])).join(", ") || "none";
      throw new DomainError(
        "unsupported_media",
        `${TYPE_NAMES[type]} images are not accepted here (accepted: ${allowed}).`,
      );
    }
    return type;
  }
}
