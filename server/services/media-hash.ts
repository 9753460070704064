/**
 * Perceptual hashes of uploaded and fetched images, decoded with sharp. Decoding follows the
 * reference implementation's own tool so that our hashes agree with lists made elsewhere: images
 * larger than 512 pixels a side are shrunk to fit (aspect kept) before hashing, only the first frame
 * of an animation counts, transparency is dropped rather than flattened, and EXIF orientation is
 * ignored (the reference does not rotate, so neither do we). A turned or mirrored copy has a
 * different hash; the hash's `orientations` carry the other seven, and the media check looks up all.
 *
 * The upload path does not decode again for the hash: the image processor makes the thumbnail from
 * the same shrunk pixels (`hashPixels`) and hashes them with `pdqOfPixels`, so both routes give the
 * same hash for the same bytes.
 */
import sharp from "sharp";
import { type PdqHash, pdqFromLumaInPlace } from "../domain/media-safety/pdq.js";

/** The reference tool's largest side before hashing. */
export const HASH_SIDE = 512;
/** Decoding bound for a hash: anything larger is refused by the upload path long before this. */
const MAX_PIXELS = 100_000_000;

/** ITU-R BT.601 luma, the reference's weights. */
const R = 0.299;
const G = 0.587;
const B = 0.114;

/** Decoded 8-bit pixels, unrotated, at most HASH_SIDE a side: what the hash is computed from. */
export interface HashPixels {
  data: Buffer;
  width: number;
  height: number;
  /** 1 to 4: grey, grey and alpha, sRGB, sRGB and alpha. */
  channels: 1 | 2 | 3 | 4;
}

/**
 * Decodes the first frame of `image` (a sharp instance on the encoded bytes, with the caller's
 * limits) into the hash's pixels. For a JPEG, libvips shrinks on load, so far less than the whole
 * image is decoded.
 */
export async function hashPixels(image: sharp.Sharp): Promise<HashPixels> {
  const { data, info } = await image
    // Shrink-on-load would decode a JPEG at a smaller scale first, and the upload path, which
    // shrinks a JPEG it has decoded whole, would then get a hash a few bits away from this one.
    .resize(HASH_SIDE, HASH_SIDE, {
      fit: "inside",
      withoutEnlargement: true,
      kernel: "linear",
      fastShrinkOnLoad: false,
    })
    .toColourspace("srgb")
    // A 16-bit PNG would otherwise come out in 16-bit samples; the hash works on 0..255.
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * Working memory for hashes, kept by its owner from one hash to the next: a hash then allocates
 * none of its own, and an upload path holding a large ban list in memory is spared the garbage
 * collections that megabytes of fresh arrays per upload would cause. Hashing is synchronous, so
 * one owner's hashes never overlap.
 */
export class HashScratch {
  #luma = new Float64Array(0);
  #blur = new Float64Array(0);

  /** Two buffers of `n` samples, their contents unspecified. */
  take(n: number): [Float64Array, Float64Array] {
    if (this.#luma.length < n) {
      this.#luma = new Float64Array(Math.max(n, HASH_SIDE * HASH_SIDE));
      this.#blur = new Float64Array(this.#luma.length);
    }
    return [this.#luma.subarray(0, n), this.#blur.subarray(0, n)];
  }
}

/** The PDQ hash of pixels made by `hashPixels`, computed in `scratch` when given. */
export function pdqOfPixels({ data, width, height, channels }: HashPixels, scratch?: HashScratch): PdqHash {
  // A plain view of the bytes: indexing a Buffer (a subclass) is slower in the hot loop.
  const src = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const n = width * height;
  const [luma, blur] = scratch?.take(n) ?? [new Float64Array(n), undefined];
  if (channels >= 3) {
    for (let p = 0, i = 0; p < n; p++, i += channels)
      luma[p] = R * (src[i] as number) + G * (src[i + 1] as number) + B * (src[i + 2] as number);
  } else {
    // Grey (with or without alpha): R = G = B, and the weights sum to one.
    for (let p = 0, i = 0; p < n; p++, i += channels) luma[p] = src[i] as number;
  }
  return pdqFromLumaInPlace(luma, width, height, blur);
}

/** The PDQ hash of an encoded image, or null when the bytes are not an image sharp can decode. */
export async function pdqOfImage(buffer: Buffer): Promise<PdqHash | null> {
  let pixels: HashPixels;
  try {
    pixels = await hashPixels(sharp(buffer, { failOn: "error", limitInputPixels: MAX_PIXELS }));
  } catch {
    return null;
  }
  return pdqOfPixels(pixels);
}
