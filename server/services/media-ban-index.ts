import { DEFAULT_PDQ_DISTANCE, MAX_PDQ_DISTANCE, type MediaBanRepository } from "../domain/media-safety/media-bans.js";
import type { PdqHash } from "../domain/media-safety/pdq.js";
import { PdqIndex } from "../domain/media-safety/pdq-index.js";

/**
 * PDQ hashes of lower quality say little (flat, featureless pictures all hash alike): as the
 * reference implementation advises, they are neither matched nor banned.
 */
export const MIN_PDQ_QUALITY = 50;

/** What the upload and attachment paths ask before a file is kept. */
export interface MediaGate {
  /** Is any of these digests banned? */
  refuses(sha256s: readonly string[]): Promise<boolean>;
  /**
   * Is there any ban by likeness? Only then is an upload's PDQ hash worth computing, so instances
   * without any pay nothing for it.
   */
  checksLikeness(): Promise<boolean>;
  /**
   * Does an image of this PDQ hash look like a banned one (within the ban's distance), as it is or
   * turned or mirrored any of the eight ways?
   */
  matchesHash(hash: PdqHash | null): Promise<boolean>;
}

interface Loaded {
  version: number;
  sha256: ReadonlySet<string>;
  /**
   * Perceptual bans, indexed for matching by likeness, each by its distance alone: the index then
   * holds no object per ban, and a large list costs the garbage collector nothing to trace.
   */
  pdq: PdqIndex<number>;
  /**
   * The widest distance of any perceptual ban: lookups search that far and no farther, since the
   * index's probes grow with the distance (at 64 bits, the most a ban may have, it scans them all).
   */
  widest: number;
}

/**
 * The media bans in force, held in memory for the checks and kept in step with the store: each
 * check first reads the store's version (one small read) and reloads when it moved, so a ban made
 * by another process sharing the store holds here from the next upload on.
 */
export class MediaBanIndex implements MediaGate {
  #loaded: Loaded | null = null;
  #loading: Promise<Loaded> | null = null;

  constructor(private readonly bans: MediaBanRepository) {}

  async refuses(sha256s: readonly string[]): Promise<boolean> {
    const { sha256 } = await this.current();
    return sha256s.some((h) => sha256.has(h));
  }

  async checksLikeness(): Promise<boolean> {
    return (await this.current()).pdq.size > 0;
  }

  /** Whether a hash already computed matches a perceptual ban in force. */
  async matchesHash(hash: PdqHash | null): Promise<boolean> {
    return this.matches(await this.current(), hash);
  }

  /**
   * Bans keep the one hash of the picture as it was banned (lists exchanged with other software hold
   * only that), so an upload is looked up in each of its orientations instead: a copy turned by 90
   * degrees has, as its "turned back" orientation, the banned picture's hash.
   */
  private matches({ pdq, widest }: Loaded, hash: PdqHash | null): boolean {
    if (hash === null || hash.quality < MIN_PDQ_QUALITY || pdq.size === 0) return false;
    // A symmetric picture gives some orientations the same hash: each is looked up once.
    for (const hex of new Set(Object.values(hash.orientations))) {
      const found = pdq.within(hex, widest);
      if (found.some((m) => m.distance <= m.value)) return true;
    }
    return false;
  }

  /** The bans in force, reloaded when the store's version differs from the one held. */
  async current(): Promise<Loaded> {
    const version = await this.bans.version();
    if (this.#loaded?.version === version) return this.#loaded;
    this.#loading ??= this.load().finally(() => {
      this.#loading = null;
    });
    const loaded = await this.#loading;
    // A load that began before the change this check saw would miss it: load once more.
    return loaded.version >= version ? loaded : this.load();
  }

  private async load(): Promise<Loaded> {
    // The version is read before the list: a change in between is seen again at the next check.
    const version = await this.bans.version();
    const all = await this.bans.list();
    const loaded: Loaded = {
      version,
      sha256: new Set(all.filter((b) => b.kind === "sha256").map((b) => b.hash)),
      pdq: new PdqIndex<number>(),
      widest: 0,
    };
    for (const b of all) {
      if (b.kind !== "pdq") continue;
      const distance = Math.min(b.distance ?? DEFAULT_PDQ_DISTANCE, MAX_PDQ_DISTANCE);
      loaded.pdq.add(b.hash, distance);
      loaded.widest = Math.max(loaded.widest, distance);
    }
    this.#loaded = loaded;
    return loaded;
  }
}
