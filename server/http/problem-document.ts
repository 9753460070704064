import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
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
export type ProblemKind = Hyphenated<DomainErrorKind> | "method-not-allowed" | "insufficient-storage" | "internal";

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

/**
 * Answers with a problem document, on any node:http response (an Express one, or one answered
 * before the app is reached, as the inbox fast path does). Written whole in one go: nothing an
 * Express `send` adds (ETags, freshness, type lookup) applies to an error. `headers` are added to
 * those the response already has (WWW-Authenticate, Vary, Allow…). The body is the problem as
 * given, so an outcome document shaped as a problem (an inbox's 202) is written the same way.
 */
export function sendProblem(res: ServerResponse, problem: Problem, headers: OutgoingHttpHeaders = {}): void {
  const body = JSON.stringify(problem);
  const retryAfter = retryAfterOf(problem);
  res.writeHead(problem.status, {
    ...headers,
    "Content-Type": "application/problem+json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    // Also sent when answered ahead of the app and its security headers.
    "X-Content-Type-Options": "nosniff",
    ...(retryAfter === null ? {} : { "Retry-After": retryAfter }),
  });
  res.end(body);
}
