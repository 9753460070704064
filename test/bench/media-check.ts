/**
 * The media-check part of `npm run bench`: what checking an upload against 100,000 banned PDQ
 * hashes adds to the image work the upload does anyway (the image processor turning a 1920×1080
 * JPEG into a metadata-free original and a thumbnail, one image at a time). The check is the whole
 * of it: the image work as the processor does it when asked for a hash (the thumbnail made from the
 * hash's pixels, a decode shrunk to at most 512 pixels a side), the PDQ hash and the
 * media gate's check (bans in a SQLite store; the hash looked up in all eight orientations at
 * distance 31), against the same image work without a check (the thumbnail decoded
 * directly, shrunk on load). For comparison, the check done the simple way is measured in the same
 * rounds: a decode of its own for the hash (pdqOfImage) before the unchecked image work. All are
 * shares of the image work's CPU time (all threads: libvips works off the event loop) and of its
 * wall-clock time; each is the median of rounds that each measure the baseline right before,
 * because the machines this runs on are shared and noisy. The lookup alone is also compared with a
 * full scan, to show the index is not one.
 *
 * Runs on its own too: `node dist/test/bench/media-check.js` (BENCH_SECONDS sets each measurement).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PDQ_DISTANCE } from "../../server/domain/media-safety/media-bans.js";
import { popcount32 } from "../../server/domain/media-safety/pdq.js";
import { PdqIndex } from "../../server/domain/media-safety/pdq-index.js";
import { configureSharpForServer, ImageProcessor, type ProcessOptions } from "../../server/services/images.js";
import { MediaBanIndex } from "../../server/services/media-ban-index.js";
import { pdqOfImage } from "../../server/services/media-hash.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { seededRandom as random, randomHex } from "../support/seeded-random.js";
import { photo } from "./images.js";
import type { Row } from "./row.js";
import { processCpuMs, quantile } from "./stats.js";

const HASHES = 100_000;
const THRESHOLD = 31;
const QUERIES = 2_000;
/** The target: the check may add at most this share of an upload's image work. */
const TARGET_PERCENT = 5;
/** Rounds of upload, checked upload and separately checked upload, measured in turn. */
const ROUNDS = 5;

/** Wall-clock and CPU milliseconds per call of `op`, run back to back for about `seconds` (at least `min` calls). */
async function perCall(
  op: () => Promise<unknown> | unknown,
  seconds: number,
  min = 3,
  helpers: () => number[] = () => [],
): Promise<Cost> {
  // The image work runs in worker processes: their CPU time counts with this process's.
  const helperCpu = () => helpers().reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
  const helpersBefore = helperCpu();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const end = started + seconds * 1000;
  let n = 0;
  while (n < min || performance.now() < end) {
    await op();
    n++;
  }
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000 + (helperCpu() - helpersBefore);
  return { wall: (performance.now() - started) / n, cpu: ms / n };
}

interface Cost {
  wall: number;
  cpu: number;
}

export interface MediaCheckFigures {
  /** The upload's image work without any check, per upload (ms). */
  upload: Cost;
  /** The same with the check as it runs: the hash from pixels the image work decodes, then the lookup. */
  checked: Cost;
  /** The check done the simple way: a decode of its own for the hash, the lookup, then the image work. */
  separate: Cost;
  /** Median shares, by CPU time and by wall clock: what the check adds to the upload's image work; */
  checkedShare: Cost;
  /** and what the simple way adds. */
  separateShare: Cost;
  lookupUs: number;
  scanUs: number;
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
  let lookups = 0;
  const lookup = () => {
    matches += index.within(queries[q++ % QUERIES]!, THRESHOLD).length;
    lookups++;
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

  // The upload path's gate, as the server has it: the same bans in a SQLite store, loaded by the
  // media gate, which asks the store's version per check and looks the hash up in all eight
  // orientations.
  const dir = mkdtempSync(join(tmpdir(), "atoll-media-check-"));
  const store = openSqliteStore(join(dir, "atoll.db"), { checkpoints: false });
  await store.mediaBans.replaceSource(
    "list:bench",
    hashes.map((hash, i) => ({
      id: `b${i}`,
      kind: "pdq",
      hash,
      distance: DEFAULT_PDQ_DISTANCE,
      reason: "",
      createdBy: "bench",
      createdAt: 0,
      source: "list:bench",
    })),
  );
  const gate = new MediaBanIndex(store.mediaBans);

  // One image at a time, as the measurements need; the limits are the server's defaults.
  const images = new ImageProcessor({ maxPixels: 40_000_000, concurrency: 1, queueLimit: 1 });
  const opts: ProcessOptions = { allowedTypes: ["image/jpeg"], maxFileSize: 10 * 1024 * 1024, op: true };
  const upload = () => images.process(jpeg, opts);
  const checked = async () => {
    const { pdq } = await images.process(jpeg, { ...opts, pdq: await gate.checksLikeness() });
    return gate.matchesHash(pdq);
  };
  const separate = async () => {
    const banned = await gate.matchesHash(await pdqOfImage(jpeg));
    await upload();
    return banned;
  };

  // Warm every path before timing.
  for (let i = 0; i < 3; i++) {
    await upload();
    await checked();
    await separate();
  }
  for (let i = 0; i < 200; i++) lookup();
  const rounds: Array<{ upload: Cost; checked: Cost; separate: Cost }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const workers = () => images.workerPids;
    rounds.push({
      upload: await perCall(upload, seconds, 3, workers),
      checked: await perCall(checked, seconds, 3, workers),
      separate: await perCall(separate, seconds, 3, workers),
    });
  }
  const median = (pick: (r: (typeof rounds)[number]) => number) => quantile(rounds.map(pick), 0.5);
  const cost = (pick: (r: (typeof rounds)[number]) => Cost): Cost => ({
    wall: median((r) => pick(r).wall),
    cpu: median((r) => pick(r).cpu),
  });
  const share = (pick: (r: (typeof rounds)[number]) => Cost): Cost => ({
    wall: median((r) => pick(r).wall / r.upload.wall - 1),
    cpu: median((r) => pick(r).cpu / r.upload.cpu - 1),
  });

  q = 0;
  matches = 0;
  lookups = 0;
  const lookupMs = (await perCall(lookup, seconds / 2)).wall;
  const scanMs = (await perCall(scan, Math.min(seconds, 2))).wall;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    upload: cost((r) => r.upload),
    checked: cost((r) => r.checked),
    separate: cost((r) => r.separate),
    checkedShare: share((r) => r.checked),
    separateShare: share((r) => r.separate),
    lookupUs: lookupMs * 1000,
    scanUs: scanMs * 1000,
    matchesPerLookup: matches / lookups,
  };
}

/** The figures as rows of the results table. */
export function mediaCheckRows(f: MediaCheckFigures): Row[] {
  const among = `against ${HASHES.toLocaleString("en")} PDQ bans`;
  return [
    {
      name: `Media check of a 1920×1080 JPEG ${among} (hash + lookup), share of the upload's image work (CPU)`,
      value: f.checkedShare.cpu * 100,
      unit: "%",
      baseline: f.upload.cpu,
      ratio: 1 + f.checkedShare.cpu,
      target: TARGET_PERCENT,
      targetKind: "max",
    },
    {
      name: "The same, share of the upload's image work (wall clock, one upload at a time)",
      value: f.checkedShare.wall * 100,
      unit: "%",
      baseline: f.upload.wall,
      ratio: 1 + f.checkedShare.wall,
      target: null,
    },
    {
      name: "The check done simply (a decode of its own for the hash), share of the image work (CPU)",
      value: f.separateShare.cpu * 100,
      unit: "%",
      baseline: f.upload.cpu,
      ratio: 1 + f.separateShare.cpu,
      target: null,
    },
  ];
}

export function mediaCheckNote(f: MediaCheckFigures): string {
  const ms = (c: Cost) => `${c.cpu.toFixed(1)} ms CPU / ${c.wall.toFixed(1)} ms wall`;
  const pc = (c: Cost) => `${(c.cpu * 100).toFixed(1)} % CPU, ${(c.wall * 100).toFixed(1)} % wall`;
  return (
    `media check: image work per upload ${ms(f.upload)}, with the check ${ms(f.checked)} (${pc(f.checkedShare)}); ` +
    `with a decode of its own for the hash ${ms(f.separate)} (${pc(f.separateShare)}); lookup ${f.lookupUs.toFixed(1)} µs ` +
    `(${f.matchesPerLookup.toFixed(2)} matches per lookup) against ${f.scanUs.toFixed(0)} µs for a full scan ` +
    `(${(f.scanUs / f.lookupUs).toFixed(0)}× faster)`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const figures = await mediaCheckBench(Number(process.env["BENCH_SECONDS"] ?? 5));
  console.table(mediaCheckRows(figures).map((r) => ({ benchmark: r.name, value: `${r.value.toFixed(2)} ${r.unit}` })));
  process.stdout.write(`${mediaCheckNote(figures)}\n`);
}
