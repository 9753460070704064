import type { MediaBan, MediaBanRepository } from "../domain/media-safety/media-bans.js";

/** What the upload and attachment paths ask before a file is kept: is any of these digests banned? */
export interface MediaGate {
  refuses(sha256s: readonly string[]): Promise<boolean>;
}

interface Loaded {
  version: number;
  sha256: ReadonlySet<string>;
  /** Perceptual bans, kept for matching by likeness. */
  pdq: readonly MediaBan[];
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
      pdq: all.filter((b) => b.kind === "pdq"),
    };
    this.#loaded = loaded;
    return loaded;
  }
}
