import { createHash, timingSafeEqual } from "node:crypto";
import { SignatureError } from "./signature-error.js";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Whether a string is padded standard base64: the alphabet, at most two `=` at the end, whole quads. */
export function isBase64(value: string): boolean {
  return value.length % 4 === 0 && BASE64.test(value);
}

function sha256(body: Buffer | string): Buffer {
  return createHash("sha256").update(body).digest();
}

/** The RFC 3230 Digest header value for a body: `SHA-256=<base64>`. */
export function digestHeader(body: Buffer | string): string {
  return `SHA-256=${sha256(body).toString("base64")}`;
}

/**
 * Checks a Digest header against the raw body. Every SHA-256 entry (`SHA-256=` or `sha-256=`) must
 * match; entries in other algorithms are ignored, but at least one SHA-256 entry must be there.
 */
export function checkDigest(header: string, body: Buffer): void {
  if (header.length > 2048) throw new SignatureError("digest", "The Digest header is too long.");
  const expected = sha256(body);
  let seen = 0;
  for (const entry of header.split(",").slice(0, 16)) {
    const eq = entry.indexOf("=");
    if (eq < 0) continue;
    if (entry.slice(0, eq).trim().toLowerCase() !== "sha-256") continue;
    seen++;
    const value = entry.slice(eq + 1).trim();
    const given = isBase64(value) ? Buffer.from(value, "base64") : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new SignatureError("digest", "The Digest does not match the body.");
    }
  }
  if (seen === 0) throw new SignatureError("digest", "The Digest header has no SHA-256 value.");
}
