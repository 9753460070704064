import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { hammingDistance, isPdqHex, type PdqHash, pdqFromLuma } from "../../server/domain/media-safety/pdq.js";
import { projectRoot } from "../../server/paths.js";
import { pdqOfImage } from "../../server/services/media-hash.js";
import { picture } from "../support/pictures.js";

/** The usual match threshold of PDQ hash-sharing programmes. */
const MATCH = 31;
/**
 * How far our hash of a reference image may be from the reference's own: both decode the JPEG and
 * shrink it to 512 pixels with different libraries, which moves a few coefficients across the median.
 * An image of low quality (nearly flat: most coefficients sit near the median) moves more; the
 * reference advises against matching those at all.
 */
const REFERENCE_BOUND = 4;
const LOW_QUALITY_BOUND = 12;
const USABLE_QUALITY = 50;

const fixtures = join(projectRoot(), "..", "shared", "fixtures", "pdq");
const present = existsSync(join(fixtures, "reference", "expected.txt"));
const absent = " (skipped: ../shared/fixtures/pdq is absent)";

async function pdqOf(file: string): Promise<PdqHash> {
  const h = await pdqOfImage(readFileSync(file));
  if (h === null) throw new Error(`${file} did not decode`);
  return h;
}

const hashOf = async (file: string): Promise<string> => (await pdqOf(file)).hex;

describe("PDQ hash", () => {
  it("recognises canonical hex and counts differing bits", () => {
    const zero = "0".repeat(64);
    const ones = "f".repeat(64);
    expect(isPdqHex(zero)).toBe(true);
    expect(isPdqHex(ones.toUpperCase())).toBe(false);
    expect(isPdqHex(`${zero}0`)).toBe(false);
    expect(isPdqHex("g".repeat(64))).toBe(false);
    expect(hammingDistance(zero, ones)).toBe(256);
    expect(hammingDistance(zero, zero)).toBe(0);
    expect(hammingDistance(zero, `8${"0".repeat(62)}1`)).toBe(2);
    expect(() => hammingDistance(zero, "xyz")).toThrow(RangeError);
  });

  it("hashes luminance without touching the caller's buffer, and refuses a size that does not fit", () => {
    const w = 200;
    const h = 150;
    const luma = new Float32Array(w * h).map((_, i) => ((i % w) * 255) / w);
    const copy = Float32Array.from(luma);
    const a = pdqFromLuma(luma, w, h);
    expect(luma).toEqual(copy);
    expect(isPdqHex(a.hex)).toBe(true);
    expect(pdqFromLuma(Float64Array.from(luma), w, h)).toEqual(a);
    // A flat image has no gradients, hence quality 0.
    expect(pdqFromLuma(new Float64Array(64 * 64).fill(90), 64, 64).quality).toBe(0);
    expect(() => pdqFromLuma(luma, w + 1, h)).toThrow(RangeError);
    expect(() => pdqFromLuma(luma, 0, h)).toThrow(RangeError);
  });

  it("returns null for bytes that are not an image", async () => {
    expect(await pdqOfImage(Buffer.from("not an image at all"))).toBeNull();
    const jpeg = await picture(1);
    expect(await pdqOfImage(jpeg.subarray(0, 200))).toBeNull();
  });

  it("ignores EXIF orientation as the reference does, and hashes grey, 16-bit and transparent images", async () => {
    const source = await picture(21, 640, 480);
    const { data, info } = await sharp(source).raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
    const plain = await sharp(data, raw).jpeg({ quality: 90 }).toBuffer();
    const rotated = await sharp(data, raw).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const base = (await pdqOfImage(plain))!;
    expect((await pdqOfImage(rotated))!.hex).toBe(base.hex);
    // Grey made with the hash's own weights (sharp's greyscale weighs in linear light: another picture).
    const luma = Buffer.alloc(info.width * info.height);
    for (let p = 0; p < luma.length; p++)
      luma[p] = Math.round(0.299 * data[p * 3]! + 0.587 * data[p * 3 + 1]! + 0.114 * data[p * 3 + 2]!);
    const grey = await sharp(luma, { raw: { width: info.width, height: info.height, channels: 1 } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const deep = await sharp(data, raw).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe("ushort");
    const alpha = await sharp(data, raw).ensureAlpha(0.5).png().toBuffer();
    const distances = {
      grey: hammingDistance(base.hex, (await pdqOfImage(grey))!.hex),
      "16-bit": hammingDistance(base.hex, (await pdqOfImage(deep))!.hex),
      "half transparent": hammingDistance(base.hex, (await pdqOfImage(alpha))!.hex),
    };
    console.log("PDQ bits from the 8-bit RGB JPEG:", distances);
    // The same pixels up to JPEG loss and rounding: far closer than a match needs.
    for (const [name, d] of Object.entries(distances)) expect(d, name).toBeLessThanOrEqual(8);
  });

  it.skipIf(!present)(
    `gives each reference image the reference's hash within ${REFERENCE_BOUND} bits (${LOW_QUALITY_BOUND} if of low quality)${present ? "" : absent}`,
    async () => {
      const dir = join(fixtures, "reference");
      const lines = readFileSync(join(dir, "expected.txt"), "utf8").trim().split("\n");
      expect(lines.length).toBeGreaterThan(5);
      const found: Record<string, { bits: number; quality: number }> = {};
      for (const line of lines) {
        const [expected, file] = line.trim().split(/\s+/) as [string, string];
        const h = await pdqOf(join(dir, file));
        found[file] = { bits: hammingDistance(h.hex, expected), quality: h.quality };
      }
      console.log("PDQ bits differing from the reference (and our quality):", found);
      for (const [file, { bits, quality }] of Object.entries(found))
        expect(bits, file).toBeLessThanOrEqual(quality >= USABLE_QUALITY ? REFERENCE_BOUND : LOW_QUALITY_BOUND);
    },
  );

  it.skipIf(!present)(
    `matches the edited copies of a photo, not an unrelated one${present ? "" : absent}`,
    async () => {
      const dir = join(fixtures, "near-duplicates");
      const original = await hashOf(join(dir, "aaa-orig.jpg"));
      const edits = [
        "blur-a-little.jpg",
        "high-contrast.jpg",
        "shrink-a-little.jpg",
        "shrink-a-lot.jpg",
        "square-256x256.jpg",
      ];
      const distances: Record<string, number> = {};
      for (const file of edits) distances[file] = hammingDistance(original, await hashOf(join(dir, file)));
      const unrelated = hammingDistance(original, await hashOf(join(fixtures, "reference", "q0003.jpg")));
      console.log("PDQ bits from the original:", distances, "unrelated:", unrelated);
      for (const [file, d] of Object.entries(distances)) expect(d, file).toBeLessThanOrEqual(MATCH);
      expect(unrelated).toBeGreaterThan(MATCH);
    },
  );

  it("matches resized, re-encoded and slightly cropped copies made with sharp, not unrelated pictures", async () => {
    const source = await picture(7, 1200, 900);
    const original = (await pdqOfImage(source))!.hex;
    const copies: Record<string, Buffer> = {
      "resized to 400×300": await sharp(source).resize(400, 300).jpeg({ quality: 85 }).toBuffer(),
      "re-encoded at JPEG quality 20": await sharp(source).jpeg({ quality: 20 }).toBuffer(),
      "as WebP": await sharp(source).webp({ quality: 50 }).toBuffer(),
      "cropped by 1 % on each side": await sharp(source)
        .extract({ left: 12, top: 9, width: 1176, height: 882 })
        .jpeg({ quality: 80 })
        .toBuffer(),
      "resized to 1600×1200": await sharp(source).resize(1600, 1200).png().toBuffer(),
    };
    const near: Record<string, number> = {};
    for (const [name, file] of Object.entries(copies))
      near[name] = hammingDistance(original, (await pdqOfImage(file))!.hex);
    const far: number[] = [];
    for (const seed of [8, 9, 10, 11])
      far.push(hammingDistance(original, (await pdqOfImage(await picture(seed, 1200, 900)))!.hex));
    console.log("PDQ bits from a generated picture:", near, "unrelated pictures:", far);
    for (const [name, d] of Object.entries(near)) expect(d, name).toBeLessThanOrEqual(MATCH);
    for (const d of far) expect(d).toBeGreaterThan(MATCH);
  });
});
