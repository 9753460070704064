import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import type { Request, RequestHandler, Response } from "express";
import helmet from "helmet";
import type { Config } from "../config.js";

/** The security headers every page and API answer carries (Content-Security-Policy and the rest). */
export function securityHeaders(config: Pick<Config, "mediaUrl" | "publicUrl">): RequestHandler {
  const media = new URL(config.mediaUrl).origin;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", media],
        "media-src": ["'self'", media],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: "same-site" },
    // Thumbnails are linked from other sites and from fediverse clients.
    referrerPolicy: { policy: "same-origin" },
    strictTransportSecurity: config.publicUrl.startsWith("https://"),
  });
}

/** One header as set on a response: its name as written, and its value. */
export type HeaderLine = readonly [name: string, value: string | number | readonly string[]];

/**
 * The headers `middleware` sets on a response, recorded once by running it on a response that is
 * never sent: the path ahead of Express then sets exactly what the Express path sets, without
 * running the middleware per request. The middleware must set the same headers for every request
 * (helmet's static policy does).
 */
export function recordHeaders(middleware: RequestHandler): HeaderLine[] {
  const req = new IncomingMessage(new Socket());
  req.method = "GET";
  req.url = "/";
  const res = new ServerResponse(req);
  let passed = false;
  middleware(req as Request, res as unknown as Response, () => {
    passed = true;
  });
  if (!passed) throw new Error("the header middleware did not pass a request on synchronously");
  const lines: HeaderLine[] = [];
  // Names as the middleware wrote them (the installed type definitions predate the method).
  const raw = res as ServerResponse & { getRawHeaderNames?: () => string[] };
  for (const name of raw.getRawHeaderNames?.() ?? res.getHeaderNames()) {
    const value = res.getHeader(name);
    if (value !== undefined) lines.push([name, value]);
  }
  return lines;
}

/**
 * A middleware setting recorded header lines on every response: the same headers `recordHeaders`
 * saw, in the same order, for the cost of the calls that set them (helmet passes each request
 * through a dozen middlewares to set the same static set).
 */
export function setHeaderLines(lines: readonly HeaderLine[]): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of lines) res.setHeader(name, value);
    next();
  };
}
