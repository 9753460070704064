import type { Request, RequestHandler } from "express";

/**
 * Express's router leaves a router that matched nothing through `setImmediate`: every router a
 * request passes on its way costs it a turn of the event loop and a scan of that router's layers. A
 * gate enters a router only for the requests it could answer and passes the rest on at once. Each
 * test below is as wide as the routes it stands for (Express matches paths regardless of case and
 * with or without a trailing slash), so what answers a request never changes.
 */
export function gated(admits: (req: Request) => boolean, handler: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (admits(req)) return handler(req, res, next);
    next();
  };
}

/** Requests for one of `paths` (each written as it is routed, without parameters). */
export function forPaths(...paths: string[]): (req: Request) => boolean {
  const wanted = new Set(paths.map((p) => p.toLowerCase()));
  return (req) => {
    const path = req.path.toLowerCase();
    return wanted.has(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);
  };
}

/** Requests whose path starts with `prefix` (a whole segment, e.g. `/api/`). */
export function underPrefix(prefix: string): (req: Request) => boolean {
  const lower = prefix.toLowerCase();
  return (req) => req.path.slice(0, lower.length).toLowerCase() === lower;
}

/** Reads: the methods a router of GET routes answers (HEAD by its GET routes, OPTIONS by Express). */
export function reads(req: Request): boolean {
  return req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS";
}
