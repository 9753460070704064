import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { RequestHandler } from "express";
import { DomainError } from "../domain/errors.js";
import { notModified, statedModified } from "./respond.js";

const TYPES: Readonly<Record<string, string>> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
};

/** Below this size compression does not pay for the header it adds. */
const COMPRESS_FROM = 1024;

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  brotli: Buffer | null;
  etag: string;
  contentType: string;
  lastModified: number;
}

/**
 * The stylesheet, scripts and icons, read once when the instance starts and compressed then (gzip
 * and brotli at their best levels: a few files of tens of kilobytes), so no request compresses
 * anything. Pages link them with a version in the query, so browsers keep them for a day.
 */
export function staticAssets(dir: string, maxAgeSeconds = 86_400): RequestHandler {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (!stat.isFile()) continue;
    assets.set(`/${name}`, load(path, stat.mtimeMs));
  }
  const cacheControl = `public, max-age=${maxAgeSeconds}`;
  return (req, res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      res.setHeader("Content-Length", "0");
      res.status(405).end();
      return;
    }
    const asset = assets.get(req.path);
    if (!asset) return next(new DomainError("not_found", "There is no such file."));
    res.setHeader("Content-Type", asset.contentType);
    res.setHeader("Cache-Control", cacheControl);
    res.setHeader("ETag", asset.etag);
    res.setHeader("Last-Modified", new Date(statedModified(asset.lastModified, Date.now())).toUTCString());
    res.setHeader("Vary", "Accept-Encoding");
    if (notModified(req, asset)) {
      res.status(304).end();
      return;
    }
    const accepts = req.headers["accept-encoding"] ?? "";
    const [encoding, body] =
      asset.brotli && /\bbr\b/.test(accepts)
        ? ["br", asset.brotli]
        : asset.gzip && /\bgzip\b/.test(accepts)
          ? ["gzip", asset.gzip]
          : [null, asset.body];
    if (encoding) res.setHeader("Content-Encoding", encoding);
    res.setHeader("Content-Length", body.length);
    res.end(body);
  };
}

function load(path: string, mtimeMs: number): Asset {
  const body = readFileSync(path);
  const type = TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
  // Images other than SVG are compressed already.
  const text = type.startsWith("text/") || type.startsWith("application/json") || type === "image/svg+xml";
  const worth = (packed: Buffer) => (packed.length < body.length ? packed : null);
  const compress = text && body.length >= COMPRESS_FROM;
  return {
    body,
    gzip: compress ? worth(gzipSync(body, { level: 9 })) : null,
    brotli: compress
      ? worth(brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } }))
      : null,
    etag: `"${createHash("sha1").update(body).digest("base64url")}"`,
    contentType: type,
    lastModified: mtimeMs,
  };
}
