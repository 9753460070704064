/**
 * The cost of matching uploads turned or mirrored: the media check's lookup of an upload's PDQ hash
 * among 100,000 perceptual bans (held in a real SQLite store, loaded by the media gate), once as the
 * hash stands and once in all eight orientations. Run `node dist/test/bench/orientations.js` after
 * `npm run build`. Queries are real pictures' hashes; none matches (every upload's usual case), so
 * all eight orientations are looked up. Both runs look up the same 128 hashes (16 pictures, eight
 * orientations each), so the index's memory is as warm for one as for the other.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_PDQ_DISTANCE, type MediaBan } from "../../server/domain/media-safety/media-bans.js";
import { ORIENTATIONS, type PdqHash } from "../../server/domain/media-safety/pdq.js";
import { MediaBanIndex } from "../../server/services/media-ban-index.js";
import { pdqOfImage } from "../../server/services/media-hash.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { picture } from "../support/pictures.js";
import { randomHex, seededRandom } from "../support/seeded-random.js";
import { quantile } from "./stats.js";

const BANS = 100_000;
const PICTURES = 16;
const ROUNDS = 7;
const CHECKS = 400;

export interface OrientationFigures {
  /** Per check, median of the rounds (µs): the hash as it stands, then all eight orientations. */
  asIsUs: number;
  allUs: number;
  matches: number;
}

/** A hash with no other orientation: each given as the hash itself, so one lookup is made. */
function alone(h: PdqHash, hex: string): PdqHash {
  const same = Object.fromEntries(ORIENTATIONS.map((o) => [o, hex])) as PdqHash["orientations"];
  return { hex, quality: h.quality, orientations: same };
}

export async function orientationBench(): Promise<OrientationFigures> {
  const dir = mkdtempSync(join(tmpdir(), "atoll-orientations-"));
  const store = openSqliteStore(join(dir, "atoll.db"), { checkpoints: false });
  try {
    const rnd = seededRandom(2027);
    const bans: MediaBan[] = Array.from({ length: BANS }, (_, i) => ({
      id: `b${i}`,
      kind: "pdq",
      hash: randomHex(rnd),
      distance: DEFAULT_PDQ_DISTANCE,
      reason: "",
      createdBy: "bench",
      createdAt: 0,
      source: "list:bench",
    }));
    await store.mediaBans.replaceSource("list:bench", bans);
    const gate = new MediaBanIndex(store.mediaBans);
    const hashes: PdqHash[] = [];
    for (let seed = 0; seed < PICTURES; seed++) {
      const h = await pdqOfImage(await picture(100 + seed, 640, 480));
      if (h) hashes.push(h);
    }
    const flat = hashes.flatMap((h) => ORIENTATIONS.map((o) => alone(h, h.orientations[o])));
    let matches = 0;
    const time = async (qs: PdqHash[], checks: number): Promise<number> => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < checks; i++) if (await gate.matchesHash(qs[i % qs.length]!)) matches++;
      return Number(process.hrtime.bigint() - start) / 1000 / checks;
    };
    await time(hashes, CHECKS); // loads the bans and warms up
    const asIsRounds: number[] = [];
    const allRounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Eight single lookups for each check in all orientations: the same lookups either way.
      asIsRounds.push(await time(flat, CHECKS * 8));
      allRounds.push(await time(hashes, CHECKS));
    }
    return { asIsUs: quantile(asIsRounds, 0.5), allUs: quantile(allRounds, 0.5), matches };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const f = await orientationBench();
  console.log(
    `media check among ${BANS.toLocaleString("en")} PDQ bans, per upload: as it stands ${f.asIsUs.toFixed(1)} µs, ` +
      `in all 8 orientations ${f.allUs.toFixed(1)} µs (${(f.allUs / f.asIsUs).toFixed(1)}×); matches ${f.matches}`,
  );
}
