import { Router } from "express";
import { BANNER_FILE, isBoardUri } from "../domain/board.js";
import type { Services } from "../services/container.js";
import { type ByteSpan, resolveRange } from "./byte-range.js";

const FILE = /^([1-9][0-9]{0,17})(s\.jpg|\.jpg|\.png|\.gif|\.webp|\.webm|\.mp4)$/;
const TYPES: Record<string, string> = {
  ".jpg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".webm": "video/webm",
  ".mp4": "video/mp4",
  "s.jpg": "image/jpeg",
};

/**
 * Serves `/{board}/{tim}{ext}` and `/{board}/{tim}s.jpg` from the content-addressed media store.
 * The name only selects a post's file through the database; no path is ever built from it. Files are
 * immutable, so they are cached for a year, and sandboxed so a file can never act as a page. A single
 * `Range` is answered with 206 (browsers seek in videos with it); one past the end with 416.
 */
export function mediaRouter(s: Pick<Services, "store" | "media">): Router {
  const r = Router();
  // A board's banner, served only while the board names it; its name is its hash.
  r.get("/:board/banner/:file", async (req, res) => {
    const board = String(req.params["board"]);
    const name = String(req.params["file"]);
    const m = BANNER_FILE.exec(name);
    const current = m && isBoardUri(board) ? (await s.store.boards.get(board))?.settings.banner : undefined;
    const blob = m && current === name ? await s.media.open(m[1] as string) : null;
    if (!m || !blob) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    res.setHeader("Content-Type", TYPES[m[2] as string] ?? "application/octet-stream");
    res.setHeader("Content-Length", blob.size);
    res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Content-Security-Policy", "default-src 'none'; sandbox");
    res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
    blob.stream.on("error", () => res.destroy());
    blob.stream.pipe(res);
  });
  r.get("/:board/:file", async (req, res) => {
    const m = FILE.exec(String(req.params["file"]));
    const board = String(req.params["board"]);
    if (!m || !isBoardUri(board)) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    const [, timText, suffix] = m as unknown as [string, string, string];
    const file = await s.store.posts.findFileByTim(board, Number(timText));
    const thumb = suffix === "s.jpg";
    if (!file || (!thumb && file.ext !== suffix)) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    const etag = `"${thumb ? file.thumbSha256 : file.sha256}"`;
    // A Range under an If-Range naming another version is ignored: the whole file is sent.
    const ifRange = req.headers["if-range"];
    const rangeHeader = ifRange === undefined || ifRange === etag ? req.headers.range : undefined;
    let range: ByteSpan | "unsatisfiable" | null = null;
    const blob = await s.media.open(thumb ? file.thumbSha256 : file.sha256, (size) => {
      range = resolveRange(rangeHeader, size);
      return typeof range === "object" ? range : null;
    });
    if (!blob) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    const chosen = range as ByteSpan | "unsatisfiable" | null;
    res.setHeader("Accept-Ranges", "bytes");
    if (chosen === "unsatisfiable") {
      blob.stream.destroy();
      res.setHeader("Content-Range", `bytes */${blob.size}`);
      res.status(416).type("text/plain").send("Range not satisfiable");
      return;
    }
    res.setHeader("Content-Type", TYPES[suffix] ?? "application/octet-stream");
    if (chosen) {
      res.status(206);
      res.setHeader("Content-Range", `bytes ${chosen.start}-${chosen.end}/${blob.size}`);
      res.setHeader("Content-Length", chosen.end - chosen.start + 1);
    } else {
      res.setHeader("Content-Length", blob.size);
    }
    res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Content-Security-Policy", "default-src 'none'; sandbox");
    res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
    res.setHeader("ETag", etag);
    if (!thumb) {
      const ascii = `${file.filename}${file.ext}`.replace(/[^\x20-\x7e]|["\\]/g, "_");
      res.setHeader(
        "Content-Disposition",
        `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename + file.ext)}`,
      );
    }
    blob.stream.on("error", () => res.destroy());
    blob.stream.pipe(res);
  });
  return r;
}
