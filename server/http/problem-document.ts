import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { DomainErrorKind } from "../domain/errors.js";

/** A problem document (RFC 9457): what every error answer of Atoll's API and ActivityPub routes is. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extra: string]: unknown;
}

type Hyphenated<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}-${Hyphenated<Tail>}` : S;

/**
 * What went wrong, as the last segment of a problem's `type`: a domain error's kind (hyphenated), or
 * one of the few an edge answers without a domain error behind it.
 */
export type ProblemKind =
  | Hyphenated<DomainErrorKind>
  | "method-not-allowed"
  | "insufficient-storage"
  | "storage-unavailable"
  | "internal";

/** The one namespace of problem types: `urn:atoll:problem:<kind>`. */
export function problemType(kind: ProblemKind): string {
  return `urn:atoll:problem:${kind}`;
}

/** The problem kind of a domain error's kind. */
export function problemKindOf(kind: DomainErrorKind): ProblemKind {
  return kind.replace(/_/g, "-") as Hyphenated<DomainErrorKind>;
}

/**
 * The Retry-After a problem's answer carries: its `retry_after` (seconds) when it names one, five
 * seconds for any other 503, else none.
 */
function retryAfterOf(problem: Problem): string | null {
  const seconds = problem["retry_after"];
  if (typeof seconds === "number") return String(seconds);
  return problem.status === 503 ? "5" : null;
}

/** Where Mastodon's clients read errors: its REST API's paths. */
const MASTODON_PATHS = /^\/api\/v[12](?:[/?#]|$)/;

/**
 * How an error is written for the request a response answers. Under `/api/v1/` and `/api/v2/`,
 * Mastodon's clients decode only `application/json` and show its `error` member, so the problem
 * goes as JSON with `error` (the detail) beside its own members, unless the client's Accept names
 * `application/problem+json`. Everywhere else (ActivityPub routes, inboxes, the `.json` read API)
 * it is a problem document. A response without its request (none here) gets a problem document.
 */
export function errorFormat(res: ServerResponse): "mastodon" | "problem" {
  if (!negotiatesErrors(res)) return "problem";
  return /application\/problem\+json/i.test(res.req.headers.accept ?? "") ? "problem" : "mastodon";
}

/** Whether the error's type depends on the request's Accept (Mastodon's API paths). */
function negotiatesErrors(res: ServerResponse): boolean {
  const req = res.req as (IncomingMessage & { originalUrl?: string }) | undefined;
  if (!req) return false;
  return MASTODON_PATHS.test(req.originalUrl ?? req.url ?? "");
}

/** The Vary an error answer carries: the response's own, with Accept where the type is negotiated. */
function varyOf(res: ServerResponse): string | null {
  const own = res.getHeader("Vary");
  const current = own === undefined ? "" : Array.isArray(own) ? own.join(", ") : String(own);
  if (!negotiatesErrors(res) || /(^|,)\s*(accept|\*)\s*(,|$)/i.test(current)) return current || null;
  return current ? `${current}, Accept` : "Accept";
}

/**
 * Answers with a problem, on any node:http response (an Express one, or one answered before the
 * app is reached, as the inbox fast path does): a problem document, or under Mastodon's API paths
 * the same members plus `error` as `application/json` (see errorFormat). Written whole in one go:
 * nothing an Express `send` adds (ETags, freshness, type lookup) applies to an error. `headers` are
 * added to those the response already has (WWW-Authenticate, Vary, Allow…). The body is the problem
 * as given, so an outcome document shaped as a problem (an inbox's 202) is written the same way.
 */
export function sendProblem(res: ServerResponse, problem: Problem, headers: OutgoingHttpHeaders = {}): void {
  const mastodon = errorFormat(res) === "mastodon";
  const body = JSON.stringify(mastodon ? { error: problem.detail, ...problem } : problem);
  const retryAfter = retryAfterOf(problem);
  const vary = varyOf(res);
  res.writeHead(problem.status, {
    ...(vary === null ? {} : { Vary: vary }),
    ...headers,
    "Content-Type": mastodon ? "application/json; charset=utf-8" : "application/problem+json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    // Also sent when answered ahead of the app and its security headers.
    "X-Content-Type-Options": "nosniff",
    ...(retryAfter === null ? {} : { "Retry-After": retryAfter }),
  });
  res.end(body);
}
