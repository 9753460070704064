import { isTransientFetchError } from "../http/fetch-errors.js";

/**
 * Why a remote document could not be used. `mismatch` means the peer answered with a document that
 * is not the one asked for (another id, a key of another actor): a sign of forgery, never retried.
 */
export type RemoteErrorKind =
  | "unreachable" // DNS, connection, timeout, a refused address or scheme, a body over the cap
  | "status" // an HTTP status other than 2xx
  | "gone" // 404 or 410: the document was deleted
  | "invalid" // not JSON, not the expected kind of document, over the shape limits
  | "mismatch"; // the document's id is not the URL it came from, or the key is not the actor's

export class RemoteError extends Error {
  override readonly name = "RemoteError";
  constructor(
    readonly kind: RemoteErrorKind,
    message: string,
    opts: { status?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status ?? null;
    this.#refusedLocally = opts.cause !== undefined && !isTransientFetchError(opts.cause);
  }

  /** The HTTP status, for `status`. */
  readonly status: number | null;
  /** The request never reached the peer for a reason of ours (an address, a scheme, a size cap). */
  readonly #refusedLocally: boolean;

  /**
   * Whether asking again later may succeed: the peer was out of reach, or answered with a status
   * that says "not now" (408, 425, 429, 5xx). A deletion, a forgery, a document we cannot read or a
   * refusal of access is final.
   */
  get transient(): boolean {
    if (this.kind === "unreachable") return !this.#refusedLocally;
    if (this.kind !== "status" || this.status === null) return false;
    return this.status === 408 || this.status === 425 || this.status === 429 || this.status >= 500;
  }
}
