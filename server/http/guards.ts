import type { RequestHandler } from "express";
import type { Clock } from "../services/clock.js";
import { sendProblem } from "./problem.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Cross-site request forgery guard for every unsafe method: a browser's cross-site request is
 * refused by its Fetch Metadata or Origin, so no page elsewhere can post, report or act as one of our
 * users (or from their address). Clients that are not browsers send neither header and pass.
 */
export function sameOriginWrites(publicUrl: string): RequestHandler {
  const ours = new URL(publicUrl).origin;
  return (req, res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    const host = req.headers.host;
    const originOk =
      origin === undefined ||
      origin === ours ||
      (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`));
    if (site === "cross-site" || !originOk) {
      sendProblem(res, {
        type: "urn:atoll:problem:forbidden",
        title: "Forbidden",
        status: 403,
        detail: "Cross-site form submissions are refused.",
      });
      return;
    }
    next();
  };
}

/**
 * Fixed-window request limits per client address: generous for reads, tighter for writes. Posting
 * has its own cooldowns on top; this only stops floods.
 */
export function requestLimiter(clock: Clock, limits = { read: 1200, write: 60 }, windowMs = 60_000): RequestHandler {
  const counts = new Map<string, { start: number; n: number }>();
  return (req, res, next) => {
    const write = UNSAFE.has(req.method);
    const key = `${write ? "w" : "r"}:${req.ip ?? ""}`;
    const now = clock();
    let c = counts.get(key);
    if (!c || now - c.start >= windowMs) {
      if (counts.size > 100_000) counts.clear();
      c = { start: now, n: 0 };
      counts.set(key, c);
    }
    c.n++;
    if (c.n > (write ? limits.write : limits.read)) {
      const retry = Math.ceil((c.start + windowMs - now) / 1000);
      sendProblem(res, {
        type: "urn:atoll:problem:rate-limited",
        title: "Too many requests",
        status: 429,
        detail: `Too many requests; try again in ${retry} s.`,
        retry_after: retry,
      });
      return;
    }
    next();
  };
}
