import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  hammingDistance,
  ORIENTATIONS,
  type Orientation,
  type PdqHash,
  pdqFromLuma,
} from "../../server/domain/media-safety/pdq.js";
import { projectRoot } from "../../server/paths.js";
import { pdqOfImage } from "../../server/services/media-hash.js";
import { picture } from "../support/pictures.js";

/*
 * The hashes of a picture's eight orientations, derived from its one set of DCT coefficients, must
 * be (nearly) the hashes of the turned and mirrored pictures themselves, and must not bring unrelated
 * pictures any closer than they are as they stand.
 */

const MATCH = 31;
/**
 * How far a derived orientation may be from hashing the turned file itself. Mirroring is exact for
 * the DCT, but the box filter's even windows sit half a sample off centre and the 64×64 samples fall
 * unevenly on most sides, so a mirrored picture is sampled a pixel or so apart: on photos that moves
 * up to about twenty coefficients across the median, well inside a match.
 */
const DERIVED_BOUND = 24;

const fixtures = join(projectRoot(), "..", "shared", "fixtures", "pdq");
const present = existsSync(join(fixtures, "reference", "bridge-2-rotate-90.jpg"));
const absent = " (skipped: ../shared/fixtures/pdq is absent)";

async function pdqOf(buffer: Buffer): Promise<PdqHash> {
  const h = await pdqOfImage(buffer);
  if (h === null) throw new Error("did not decode");
  return h;
}

/** The nearest of `hash`'s orientations to `hex`, and its distance. */
function nearest(hash: PdqHash, hex: string): { orientation: Orientation; bits: number } {
  let best = { orientation: "original" as Orientation, bits: 257 };
  for (const o of ORIENTATIONS) {
    const bits = hammingDistance(hash.orientations[o], hex);
    if (bits < best.bits) best = { orientation: o, bits };
  }
  return best;
}

describe("PDQ hashes of turned and mirrored pictures", () => {
  it("gives the original orientation the hash itself, and each orientation the hash of the luminance turned that way", () => {
    const w = 96;
    const h = 64;
    const luma = new Float64Array(w * h);
    // Smooth shapes (a few cycles across), as photos have, with one bright corner to break symmetry.
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        luma[y * w + x] =
          128 + 50 * Math.sin(x / 9 + y / 23) + 40 * Math.cos((x * y) / 700) + (x > 60 && y < 20 ? 30 : 0);
    const at = (x: number, y: number) => luma[y * w + x] as number;
    const turned = (tw: number, th: number, from: (x: number, y: number) => number) => {
      const out = new Float64Array(tw * th);
      for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[y * tw + x] = from(x, y);
      return pdqFromLuma(out, tw, th);
    };
    const base = pdqFromLuma(luma, w, h);
    expect(base.orientations.original).toBe(base.hex);
    const files: Record<Orientation, PdqHash> = {
      original: base,
      rotate90: turned(h, w, (x, y) => at(y, h - 1 - x)),
      rotate180: turned(w, h, (x, y) => at(w - 1 - x, h - 1 - y)),
      rotate270: turned(h, w, (x, y) => at(w - 1 - y, x)),
      mirror: turned(w, h, (x, y) => at(w - 1 - x, y)),
      flip: turned(w, h, (x, y) => at(x, h - 1 - y)),
      transpose: turned(h, w, (x, y) => at(y, x)),
      transverse: turned(h, w, (x, y) => at(w - 1 - y, h - 1 - x)),
    };
    const found: Record<string, { nearest: Orientation; bits: number }> = {};
    for (const o of ORIENTATIONS) {
      const n = nearest(base, files[o].hex);
      found[o] = { nearest: n.orientation, bits: n.bits };
    }
    console.log("derived orientations against hashing the turned luminance:", found);
    for (const o of ORIENTATIONS) {
      expect(found[o]?.nearest, o).toBe(o);
      expect(found[o]?.bits, o).toBeLessThanOrEqual(DERIVED_BOUND);
    }
    // The picture has no symmetry: its eight orientations are eight different hashes.
    expect(new Set(Object.values(base.orientations)).size).toBe(8);
  });

  it.skipIf(!present)(
    `derives from the reference's bridge photo the hash of its turned copy${present ? "" : absent}`,
    async () => {
      const dir = join(fixtures, "reference");
      const expected = new Map(
        readFileSync(join(dir, "expected.txt"), "utf8")
          .trim()
          .split("\n")
          .map((l) => l.trim().split(/\s+/).reverse() as [string, string]),
      );
      const original = await pdqOf(readFileSync(join(dir, "bridge-1-original.jpg")));
      const turned = expected.get("bridge-2-rotate-90.jpg");
      expect(turned).toMatch(/^[0-9a-f]{64}$/);
      expect(hammingDistance(original.hex, turned!)).toBeGreaterThan(MATCH);
      // The reference's "rotate 90" turns counter-clockwise: clockwise by 270 degrees.
      const n = nearest(original, turned!);
      console.log("bridge photo: nearest orientation to the reference's hash of its turned copy:", n);
      expect(n.orientation).toBe("rotate270");
      expect(n.bits).toBeLessThanOrEqual(DERIVED_BOUND);
    },
  );

  it("derives the hashes of copies turned and mirrored with sharp", async () => {
    const source = await picture(31, 1200, 900);
    const original = await pdqOf(source);
    const edits: Array<[Orientation, (s: sharp.Sharp) => sharp.Sharp]> = [
      ["rotate90", (s) => s.rotate(90)],
      ["rotate180", (s) => s.rotate(180)],
      ["rotate270", (s) => s.rotate(270)],
      ["flip", (s) => s.flip()],
      ["mirror", (s) => s.flop()],
    ];
    const found: Record<string, { nearest: Orientation; bits: number; asIs: number }> = {};
    for (const [o, edit] of edits) {
      const copy = await pdqOf(await edit(sharp(source)).jpeg({ quality: 85 }).toBuffer());
      const n = nearest(original, copy.hex);
      found[o] = { nearest: n.orientation, bits: n.bits, asIs: hammingDistance(original.hex, copy.hex) };
    }
    console.log("sharp edits: nearest derived orientation (and distance as is):", found);
    for (const [o] of edits) {
      expect(found[o]?.nearest, o).toBe(o);
      expect(found[o]?.bits, o).toBeLessThanOrEqual(DERIVED_BOUND);
    }
  });

  it("keeps unrelated pictures far from every orientation, a picture's own mirror image included", async () => {
    const banned: PdqHash[] = [];
    for (const seed of [41, 42, 43]) {
      banned.push(await pdqOf(await picture(seed, 900, 600)));
      // A banned picture and its mirror image both banned: two hashes, sixteen orientations.
      banned.push(
        await pdqOf(
          await sharp(await picture(seed, 900, 600))
            .flop()
            .jpeg()
            .toBuffer(),
        ),
      );
    }
    const dir = join(fixtures, "reference");
    const others: Buffer[] = [];
    for (const seed of [51, 52, 53, 54, 55, 56]) others.push(await picture(seed, 900, 600));
    if (present)
      for (const f of ["q0003.jpg", "q0004.jpg", "q0122.jpg", "q2821.jpg"]) others.push(readFileSync(join(dir, f)));
    let closest = 256;
    for (const file of others) {
      const h = await pdqOf(file);
      for (const b of banned)
        for (const o of ORIENTATIONS) closest = Math.min(closest, hammingDistance(h.orientations[o], b.hex));
    }
    console.log(`unrelated pictures: the closest of ${others.length * banned.length * 8} distances is ${closest} bits`);
    // Random 256-bit hashes lie 128 ± 8 bits apart; a match is 31. Far above it, with room to spare.
    expect(closest).toBeGreaterThan(2 * MATCH);
  });
});
