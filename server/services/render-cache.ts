import { createHash } from "node:crypto";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { CacheCounts } from "./metrics.js";

export interface Rendered {
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
  contentType: string;
  /** Milliseconds: when what this rendering shows last changed (the HTTP `Last-Modified`). */
  lastModified: number;
}

/**
 * Rendered pages and JSON, built once per version of what they show. The version comes from the
 * store (a thread's or a board's change counter), so every process serving one database agrees on
 * when an entry is stale, and a change invalidates exactly the views that show it.
 *
 * Each rendering carries its modification time: the time the store gives for its content
 * (`modifiedAt`), unless the text changed while that time did not (a domain rule, the board list
 * in the header): the change is then dated when it is first seen here, so a conditional request
 * with an older date never gets a 304 for a text it has not seen.
 */
export class RenderCache {
  private readonly entries = new Map<string, { version: string; value: Rendered }>();
  private readonly pending = new Map<string, Promise<Rendered>>();
  private bytes = 0;

  /** `counts`: told of every lookup, hit or miss (the metrics). */
  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly counts?: CacheCounts,
  ) {}

  /**
   * The rendering of `key` when it is the one for `version`, else undefined; never builds. For the
   * path ahead of the router, which answers only what is already current and leaves the rest to it.
   */
  peek(key: string, version: string): Rendered | undefined {
    const hit = this.entries.get(key);
    if (!hit || hit.version !== version) return undefined;
    // Only hits are counted here: a miss goes on to `get`, which counts it once.
    this.counts?.lookup(true);
    return hit.value;
  }

  async get(
    key: string,
    version: string,
    contentType: string,
    build: () => Promise<string>,
    modifiedAt = 0,
  ): Promise<Rendered> {
    const hit = this.entries.get(key);
    if (hit && hit.version === version) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.counts?.lookup(true);
      return hit.value;
    }
    this.counts?.lookup(false);
    const flightKey = `${key}\u0000${version}`;
    const inFlight = this.pending.get(flightKey);
    if (inFlight) return inFlight;
    const promise = build()
      .then((text) => {
        const body = Buffer.from(text, "utf8");
        const etag = etagOf(body);
        const value = pack(body, etag, contentType, this.dated(key, etag, modifiedAt));
        this.store(key, version, value);
        return value;
      })
      .finally(() => this.pending.delete(flightKey));
    this.pending.set(flightKey, promise);
    return promise;
  }

  /** The modification time of a new rendering of `key` (see the class comment). */
  private dated(key: string, etag: string, modifiedAt: number): number {
    const old = this.entries.get(key)?.value;
    const now = Date.now();
    if (!old) return modifiedAt > 0 ? modifiedAt : now;
    if (old.etag === etag) return Math.max(old.lastModified, modifiedAt);
    return modifiedAt > old.lastModified ? modifiedAt : Math.max(now, old.lastModified + 1000);
  }

  private store(key: string, version: string, value: Rendered): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= size(old.value);
      this.entries.delete(key);
    }
    this.entries.set(key, { version, value });
    this.bytes += size(value);
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= size(e.value);
    }
  }
}

function etagOf(body: Buffer): string {
  return `"${createHash("sha1").update(body).digest("base64url")}"`;
}

function pack(body: Buffer, etag: string, contentType: string, lastModified: number): Rendered {
  // Compressed once per version, at a brotli quality that costs about what gzip does: a page is
  // rebuilt after every post, so the slowest qualities would cost more than they save.
  const brotli = brotliCompressSync(body, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  return { body, gzip: gzipSync(body, { level: 6 }), brotli, etag, contentType, lastModified };
}

function size(r: Rendered): number {
  return r.body.length + r.gzip.length + r.brotli.length;
}
