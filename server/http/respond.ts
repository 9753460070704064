import type { Request, Response } from "express";
import type { Rendered } from "../services/render-cache.js";

/** Sends a cached rendering, gzipped when the client accepts it, with its ETag and 304 support. */
export function sendRendered(req: Request, res: Response, r: Rendered, cacheControl = "no-cache"): void {
  res.setHeader("Content-Type", r.contentType);
  res.setHeader("ETag", r.etag);
  res.setHeader("Cache-Control", cacheControl);
  res.setHeader("Vary", "Accept, Accept-Encoding");
  if (req.headers["if-none-match"] === r.etag) {
    res.status(304).end();
    return;
  }
  const accepts = req.headers["accept-encoding"];
  if (typeof accepts === "string" && /\bgzip\b/.test(accepts)) {
    res.setHeader("Content-Encoding", "gzip");
    res.setHeader("Content-Length", r.gzip.length);
    res.end(r.gzip);
  } else {
    res.setHeader("Content-Length", r.body.length);
    res.end(r.body);
  }
}

/** Parses a positive decimal integer route parameter; null for anything else. */
export function positiveInt(value: unknown): number | null {
  if (typeof value !== "string" || !/^[1-9][0-9]{0,14}$/.test(value)) return null;
  return Number(value);
}
