import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

export interface Rendered {
  body: Buffer;
  gzip: Buffer;
  etag: string;
  contentType: string;
}

/**
 * Rendered pages and JSON, built once per version of what they show. The version comes from the
 * store (a thread's or a board's change counter), so every process serving one database agrees on
 * when an entry is stale, and a change invalidates exactly the views that show it.
 */
export class RenderCache {
  private readonly entries = new Map<string, { version: string; value: Rendered }>();
  private readonly pending = new Map<string, Promise<Rendered>>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  async get(key: string, version: string, contentType: string, build: () => Promise<string>): Promise<Rendered> {
    const hit = this.entries.get(key);
    if (hit && hit.version === version) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const flightKey = `${key}\u0000${version}`;
    const inFlight = this.pending.get(flightKey);
    if (inFlight) return inFlight;
    const promise = build()
      .then((text) => {
        const value = pack(text, contentType);
        this.store(key, version, value);
        return value;
      })
      .finally(() => this.pending.delete(flightKey));
    this.pending.set(flightKey, promise);
    return promise;
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

function pack(text: string, contentType: string): Rendered {
  const body = Buffer.from(text, "utf8");
  return {
    body,
    gzip: gzipSync(body, { level: 6 }),
    etag: `"${createHash("sha1").update(body).digest("base64url")}"`,
    contentType,
  };
}

function size(r: Rendered): number {
  return r.body.length + r.gzip.length;
}
