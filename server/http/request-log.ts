import { createHmac } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Request, RequestHandler } from "express";
import type { Logger } from "../services/logger.js";
import type { InstanceMetrics } from "../services/metrics.js";
import type { ObservedRequest, RequestObserver } from "./request-observer.js";

/** Characters of the user agent kept in the access log. */
const USER_AGENT_CHARS = 200;
/** Hex characters of the client's keyed hash: enough to follow one client through a log, no more. */
const CLIENT_HASH_CHARS = 16;
/** Client hashes kept: a busy log sees the same few addresses again and again, and an HMAC costs. */
const CLIENT_HASHES_KEPT = 4096;

/**
 * The instance's RequestObserver: every answered request moves the HTTP metrics and, with
 * ACCESS_LOG=on, writes one JSON line on the instance's log (at info level, message "request"):
 * time, method, route pattern, path without its query, status, duration in ms, bytes, the user agent
 * cut to 200 characters, and instead of the client's address a keyed hash of it (HMAC with a key
 * derived from the instance secret), so a log that leaks names no one.
 */
export class RequestLog implements RequestObserver {
  readonly #metrics: InstanceMetrics | undefined;
  readonly #logger: Logger | null;
  readonly #key: string;
  readonly #hashes = new Map<string, string>();

  constructor(deps: { metrics?: InstanceMetrics | undefined; logger: Logger | null; key: string }) {
    this.#metrics = deps.metrics;
    // A logger filtering out info lines writes none of these: none is built (nor its client hash).
    this.#logger = deps.logger?.enabled?.("info") === false ? null : deps.logger;
    this.#key = deps.key;
  }

  observe(request: ObservedRequest): void {
    this.#metrics?.request(request);
    if (!this.#logger) return;
    this.#logger.info("request", {
      method: request.method,
      route: request.route,
      path: request.path,
      status: request.status,
      ms: Math.round(request.seconds * 1e6) / 1000,
      ...(request.bytes === undefined ? {} : { bytes: request.bytes }),
      ...(request.userAgent ? { ua: request.userAgent.slice(0, USER_AGENT_CHARS) } : {}),
      ...(request.address ? { client: this.clientHash(request.address) } : {}),
    });
  }

  /** The keyed hash written for a client address. */
  clientHash(address: string): string {
    let hash = this.#hashes.get(address);
    if (hash === undefined) {
      hash = createHmac("sha256", this.#key).update(address).digest("hex").slice(0, CLIENT_HASH_CHARS);
      if (this.#hashes.size >= CLIENT_HASHES_KEPT) this.#hashes.clear();
      this.#hashes.set(address, hash);
    }
    return hash;
  }
}

/** The route pattern a request matched, for a bounded label: never its path with ids in it. */
function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  if (typeof path === "string") return `${req.baseUrl}${path}` || "/";
  // A route on several paths (the inboxes): which one matched is not kept, so all are named.
  if (Array.isArray(path)) return path.map((p) => `${req.baseUrl}${String(p)}`).join("|");
  // Routers mounted on a path answer these whatever lies below them.
  const url = req.originalUrl;
  if (url.startsWith("/static/") || url === "/static") return "/static";
  if (url.startsWith("/media/") || url === "/media") return "/media";
  return "unmatched";
}

/**
 * Measures a request from now to the end of its response, and tells `observer` once the response
 * is finished (or the connection closed before it was); `route` is asked then, once routing is done.
 */
export function watchRequest(
  observer: RequestObserver,
  req: IncomingMessage,
  res: ServerResponse,
  route: () => string,
  address: string | undefined,
): void {
  const start = process.hrtime.bigint();
  // Read now: routers mounted on a path rewrite it while they run.
  const url = req.url ?? "/";
  let told = false;
  const tell = () => {
    if (told) return;
    told = true;
    const q = url.indexOf("?");
    const bytes = Number(res.getHeader("content-length"));
    const observed: ObservedRequest = {
      method: req.method ?? "GET",
      route: route(),
      path: q < 0 ? url : url.slice(0, q),
      status: res.statusCode,
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
      ...(Number.isFinite(bytes) ? { bytes } : {}),
      userAgent: req.headers["user-agent"],
      address,
    };
    observer.observe(observed);
  };
  res.once("finish", tell);
  res.once("close", tell);
}

/** The Express side: every request reaching the app after the probes, labelled by the route it matched. */
export function observeRequests(observer: RequestObserver): RequestHandler {
  return (req, res, next) => {
    watchRequest(observer, req, res, () => routeOf(req), req.ip);
    next();
  };
}

const BOARD_INBOX = /^\/ap\/boards\/[^/]+\/inbox$/;

/** The inbox POSTs answered ahead of the app (federation's `serveEarly`), labelled by their inbox's pattern. */
export function inboxRoute(req: IncomingMessage): string {
  const url = req.url ?? "";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  if (path === "/ap/inbox" || path === "/ap/actor/inbox") return path;
  return BOARD_INBOX.test(path) ? "/ap/boards/:board/inbox" : "unmatched";
}
