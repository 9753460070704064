import type { IncomingHttpHeaders } from "node:http";

/** Longest header looked at; longer ones are left to the full parser, which refuses them. */
const MAX_HEADER = 8192;
const KEY_ID = /(?:^|[\s,])keyId[ \t]*=[ \t]*"([^"\\]{1,2048})"/i;

/**
 * The `keyId` of a request's HTTP signature (`Signature`, or `Authorization: Signature …`), read
 * with one regular expression and nothing else, for refusing a suspended signer before the body is
 * read. Null when the request carries no signature or no readable keyId; the full parser
 * (signature-header.ts) decides what the signature is worth later.
 */
export function keyIdOfHeaders(headers: IncomingHttpHeaders): string | null {
  let value = headers["signature"];
  if (value === undefined) {
    const auth = headers["authorization"];
    if (auth === undefined || !/^signature[ \t]/i.test(auth)) return null;
    value = auth;
  }
  const header = Array.isArray(value) ? value[0] : value;
  if (header === undefined || header.length > MAX_HEADER) return null;
  return KEY_ID.exec(header)?.[1] ?? null;
}
