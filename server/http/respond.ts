import type { IncomingMessage, ServerResponse } from "node:http";
import { DomainError } from "../domain/errors.js";
import type { Rendered } from "../services/render-cache.js";

/**
 * Sends a cached rendering, compressed when the client accepts it (brotli, else gzip), with its ETag and Last-Modified,
 * answering a conditional GET with 304: `If-None-Match` when the client sends it (it is exact),
 * else `If-Modified-Since` (what 4chan's API asks of its clients). `vary` names the request headers
 * besides Accept and Accept-Encoding that choose the variant (the pages' opt-in cookie).
 */
export function sendRendered(
  req: Pick<IncomingMessage, "headers">,
  res: ServerResponse,
  r: Rendered,
  cacheControl = "no-cache",
  vary: readonly string[] = [],
): void {
  res.setHeader("Content-Type", r.contentType);
  res.setHeader("ETag", r.etag);
  res.setHeader("Last-Modified", new Date(statedModified(r.lastModified, Date.now())).toUTCString());
  res.setHeader("Cache-Control", cacheControl);
  res.setHeader("Vary", ["Accept", "Accept-Encoding", ...vary].join(", "));
  if (notModified(req, r)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const accepts = req.headers["accept-encoding"];
  if (typeof accepts === "string" && /\bbr\b/.test(accepts)) {
    res.setHeader("Content-Encoding", "br");
    res.setHeader("Content-Length", r.brotli.length);
    res.end(r.brotli);
  } else if (typeof accepts === "string" && /\bgzip\b/.test(accepts)) {
    res.setHeader("Content-Encoding", "gzip");
    res.setHeader("Content-Length", r.gzip.length);
    res.end(r.gzip);
  } else {
    res.setHeader("Content-Length", r.body.length);
    res.end(r.body);
  }
}

/** Whether the client's copy is current (RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since). */
export function notModified(
  req: Pick<IncomingMessage, "headers">,
  r: Pick<Rendered, "etag" | "lastModified">,
): boolean {
  const tags = req.headers["if-none-match"];
  if (typeof tags === "string") {
    return tags.split(",").some((t) => {
      const tag = t.trim();
      // A weak match is enough for a GET; proxies that recompress mark the tag weak.
      return tag === "*" || (tag.startsWith("W/") ? tag.slice(2) : tag) === r.etag;
    });
  }
  const since = req.headers["if-modified-since"];
  if (typeof since !== "string") return false;
  const at = Date.parse(since);
  // HTTP dates have whole seconds: the copy is current when dated in or after the second of the change.
  return Number.isFinite(at) && at >= Math.floor(r.lastModified / 1000) * 1000;
}

/**
 * The Last-Modified to state: the second of the change, once that second is over. Within it (or
 * for a change dated ahead of this clock) the second before: another change may still come in
 * the same second, and a client holding this copy must not get a 304 for it. An early date only
 * costs the client one more 200; never later than the response's Date (RFC 9110 8.8.2.1).
 */
export function statedModified(lastModified: number, now: number): number {
  const second = Math.floor(lastModified / 1000) * 1000;
  const current = Math.floor(now / 1000) * 1000;
  return second < current ? second : current - 1000;
}

/** Parses a positive decimal integer route parameter; null for anything else. */
export function positiveInt(value: unknown): number | null {
  if (typeof value !== "string" || !/^[1-9][0-9]{0,14}$/.test(value)) return null;
  return Number(value);
}

/** A file id (`tim`) naming one file of a post: undefined when not given, "invalid" when malformed. */
export function fileTim(value: unknown): number | undefined {
  if (value === undefined || value === "") return undefined;
  const tim = positiveInt(typeof value === "number" ? String(value) : value);
  if (tim === null) throw new DomainError("invalid", "tim: the id of one of the post's files, a positive integer.");
  return tim;
}
