import type { RequestHandler } from "express";
import { DomainError } from "../domain/errors.js";
import type { SharedLimits } from "../services/shared-limits.js";
import { clientIp } from "./post-input.js";
import { problemType, sendProblem } from "./problem-document.js";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Cross-site request forgery guard for every unsafe method: a browser's cross-site request is
 * refused by its Fetch Metadata, its Origin or, when it sends no Origin (older browsers on a form
 * POST, some privacy settings), its Referer, so no page elsewhere can post, report or act as one of
 * our users (or from their address). Each header present must name our site (the public URL, or the
 * Host the request came to). Clients that are not browsers send none of them and pass; so does a
 * browser told to send no referrer, which cannot be told apart from them (and the admin forms carry
 * tokens of their own).
 */
export function sameOriginWrites(publicUrl: string): RequestHandler {
  const ours = new URL(publicUrl).origin;
  return (req, res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    const site = req.headers["sec-fetch-site"];
    const host = req.headers.host;
    const sameSite = (origin: string) =>
      origin === ours || (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`));
    const origin = req.headers.origin;
    const referer = req.headers.referer;
    const originOk = origin === undefined ? referer === undefined || sameSite(originOf(referer)) : sameSite(origin);
    if (site === "cross-site" || !originOk) {
      sendProblem(res, {
        type: problemType("forbidden"),
        title: "Forbidden",
        status: 403,
        detail: "Cross-site form submissions are refused.",
      });
      return;
    }
    next();
  };
}

/** The origin a Referer names; an empty string (never ours) when it is not an absolute URL. */
function originOf(referer: string): string {
  try {
    return new URL(referer).origin;
  } catch {
    return "";
  }
}

/**
 * Request limits per client address, shared by every process on the store (SharedLimits): reads are
 * decided at once, writes are counted in the store first, and admin API requests (`/api/v1/admin/…`
 * with an `Authorization` header) have a budget of their own, so neither a blocklist tool pushing
 * rules nor posters exhaust the other's. Posting has its own cooldowns on top; this only stops
 * floods. A refusal is a 429 with Retry-After (a problem document for the API, a page on the web).
 */
export function requestLimiter(limits: SharedLimits): RequestHandler {
  return (req, _res, next) => {
    const ip = clientIp(req);
    const write = UNSAFE.has(req.method);
    const decide = (wait: number) => (wait > 0 ? next(tooMany(wait)) : next());
    if (req.headers.authorization !== undefined && isAdminApi(req.path)) limits.admin(ip, write).then(decide, next);
    else if (write) limits.write(ip).then(decide, next);
    else decide(limits.read(ip));
  };
}

function isAdminApi(path: string): boolean {
  return path === "/api/v1/admin" || path.startsWith("/api/v1/admin/");
}

function tooMany(seconds: number): DomainError {
  return new DomainError("rate_limited", `Too many requests; try again in ${seconds} s.`, { retry_after: seconds });
}
