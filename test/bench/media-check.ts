/**
 * The media-check part of `npm run bench`: what the perceptual-hash check adds to an upload, as a
 * share of the image work the upload already does (sharp decoding a 1920×1080 JPEG into a
 * metadata-free original and a thumbnail, one image at a time). Two costs: computing the PDQ hash
 * of the JPEG, and looking it up at distance 31 among 100,000 hashes; the lookup is also compared
 * with a full scan, to show the index is not one. Each share is the median of rounds that each
 * measure the baseline right before, because the machines this runs on are shared and noisy.
 *
 * Runs on its own too: `node dist/test/bench/media-check.js` (BENCH_SECONDS sets each measurement).
 */
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { popcount32 } from "../../server/domain/media-safety/pdq.js";
import { PdqIndex } from "../../server/domain/media-safety/pdq-index.js";
import { configureSharpForServer } from "../../server/services/images.js";
import { pdqOfImage } from "../../server/services/media-hash.js";
import { photo } from "./images.js";
import type { Row } from "./row.js";
import { paired } from "./stats.js";

const HASHES = 100_000;
const THRESHOLD = 31;
const QUERIES = 2_000;
/** The target: the check may add at most this share of an upload's image work. */
const TARGET_PERCENT = 5;

/** mulberry32: the same hashes on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomHex(rnd: () => number): string {
  let hex = "";
  for (let i = 0; i < 8; i++)
    hex += Math.floor(rnd() * 4294967296)
      .toString(16)
      .padStart(8, "0");
  return hex;
}

/** Milliseconds per call of `op`, run back to back for about `seconds` (at least `min` calls). */
async function msPerCall(op: () => Promise<unknown> | unknown, seconds: number, min = 3): Promise<number> {
  const started = performance.now();
  const end = started + seconds * 1000;
  let n = 0;
  while (n < min || performance.now() < end) {
    await op();
    n++;
  }
  return (performance.now() - started) / n;
}

/** What the upload path does with an image, one upload at a time: an original and a thumbnail. */
async function uploadImageWork(input: Buffer): Promise<void> {
  const opts = { failOn: "error", limitInputPixels: 40_000_000 } as const;
  await sharp(input, opts).metadata();
  await Promise.all([
    sharp(input, opts).autoOrient().jpeg({ quality: 90, mozjpeg: false }).toBuffer(),
    sharp(input, opts)
      .autoOrient()
      .resize(250, 250, { fit: "inside", withoutEnlargement: true })
      .flatten({ background: "#ffffff" })
      .jpeg({ quality: 85, mozjpeg: false })
      .toBuffer(),
  ]);
}

export interface MediaCheckFigures {
  uploadMs: number;
  pdqMs: number;
  lookupUs: number;
  scanUs: number;
  /** Median shares of the upload's image work. */
  pdqShare: number;
  lookupShare: number;
  /** Matches found per lookup, on average: the queries are near copies of indexed hashes. */
  matchesPerLookup: number;
}

export async function mediaCheckBench(seconds: number): Promise<MediaCheckFigures> {
  configureSharpForServer();
  const jpeg = await photo();
  const rnd = random(2026);
  const index = new PdqIndex<number>();
  const hashes: string[] = [];
  for (let i = 0; i < HASHES; i++) {
    const hex = randomHex(rnd);
    hashes.push(hex);
    index.add(hex, i);
  }
  // Half the queries are unrelated hashes, half are near copies (a few bits off) of indexed ones.
  const queries = Array.from({ length: QUERIES }, (_, i) => {
    if (i % 2) return randomHex(rnd);
    const digits = hashes[Math.floor(rnd() * HASHES)]!.split("");
    for (let k = 0; k < 6; k++) {
      const at = Math.floor(rnd() * 64);
      digits[at] = (Number.parseInt(digits[at]!, 16) ^ 1).toString(16);
    }
    return digits.join("");
  });
  let q = 0;
  let matches = 0;
  const lookup = () => {
    matches += index.within(queries[q++ % QUERIES]!, THRESHOLD).length;
  };
  // The scan it replaces, given every advantage: hashes parsed beforehand, early exit per hash.
  const words = new Uint32Array(HASHES * 8);
  hashes.forEach((h, i) => {
    for (let w = 0; w < 8; w++) words[i * 8 + w] = Number.parseInt(h.slice(w * 8, w * 8 + 8), 16);
  });
  const scan = () => {
    const query = queries[q++ % QUERIES]!;
    const qw = Array.from({ length: 8 }, (_, w) => Number.parseInt(query.slice(w * 8, w * 8 + 8), 16));
    let n = 0;
    for (let i = 0; i < HASHES; i++) {
      let d = 0;
      for (let w = 0; w < 8 && d <= THRESHOLD; w++) d += popcount32((words[i * 8 + w]! ^ qw[w]!) >>> 0);
      if (d <= THRESHOLD) n++;
    }
    return n;
  };
  const upload = () => msPerCall(() => uploadImageWork(jpeg), seconds);
  // Warm both paths before timing.
  await uploadImageWork(jpeg);
  await pdqOfImage(jpeg);
  for (let i = 0; i < 200; i++) lookup();
  const pdq = await paired(() => msPerCall(() => pdqOfImage(jpeg), seconds), upload);
  q = 0;
  matches = 0;
  let lookups = 0;
  const look = await paired(
    () =>
      msPerCall(() => {
        lookup();
        lookups++;
      }, seconds / 2),
    upload,
  );
  const scanMs = await msPerCall(scan, Math.min(seconds, 2));
  return {
    uploadMs: look.baseline,
    pdqMs: pdq.value,
    lookupUs: look.value * 1000,
    scanUs: scanMs * 1000,
    pdqShare: pdq.ratio,
    lookupShare: look.ratio,
    matchesPerLookup: matches / lookups,
  };
}

/** The figures as rows of the results table. */
export function mediaCheckRows(f: MediaCheckFigures): Row[] {
  return [
    {
      name: `PDQ lookup among ${HASHES.toLocaleString("en")} hashes at distance ${THRESHOLD}, share of an upload's image work`,
      value: f.lookupShare * 100,
      unit: "%",
      baseline: f.uploadMs,
      ratio: f.lookupShare,
      target: TARGET_PERCENT,
      targetKind: "max",
    },
    {
      name: "PDQ of a 1920×1080 JPEG, share of an upload's image work",
      value: f.pdqShare * 100,
      unit: "%",
      baseline: f.uploadMs,
      ratio: f.pdqShare,
      target: null,
    },
  ];
}

export function mediaCheckNote(f: MediaCheckFigures): string {
  return (
    `media check: upload image work ${f.uploadMs.toFixed(1)} ms (the baseline), PDQ ${f.pdqMs.toFixed(1)} ms, ` +
    `lookup ${f.lookupUs.toFixed(1)} µs (${f.matchesPerLookup.toFixed(2)} matches per lookup) against ` +
    `${f.scanUs.toFixed(0)} µs for a full scan (${(f.scanUs / f.lookupUs).toFixed(0)}× faster)`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await mediaCheckBench(Number(process.env["BENCH_SECONDS"] ?? 5));
  console.table(mediaCheckRows(figures).map((r) => ({ benchmark: r.name, value: `${r.value.toFixed(2)} ${r.unit}` })));
  process.stdout.write(`${mediaCheckNote(figures)}\n`);
}
