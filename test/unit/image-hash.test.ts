import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { IMAGE_TYPES } from "../../server/domain/board.js";
import { hammingDistance } from "../../server/domain/media-safety/pdq.js";
import { ImageProcessor, type ProcessOptions } from "../../server/services/images.js";
import { pdqOfImage } from "../../server/services/media-hash.js";
import { picture } from "../support/pictures.js";

/*
 * Asked for a PDQ hash, the image processor makes the thumbnail from the pixels the hash is computed
 * from, so the media check decodes nothing of its own: its hash must be the one pdqOfImage gives for
 * the same bytes, and its original and thumbnails must still be turned the way EXIF orientation says.
 */

const ALL: ProcessOptions = { allowedTypes: IMAGE_TYPES, maxFileSize: 8 * 1024 * 1024, op: true };
const processor = () => new ImageProcessor({ maxPixels: 40_000_000, concurrency: 2, queueLimit: 8 });

/** Mean absolute difference of two images' 8-bit RGB pixels; Infinity when their sizes differ. */
async function difference(a: Buffer, b: Buffer): Promise<number> {
  const [x, y] = await Promise.all(
    [a, b].map((img) => sharp(img).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true })),
  );
  if (!x || !y || x.info.width !== y.info.width || x.info.height !== y.info.height) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < x.data.length; i++) sum += Math.abs(x.data[i]! - y.data[i]!);
  return sum / x.data.length;
}

/** A two-frame GIF of the picture (a third its size), then the picture upside down. */
async function animated(rgb: Buffer, width: number, height: number): Promise<Buffer> {
  const w = Math.round(width / 3);
  const h = Math.round(height / 3);
  const frame = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .resize(w, h)
    .raw()
    .toBuffer();
  const flipped = await sharp(frame, { raw: { width: w, height: h, channels: 3 } })
    .flip()
    .raw()
    .toBuffer();
  return sharp(Buffer.concat([frame, flipped]), { raw: { width: w, height: h * 2, channels: 3, pageHeight: h } })
    .gif({ loop: 0, delay: [100, 100] })
    .toBuffer();
}

describe("ImageProcessor: the PDQ hash from the thumbnail's pixels", () => {
  it("computes the hash only when asked", async () => {
    const jpeg = await picture(3, 1200, 900);
    expect((await processor().process(jpeg, ALL)).pdq).toBeNull();
    expect((await processor().process(jpeg, { ...ALL, pdq: true })).pdq).not.toBeNull();
  });

  it("gives the hash pdqOfImage gives, for every kind of image the hash handles", async () => {
    const source = await picture(11, 1920, 1080);
    const { data, info } = await sharp(source).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
    const inputs: Record<string, Buffer> = {
      "large JPEG": source,
      "small JPEG": await picture(12, 300, 200),
      "re-encoded JPEG": await sharp(data, raw).jpeg().toBuffer(),
      "JPEG with EXIF orientation 6": await sharp(data, raw).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
      "transparent PNG": await sharp(data, raw).ensureAlpha(0.5).png().toBuffer(),
      "16-bit PNG": await sharp(data, raw).toColourspace("rgb16").png().toBuffer(),
      "grey PNG": await sharp(data, raw).greyscale().png().toBuffer(),
      WebP: await sharp(data, raw).webp().toBuffer(),
      "animated GIF": await animated(data, info.width, info.height),
    };
    const found: Record<string, string> = {};
    // One processor for all, in turn: each hash reuses the working memory the one before left behind.
    const images = processor();
    for (const [what, input] of Object.entries(inputs)) {
      const processed = await images.process(input, { ...ALL, pdq: true });
      const expected = await pdqOfImage(input);
      expect(processed.pdq, what).toEqual(expected);
      found[what] = processed.pdq!.hex;
    }
    // The orientation is ignored, as the reference does: the same pixels, the same hash.
    expect(found["JPEG with EXIF orientation 6"]).toBe(found["re-encoded JPEG"]);
    expect(hammingDistance(found["large JPEG"]!, found["transparent PNG"]!)).toBeLessThanOrEqual(8);
  });

  it("turns each thumbnail the way its EXIF orientation says, as auto-orientation does", async () => {
    // Quadrants of different colours: any wrong turn or mirror moves them.
    const w = 640;
    const h = 400;
    const raw = Buffer.alloc(w * h * 3);
    const colours = [
      [220, 30, 30],
      [30, 200, 40],
      [30, 40, 220],
      [230, 220, 40],
    ];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) raw.set(colours[(y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1)]!, (y * w + x) * 3);
    const results: Record<number, number> = {};
    const originals: Record<number, number> = {};
    for (let orientation = 1; orientation <= 8; orientation++) {
      const input = await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality: 95 })
        .withMetadata({ orientation })
        .toBuffer();
      const { thumb, thumbWidth, thumbHeight, original } = await processor().process(input, { ...ALL, pdq: true });
      // The original is turned as well.
      const upright = await sharp(input).autoOrient().jpeg({ quality: 95 }).toBuffer();
      originals[orientation] = await difference(original, upright);
      const expected = await sharp(input)
        .autoOrient()
        .resize(250, 250, { fit: "inside" })
        .jpeg({ quality: 85 })
        .toBuffer();
      const meta = await sharp(expected).metadata();
      expect({ orientation, thumbWidth, thumbHeight }).toEqual({
        orientation,
        thumbWidth: meta.width,
        thumbHeight: meta.height,
      });
      results[orientation] = await difference(thumb, expected);
    }
    // A wrong turn differs by about a hundred on average; resampling twice, by a few.
    for (const [orientation, d] of Object.entries(results)) expect(d, `orientation ${orientation}`).toBeLessThan(6);
    for (const [orientation, d] of Object.entries(originals)) expect(d, `original ${orientation}`).toBeLessThan(6);
  });
});
