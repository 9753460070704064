/**
 * Why a federation request was refused before or while talking to the peer. A refusal is a decision
 * about the request or the response, not a network accident, so retrying it unchanged is pointless.
 */
export type FetchRefusedReason =
  | "bad_url" // unparseable, too long, carries credentials, or a redirect to one
  | "scheme" // not https (or not http/https when private addresses are allowed)
  | "private_address" // the host resolves to an address that is not public unicast
  | "too_many_redirects"
  | "too_large" // the body (announced, received or decompressed) is over the cap
  | "timeout" // the whole exchange, redirects included, took longer than allowed
  | "status" // a redirect status without a usable Location
  | "encoding" // a Content-Encoding other than gzip or identity
  | "json" // json() on a body that is not JSON
  | "blocked"; // the host is suspended by the domain rules (or media is rejected from it)

export class FetchRefused extends Error {
  override readonly name = "FetchRefused";
  constructor(
    readonly reason: FetchRefusedReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The peer could not be reached or broke the exchange off (DNS failure, connection refused or reset,
 * TLS failure, a malformed or truncated response). Usually worth retrying later.
 */
export class FetchFailed extends Error {
  override readonly name = "FetchFailed";
  /** The system error code when there is one (`ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`…). */
  readonly code: string | undefined;
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    const code = (cause as { code?: unknown } | undefined)?.code;
    this.code = typeof code === "string" ? code : undefined;
  }
}

/** Passes our own errors through and wraps anything else as a FetchFailed naming the target. */
export function asFetchError(err: unknown, target: string): FetchRefused | FetchFailed {
  if (err instanceof FetchRefused || err instanceof FetchFailed) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
  return new FetchFailed(`Request to ${target} failed: ${detail}`, err);
}

/** Whether a failed request may succeed if made again later: a network accident or a timeout. */
export function isTransientFetchError(err: unknown): boolean {
  return err instanceof FetchFailed || (err instanceof FetchRefused && err.reason === "timeout");
}
