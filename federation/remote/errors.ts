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
  ) {
    super(message);
  }
}
