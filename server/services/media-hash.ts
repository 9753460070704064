/**
 * Perceptual hashes of uploaded and fetched images, decoded with sharp. Decoding follows the
 * reference implementation's own tool so that our hashes agree with lists made elsewhere: images
 * larger than 512 pixels a side are shrunk to fit (aspect kept) before hashing, only the first frame
 * of an animation counts, transparency is dropped rather than flattened, and EXIF orientation is
 * ignored (the reference does not rotate, so neither do we: a rotated copy is a different hash).
 */
import sharp from "sharp";
import { type PdqHash, pdqFromLuma } from "../domain/media-safety/pdq.js";

/** The reference tool's largest side before hashing. */
const HASH_SIDE = 512;
/** Decoding bound for a hash: anything larger is refused by the upload path long before this. */
const MAX_PIXELS = 100_000_000;

/** ITU-R BT.601 luma, the reference's weights. */
const R = 0.299;
const G = 0.587;
const B = 0.114;

/** The PDQ hash of an encoded image, or null when the bytes are not an image sharp can decode. */
export async function pdqOfImage(buffer: Buffer): Promise<PdqHash | null> {
  let data: Buffer;
  let width: number;
  let height: number;
  let channels: number;
  try {
    const out = await sharp(buffer, { failOn: "error", limitInputPixels: MAX_PIXELS })
      .resize(HASH_SIDE, HASH_SIDE, { fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      // A 16-bit PNG would otherwise come out in 16-bit samples; the hash works on 0..255.
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    ({ data } = out);
    ({ width, height, channels } = out.info);
  } catch {
    return null;
  }
  const luma = new Float64Array(width * height);
  if (channels >= 3) {
    for (let p = 0, i = 0; p < luma.length; p++, i += channels)
      luma[p] = R * (data[i] as number) + G * (data[i + 1] as number) + B * (data[i + 2] as number);
  } else {
    // Grey (with or without alpha): R = G = B, and the weights sum to one.
    for (let p = 0, i = 0; p < luma.length; p++, i += channels) luma[p] = data[i] as number;
  }
  return pdqFromLuma(luma, width, height);
}
