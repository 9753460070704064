/**
 * The image work itself: an upload whose type and size were checked becomes a metadata-free original
 * and a thumbnail (and, when asked, its PDQ hash). It runs in the image workers (image-worker.ts), so
 * no decoding, encoding or hashing happens on the thread that answers requests.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import type { ImageType } from "../domain/board.js";
import { DomainError, isDomainError } from "../domain/errors.js";
import type { PdqHash } from "../domain/media-safety/pdq.js";
import { IMAGE_EXT, type ImageExt } from "../domain/post.js";
import { type HashScratch, hashPixels, pdqOfPixels } from "./media-hash.js";

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
  /**
   * Digests of `original` (sha256 in hex, md5 in base64), made beside the image so that the thread
   * answering requests does not hash the bytes again.
   */
  sha256: string;
  md5: string;
}

/** What an image worker is asked to do with one upload. */
export interface TransformJob {
  input: Buffer;
  type: ImageType;
  op: boolean;
  pdq: boolean;
  maxPixels: number;
}

const OP_THUMB = 250;
const REPLY_THUMB = 125;
const JPEG_QUALITY = 90;
const THUMB_QUALITY = 85;

/** The sharp format name each accepted type must decode as. */
const SHARP_FORMAT: Readonly<Record<ImageType, string>> = {
  "image/jpeg": "jpeg",
  "image/png": "png",
  "image/gif": "gif",
  "image/webp": "webp",
};

const broken = () => new DomainError("unprocessable", "The image could not be decoded: it is damaged or truncated.");

/**
 * Refuses (DomainError "unprocessable") broken, lying or oversized-in-pixels images; otherwise returns
 * the stored forms. `scratch` is the calling thread's working memory for the hash.
 */
export async function transformImage(job: TransformJob, scratch: HashScratch): Promise<ProcessedImage> {
  const { input, type, op, pdq } = job;
  // "error" refuses truncated and corrupt pixel data but tolerates the harmless warnings many cameras
  // produce; the pixel limit makes libvips itself refuse anything the header check let through.
  const base = { failOn: "error", limitInputPixels: job.maxPixels } as const;

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
  if (meta.width * meta.height * pages > job.maxPixels) {
    throw new DomainError(
      "unprocessable",
      `The image is too large in pixels (${meta.width}x${meta.height}${pages > 1 ? ` x ${pages} frames` : ""}).`,
    );
  }
  const animated = pages > 1;

  const orientation = animated ? 1 : (meta.orientation ?? 1);
  const box = op ? OP_THUMB : REPLY_THUMB;
  try {
    // One after the other, not side by side: an image takes one core, so the number of image
    // workers bounds the cores image work takes.
    const original = await encodeOriginal(input, type, meta, animated, base);
    const thumb = pdq
      ? await thumbWithHash(input, orientation, box, base, scratch)
      : await thumbOnly(input, orientation, box, base);
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
      sha256: createHash("sha256").update(original.data).digest("hex"),
      md5: createHash("md5").update(original.data).digest("base64"),
    };
  } catch (err) {
    if (isDomainError(err)) throw err;
    if (err instanceof Error && /pixel limit/i.test(err.message)) {
      throw new DomainError("unprocessable", "The image is too large in pixels.");
    }
    throw broken();
  }
}

async function encodeOriginal(
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
async function thumbOnly(input: Buffer, orientation: number, box: number, base: sharp.SharpOptions): Promise<Thumb> {
  // Without `animated` sharp reads only the first frame, which is what the thumbnail shows.
  const img = sharp(input, base);
  return { ...(await encodeThumb(orientation === 1 ? img : img.autoOrient(), box)), pdq: null };
}

/**
 * The thumbnail made from the hash's pixels (first frame, shrunk to at most 512 pixels a side,
 * unrotated), so that the PDQ hash costs no decoding of its own: the orientation the hash ignores
 * is applied to those pixels afterwards.
 */
async function thumbWithHash(
  input: Buffer,
  orientation: number,
  box: number,
  base: sharp.SharpOptions,
  scratch: HashScratch,
): Promise<Thumb> {
  const pixels = await hashPixels(sharp(input, base));
  const hash = pdqOfPixels(pixels, scratch);
  const raw = { width: pixels.width, height: pixels.height, channels: pixels.channels };
  return { ...(await encodeThumb(orient(sharp(pixels.data, { raw }), orientation), box)), pdq: hash };
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
