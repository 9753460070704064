/** The statuses an inbox refuses with; anything a peer sends is answered with one of them or 202. */
export type RefusalStatus = 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429;

const TITLES: Readonly<Record<RefusalStatus, string>> = {
  400: "Malformed activity",
  401: "Signature refused",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  413: "Too large",
  415: "Unsupported media type",
  429: "Too many requests",
};

/** An activity refused at the inbox, with the status and reason the peer is told. */
export class InboxRefusal extends Error {
  override readonly name = "InboxRefusal";
  readonly title: string;
  constructor(
    readonly status: RefusalStatus,
    message: string,
    /** With 429: the seconds the peer should wait (sent as Retry-After). */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.title = TITLES[status];
  }
}

export const malformed = (reason: string) => new InboxRefusal(400, reason);
export const unauthorized = (reason: string) => new InboxRefusal(401, reason);
export const forbidden = (reason: string) => new InboxRefusal(403, reason);
export const notFound = (reason: string) => new InboxRefusal(404, reason);

/** What became of an activity the inbox took (answered 202 either way). */
export interface InboxResult {
  outcome: "accepted" | "ignored";
  /** A short account, for the response and logs. */
  detail: string;
}

export const accepted = (detail: string): InboxResult => ({ outcome: "accepted", detail });
export const ignored = (detail: string): InboxResult => ({ outcome: "ignored", detail });

/** Thrown deep in a handler to stop and answer 202 "ignored" with its reason. */
export class IgnoredActivity extends Error {
  override readonly name = "IgnoredActivity";
}
