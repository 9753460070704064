export type SignatureErrorReason =
  | "missing" // no Signature header (nor Authorization: Signature)
  | "malformed" // the header does not parse: quoting, duplicates, missing keyId, bad base64…
  | "algorithm" // an algorithm other than rsa-sha256 / hs2019
  | "headers" // the signed list lacks a required header, or a signed header is absent from the request
  | "digest" // no Digest where a body needs one, or a Digest that does not match the body
  | "date" // Date or (created) outside the accepted window, or unreadable
  | "expired" // (expires) is in the past
  | "key" // the key is unusable (not RSA, unreadable, absurd size)
  | "signature"; // the signature does not verify

/** A request signature that is absent, malformed or wrong. At the edge this is a 401. */
export class SignatureError extends Error {
  override readonly name = "SignatureError";
  constructor(
    readonly reason: SignatureErrorReason,
    message: string,
  ) {
    super(message);
  }
}
