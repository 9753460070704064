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

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
