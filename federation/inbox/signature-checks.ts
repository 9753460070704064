import type { IncomingHttpHeaders } from "node:http";
import { checkDigest } from "../http/digest.js";
import { type ParsedSignatureWithRaw, parseSignatureHeaderWithRaw, SignatureError } from "../http/signatures.js";
import { RemoteError } from "../remote/errors.js";
import { InboxRefusal, unauthorized } from "./errors.js";

/*
 * The checks of an inbox request that come before its signer's key is looked up: cheap refusals,
 * each a 401, of requests that are unsigned, broken or stale.
 */

/** How old a signed Date may be, and how far ahead of our clock. */
export const MAX_SKEW_MS = 60 * 60 * 1000;
export const MAX_FUTURE_MS = 5 * 60 * 1000;

/** What precheck reads of a request. */
export interface SignedRequest {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw asUnauthorized(err);
  }
}

/** Any failure to establish who signed: always a 401, with the reason when it is ours to tell. */
export function asUnauthorized(err: unknown): InboxRefusal {
  if (err instanceof InboxRefusal) return err;
  if (err instanceof SignatureError || err instanceof RemoteError) return unauthorized(err.message);
  return unauthorized("The signature could not be verified.");
}

/**
 * What can be checked before the key is known: the signature header parses and covers what it
 * must, the Digest matches the body, and the signed time is within the window. Cheap refusals of
 * broken or stale requests, so they cost no key fetch.
 */
export function precheck(req: SignedRequest, now: number): ParsedSignatureWithRaw {
  const header = first(req.headers["signature"]) ?? signatureAuthorization(first(req.headers["authorization"]));
  if (header === undefined) throw new SignatureError("missing", "The request is not signed.");
  const sig = parseSignatureHeaderWithRaw(header);
  const signed = new Set(sig.headers);
  for (const name of ["(request-target)", "host", "digest"]) {
    if (!signed.has(name)) throw new SignatureError("headers", `The signature does not cover ${name}.`);
  }
  const digest = first(req.headers["digest"]);
  if (digest === undefined) throw new SignatureError("digest", "The Digest header is missing.");
  checkDigest(digest, req.body);
  let at: number;
  if (signed.has("(created)") && sig.created !== undefined) at = sig.created * 1000;
  else if (signed.has("date")) {
    const date = first(req.headers["date"]);
    at = date !== undefined && date.length <= 64 ? Date.parse(date) : Number.NaN;
  } else throw new SignatureError("headers", "The signature covers neither date nor (created).");
  if (Number.isNaN(at)) throw new SignatureError("date", "The Date header is not a date.");
  if (at < now - MAX_SKEW_MS || at > now + MAX_FUTURE_MS) {
    throw new SignatureError("date", "The signed time is outside the accepted window.");
  }
  return sig;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function signatureAuthorization(v: string | undefined): string | undefined {
  return v !== undefined && /^signature[ \t]/i.test(v) ? v : undefined;
}
