import type { ProblemKind } from "../../server/http/problem-document.js";

/**
 * The statuses an inbox answers with besides 202: a 4xx refuses what the peer sent for good; a 503
 * asks it to send the same again later (nothing was kept, and nothing was acknowledged).
 */
export type RefusalStatus = 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429 | 503;

const TITLES: Readonly<Record<RefusalStatus, string>> = {
  400: "Malformed activity",
  401: "Signature refused",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  413: "Too large",
  415: "Unsupported media type",
  429: "Too many requests",
  503: "Try again later",
};

const KINDS: Readonly<Record<RefusalStatus, ProblemKind>> = {
  400: "invalid",
  401: "unauthorized",
  403: "forbidden",
  404: "not-found",
  405: "method-not-allowed",
  413: "too-large",
  415: "unsupported-media",
  429: "rate-limited",
  503: "busy",
};

/** An activity refused at the inbox, with the status and reason the peer is told. */
export class InboxRefusal extends Error {
  override readonly name = "InboxRefusal";
  readonly title: string;
  /** The last segment of the problem type the peer is answered with. */
  readonly kind: ProblemKind;
  constructor(
    readonly status: RefusalStatus,
    message: string,
    /** Seconds the peer should wait before sending again (a 429 or 503). */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.title = TITLES[status];
    this.kind = KINDS[status];
  }
}

export const malformed = (reason: string) => new InboxRefusal(400, reason);
export const unauthorized = (reason: string) => new InboxRefusal(401, reason);
export const forbidden = (reason: string) => new InboxRefusal(403, reason);
export const notFound = (reason: string) => new InboxRefusal(404, reason);
/** The activity could not be taken now and nothing of it was kept: the sender is to send it again. */
export const unavailable = (reason: string, retryAfter: number) => new InboxRefusal(503, reason, retryAfter);

/**
 * What became of an activity the inbox took (answered 202 in every case): acted on, ignored,
 * refused by a board's rules and answered with a Reject, or kept to be acted on later (something
 * it needs is out of reach for now; see TransientFailure).
 */
export interface InboxResult {
  outcome: "accepted" | "ignored" | "rejected" | "deferred";
  /** A short account, for the response and logs. */
  detail: string;
}

export const accepted = (detail: string): InboxResult => ({ outcome: "accepted", detail });
export const ignored = (detail: string): InboxResult => ({ outcome: "ignored", detail });
export const deferred = (detail: string): InboxResult => ({ outcome: "deferred", detail });
export const rejected = (detail: string): InboxResult => ({ outcome: "rejected", detail });

/** Thrown deep in a handler to stop and answer 202 "ignored" with its reason. */
export class IgnoredActivity extends Error {
  override readonly name = "IgnoredActivity";
}

/**
 * Thrown where a board's posting rules refuse a federated post (a thread without a required image,
 * a reply to a locked or archived thread): the Create handler answers the sender with a Reject.
 */
export class PostRefused extends IgnoredActivity {
  constructor(readonly reason: string) {
    super(`Not posted: ${reason}`);
  }
}

/**
 * Thrown deep in a handler when something it needs is out of reach for now (a peer unreachable or
 * answering 5xx, a full image queue): the activity is not done, and is tried again later rather
 * than answered as taken.
 */
export class TransientFailure extends Error {
  override readonly name = "TransientFailure";
}
