/**
 * Expected failures of the domain. Each kind maps to one HTTP status at the edge;
 * anything that is not a DomainError is a bug and is logged as such.
 */
export type DomainErrorKind =
  | "invalid" // 400: a field is missing or malformed
  | "unauthorized" // 401: no or bad credentials
  | "forbidden" // 403: banned, wrong password, not allowed
  | "not_found" // 404
  | "conflict" // 409: already exists
  | "gone" // 410: deleted
  | "locked" // 423: thread locked or archived
  | "too_large" // 413: file or body over the limit
  | "unsupported_media" // 415: not an accepted image
  | "unprocessable" // 422: a broken image, a pixel bomb
  | "rate_limited" // 429: cooldown or request limit
  | "captcha" // 400 with its own problem type: captcha missing, wrong or expired
  | "busy"; // 503: a bounded queue is full; try again shortly

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** Extra members for the problem document (for example a ban's reason and expiry). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A post's file id was asked for exactly (`exactTim`) and a stored post holds it: nothing was stored. */
export class TimTaken extends DomainError {
  constructor(readonly tim: number) {
    super("conflict", `File id ${tim} is already taken on this board.`);
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/**
 * Our own storage failed, not the request: the disk holding the media or the database is full.
 * Transient: the same request may succeed once space is freed. Deliberately not a DomainError, so
 * nothing that treats refusals as final (an inbox ignoring an activity, an image left out of a
 * remote post) swallows it: the HTTP edge answers 507, and a delivery from a peer should be answered
 * as a temporary failure so the peer retries it.
 */
export class StorageError extends Error {
  override readonly name = "StorageError";
  /**
   * `full`: out of space (507). `unavailable`: the store did not answer or failed on its side (an
   * object storage service unreachable, throttling, a 5xx), so nothing was saved (503).
   */
  readonly reason: "full" | "unavailable";
  constructor(
    /** What is full or unavailable: the media files or the database. */
    readonly store: "media" | "database",
    /** For the log: what failed, with the underlying code. */
    message: string,
    /** For the client: what happened to what they sent. */
    readonly detail = "The server's storage is full, so nothing was saved. Please try again later.",
    options?: ErrorOptions & { reason?: "full" | "unavailable" },
  ) {
    super(message, options);
    this.reason = options?.reason ?? "full";
  }

  /** The same failure, telling the client `detail`. */
  withDetail(detail: string): StorageError {
    return new StorageError(this.store, this.message, detail, { cause: this.cause, reason: this.reason });
  }
}

/** The client's account of a store that did not answer: nothing was saved, and a retry may work. */
export const STORE_UNAVAILABLE =
  "The server's storage is not answering right now, so nothing was saved. Please try again shortly.";

/** Error codes of a full disk or quota from the file system. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}
