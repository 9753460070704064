import { availableParallelism } from "node:os";
import sharp from "sharp";
import type { ImageType, MediaType } from "../domain/board.js";
import { DomainError, isDomainError } from "../domain/errors.js";
import type { PdqHash } from "../domain/media-safety/pdq.js";
import { IMAGE_EXT, type ImageExt } from "../domain/post.js";
import { formatSize } from "../domain/sizes.js";
import { BoundedQueue } from "./bounded-queue.js";
import { HashScratch, hashPixels, pdqOfPixels } from "./media-hash.js";

export interface ProcessedImage {
  /** The re-encoded original: auto-oriented, same format, no EXIF/GPS/XMP/ICC metadata. */
  original: Buffer;
  /** A JPEG thumbnail on a white background. */
  thumb: Buffer;
  mime: ImageType;
  ext: ImageExt;
  /** Dimensions of `original` (after orientation; one frame for an animation). */
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  /** The PDQ hash of the upload as received (see media-hash.ts), when asked for; otherwise null. */
  pdq: PdqHash | null;
}

export interface ImageProcessorOptions {
  /** Largest decoded size accepted, in pixels; for an animation, all frames together. */
  maxPixels: number;
  /** Images processed at once. */
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

const OP_THUMB = 250;
const REPLY_THUMB = 125;
const JPEG_QUALITY = 90;
const THUMB_QUALITY = 85;

const TYPE_NAMES: Readonly<Record<ImageType, string>> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/gif": "GIF",
  "image/webp": "WebP",
};

/** The sharp format name each accepted type must decode as. */
const SHARP_FORMAT: Readonly<Record<ImageType, string>> = {
  "image/jpeg": "jpeg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
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

const broken = () => new DomainError("unprocessable", "The image could not be decoded: it is damaged or truncated.");

/**
 * Validates uploads and turns them into a metadata-free original and a thumbnail, with a bounded
 * number of images in flight. Each instance has its own queue, so two servers in one process do not
 * share limits.
 */
/**
 * Image work gets all cores but one, so that uploads in progress never starve the event loop that
 * serves pages; on one core it shares it.
 */
export function imageConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * Process-wide libvips settings for a server: no cache of decoded inputs (each upload is seen once),
 * and as many libvips threads per image as image workers, so the two limits agree.
 */
export function configureSharpForServer(): void {
  sharp.cache(false);
  sharp.concurrency(imageConcurrency());
}

export class ImageProcessor {
  readonly #queue: BoundedQueue;
  readonly #maxPixels: number;
  readonly #hashScratch = new HashScratch();

  constructor(opts: ImageProcessorOptions) {
    if (!Number.isInteger(opts.maxPixels) || opts.maxPixels < 1)
      throw new RangeError("maxPixels must be a positive integer");
    this.#maxPixels = opts.maxPixels;
    this.#queue = new BoundedQueue(
      opts.concurrency,
      opts.queueLimit,
      "Too many images are being processed right now; try again in a moment.",
    );
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
    return this.#queue.run(() => this.#transform(input, type, opts.op, opts.pdq === true));
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

  async #transform(input: Buffer, type: ImageType, op: boolean, pdq: boolean): Promise<ProcessedImage> {
    // "error" refuses truncated and corrupt pixel data but tolerates the harmless warnings many cameras
    // produce; the pixel limit makes libvips itself refuse anything the header check let through.
    const base = { failOn: "error", limitInputPixels: this.#maxPixels } as const;

    let meta: sharp.Metadata;
    try {
      // Reading the header decodes no pixels; the limit is lifted here only so an oversized image gets
      // the clear refusal below rather than a generic one.
      meta = await sharp(input, { ...base, limitInputPixels: false }).metadata();
    } catch {
      throw broken();
    }
    if (meta.format !== SHARP_FORMAT[type] || !(meta.width > 0) || !(meta.height > 0)) throw broken();

    // The header's dimensions are checked before anything is decoded: a few kilobytes can declare
    // gigapixels. For an animation every frame is decoded, so all frames count.
    const pages = meta.pages && meta.pages > 1 ? meta.pages : 1;
    if (meta.width * meta.height * pages > this.#maxPixels) {
      throw new DomainError(
        "unprocessable",
        `The image is too large in pixels (${meta.width}x${meta.height}${pages > 1 ? ` x ${pages} frames` : ""}).`,
      );
    }
    const animated = pages > 1;

    const orientation = animated ? 1 : (meta.orientation ?? 1);
    const box = op ? OP_THUMB : REPLY_THUMB;
    try {
      const [original, thumb] = await Promise.all([
        this.#encodeOriginal(input, type, meta, animated, base),
        pdq ? this.#thumbWithHash(input, orientation, box, base) : this.#thumb(input, orientation, box, base),
      ]);
      return {
        original: original.data,
        thumb: thumb.data,
        mime: type,
        ext: IMAGE_EXT[type],
        width: original.width,
        height: original.height,
        thumbWidth: thumb.width,
        thumbHeight: thumb.height,
        pdq: thumb.pdq,
      };
    } catch (err) {
      if (isDomainError(err)) throw err;
      if (err instanceof Error && /pixel limit/i.test(err.message)) {
        throw new DomainError("unprocessable", "The image is too large in pixels.");
      }
      throw broken();
    }
  }

  async #encodeOriginal(
    input: Buffer,
    type: ImageType,
    meta: sharp.Metadata,
    animated: boolean,
    base: sharp.SharpOptions,
  ): Promise<{ data: Buffer; width: number; height: number }> {
    // Output carries no metadata because withMetadata/keepExif are never called: EXIF (GPS, camera
    // serials), XMP and ICC are dropped, after the EXIF orientation has been applied to the pixels.
    // libvips can only rotate animations by 180 degrees, and animations practically never carry an
    // orientation, so they are re-encoded as they are.
    let img = sharp(input, { ...base, animated });
    if (!animated) img = img.autoOrient();
    switch (type) {
      case "image/jpeg":
        img = img.jpeg({ quality: JPEG_QUALITY, mozjpeg: false });
        break;
      case "image/png":
        // A palette PNG stays a palette PNG (at most 256 colours, so quantising loses nothing) rather
        // than growing into truecolour.
        img = meta.isPalette ? img.png({ palette: true, quality: 100, dither: 0 }) : img.png();
        break;
      case "image/webp":
        img = img.webp({ quality: JPEG_QUALITY });
        break;
      case "image/gif":
        img = img.gif();
        break;
    }
    const { data, info } = await img.toBuffer({ resolveWithObject: true });
    // For an animation libvips reports the whole strip of frames; one frame is what a viewer sees.
    const height = animated && info.pageHeight ? info.pageHeight : info.height;
    return { data, width: info.width, height };
  }

  /** The thumbnail alone, decoded straight from the upload (a JPEG shrinks on load: little is decoded). */
  async #thumb(input: Buffer, orientation: number, box: number, base: sharp.SharpOptions): Promise<Thumb> {
    // Without `animated` sharp reads only the first frame, which is what the thumbnail shows.
    const img = sharp(input, base);
    return { ...(await encodeThumb(orientation === 1 ? img : img.autoOrient(), box)), pdq: null };
  }

  /**
   * The thumbnail made from the hash's pixels (first frame, shrunk to at most 512 pixels a side,
   * unrotated), so that the PDQ hash costs no decoding of its own: the orientation the hash ignores
   * is applied to those pixels afterwards.
   */
  async #thumbWithHash(input: Buffer, orientation: number, box: number, base: sharp.SharpOptions): Promise<Thumb> {
    const pixels = await hashPixels(sharp(input, base));
    const hash = pdqOfPixels(pixels, this.#hashScratch);
    const raw = { width: pixels.width, height: pixels.height, channels: pixels.channels };
    return { ...(await encodeThumb(orient(sharp(pixels.data, { raw }), orientation), box)), pdq: hash };
  }
}

interface Encoded {
  data: Buffer;
  width: number;
  height: number;
}

interface Thumb extends Encoded {
  pdq: PdqHash | null;
}

function encodeThumb(img: sharp.Sharp, box: number): Promise<Encoded> {
  return img
    .resize(box, box, { fit: "inside", withoutEnlargement: true })
    .flatten({ background: "#ffffff" })
    .jpeg({ quality: THUMB_QUALITY, mozjpeg: false })
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => ({ data, width: info.width, height: info.height }));
}

/**
 * Turns decoded pixels the way EXIF orientation `orientation` (1..8) says, as autoOrient would have
 * done while decoding; sharp rotates before it flips.
 */
function orient(img: sharp.Sharp, orientation: number): sharp.Sharp {
  switch (orientation) {
    case 2:
      return img.flop();
    case 3:
      return img.rotate(180);
    case 4:
      return img.flip();
    case 5:
      return img.rotate(90).flip();
    case 6:
      return img.rotate(90);
    case 7:
      return img.rotate(90).flop();
    case 8:
      return img.rotate(270);
    default:
      return img;
  }
}
