import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { checkDigest, digestHeader } from "./digest.js";
import { SignatureError } from "./signature-error.js";
import { type ParsedSignatureWithRaw, parseSignatureHeaderWithRaw } from "./signature-header.js";

export { digestHeader } from "./digest.js";
export { SignatureError, type SignatureErrorReason } from "./signature-error.js";
export {
  type ParsedSignature,
  type ParsedSignatureWithRaw,
  parseSignatureHeader,
  parseSignatureHeaderWithRaw,
} from "./signature-header.js";

/*
 * draft-cavage HTTP Signatures, as Mastodon, GoToSocial, Misskey, Pleroma and Lemmy exchange them:
 * RSA-SHA256 (PKCS#1 v1.5) over `(request-target) host date [digest]`.
 */

export interface SignRequestOptions {
  method: string;
  url: URL;
  /** The headers the request already carries; the signature covers only the ones it adds. */
  headers: Record<string, string>;
  body?: Buffer | string;
  keyId: string;
  privateKeyPem: string;
  /** The same key already parsed, used instead of the PEM: parsing costs about as much as signing. */
  privateKey?: KeyObject;
  now?: Date;
}

/** The headers to add to a request: `Date`, `Host`, `Digest` (with a body) and `Signature`. */
export function signRequest(opts: SignRequestOptions): Record<string, string> {
  if (/["\\\p{Cc}]/u.test(opts.keyId)) throw new SignatureError("key", "The keyId cannot be quoted in a header.");
  const key = readKey(() => opts.privateKey ?? createPrivateKey(opts.privateKeyPem));
  const out: Record<string, string> = {
    Date: (opts.now ?? new Date()).toUTCString(),
    Host: opts.url.host,
  };
  const lines = [
    `(request-target): ${opts.method.toLowerCase()} ${opts.url.pathname}${opts.url.search}`,
    `host: ${out.Host}`,
    `date: ${out.Date}`,
  ];
  const names = ["(request-target)", "host", "date"];
  if (opts.body !== undefined) {
    out.Digest = digestHeader(opts.body);
    lines.push(`digest: ${out.Digest}`);
    names.push("digest");
  }
  const signature = sign("sha256", Buffer.from(lines.join("\n")), key).toString("base64");
  out.Signature = `keyId="${opts.keyId}",algorithm="rsa-sha256",headers="${names.join(" ")}",signature="${signature}"`;
  return out;
}

export interface VerifiableRequest {
  method: string;
  /** The request path with its query string, as received. */
  path: string;
  /** Header names lowercase, as node gives them. */
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
}

export interface VerifyOptions {
  publicKeyPem: string;
  /** Where parsed keys are kept between requests; without it the PEM is parsed every time. */
  keyCache?: PublicKeyCache;
  now?: Date;
  /** How old Date or (created) may be. Default 1 h. */
  maxSkewMs?: number;
  /** How far ahead of our clock Date or (created) may be. Default 5 min. */
  maxFutureMs?: number;
  /** Headers that must be signed on top of (request-target), host, date and (with a body) digest. */
  requiredHeaders?: string[];
  /**
   * The caller has already checked the Digest header against this very body (the inbox does so
   * before anything else): the digest must still be signed, but is not hashed a second time.
   */
  digestChecked?: boolean;
  /**
   * The request's signature header as the caller has already parsed it (with
   * `parseSignatureHeaderWithRaw`, from these very headers), so it is not parsed a second time.
   */
  parsed?: ParsedSignatureWithRaw;
}

/** Throws SignatureError unless the request carries a valid signature by the given key. */
export function verifyRequest(req: VerifiableRequest, opts: VerifyOptions): void {
  const { key, data, signature } = prepareVerification(req, opts);
  let ok = false;
  try {
    ok = verify("sha256", data, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new SignatureError("signature", "The signature does not verify.");
}

/**
 * `verifyRequest`, with the RSA verification itself run on libuv's thread pool, so the event loop
 * goes on serving other requests meanwhile and a second core is used under load. Everything cheap
 * (header, digest and time checks) still happens first, synchronously.
 */
export async function verifyRequestAsync(req: VerifiableRequest, opts: VerifyOptions): Promise<void> {
  const { key, data, signature } = prepareVerification(req, opts);
  const ok = await new Promise<boolean>((resolve) => {
    try {
      verify("sha256", data, key, signature, (err, valid) => resolve(err === null && valid));
    } catch {
      resolve(false);
    }
  });
  if (!ok) throw new SignatureError("signature", "The signature does not verify.");
}

/** Every check but the signature itself; returns what the signature must be verified over. */
function prepareVerification(
  req: VerifiableRequest,
  opts: VerifyOptions,
): { key: KeyObject; data: Buffer; signature: Buffer } {
  const headers = lowercaseHeaders(req.headers);
  const sig = opts.parsed ?? parseSignatureHeaderWithRaw(signatureValue(headers));
  const algorithm = sig.algorithm;
  if (algorithm !== null && algorithm !== "rsa-sha256" && algorithm !== "hs2019") {
    throw new SignatureError("algorithm", `Unsupported signature algorithm "${algorithm.slice(0, 40)}".`);
  }
  const signed = new Set(sig.headers);
  if (signed.has("(created)") && algorithm === "rsa-sha256") {
    throw new SignatureError("headers", "(created) cannot be signed with rsa-sha256.");
  }
  const required = ["(request-target)", "host", ...(opts.requiredHeaders ?? []).map((h) => h.toLowerCase())];
  if (!signed.has("(created)")) required.push("date");
  for (const name of required) {
    if (!signed.has(name)) throw new SignatureError("headers", `The signature does not cover ${name}.`);
  }

  const method = req.method.toUpperCase();
  const hasBody = (req.rawBody !== undefined && req.rawBody.length > 0) || ["POST", "PUT", "PATCH"].includes(method);
  if (hasBody && !signed.has("digest")) throw new SignatureError("digest", "The signature does not cover digest.");
  if (signed.has("digest")) {
    const digest = headers.get("digest");
    if (digest === undefined) throw new SignatureError("digest", "The Digest header is missing.");
    if (req.rawBody === undefined) throw new SignatureError("digest", "The request body is not available.");
    if (opts.digestChecked !== true) checkDigest(digest, req.rawBody);
  }

  checkTimes(sig, headers, signed, opts);
  const key = opts.keyCache ? opts.keyCache.get(opts.publicKeyPem) : publicKey(opts.publicKeyPem);
  const data = Buffer.from(buildSigningString(sig, req.method, req.path, headers));
  return { key, data, signature: sig.signature };
}

/**
 * The actor a keyId belongs to by convention: the keyId without its fragment (`…/users/a#main-key`) or
 * without a trailing `/main-key` (GoToSocial). Only a hint for where to look: the caller must check the
 * fetched key's `owner`.
 */
export function keyOwnerOf(keyId: string): string {
  const hash = keyId.indexOf("#");
  if (hash >= 0) return keyId.slice(0, hash);
  return keyId.endsWith("/main-key") ? keyId.slice(0, -"/main-key".length) : keyId;
}

function lowercaseHeaders(raw: VerifiableRequest["headers"]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.map((v) => v.trim()).join(", ") : value.trim();
    const key = name.toLowerCase();
    const prior = out.get(key);
    out.set(key, prior === undefined ? joined : `${prior}, ${joined}`);
  }
  return out;
}

function signatureValue(headers: Map<string, string>): string {
  const signature = headers.get("signature");
  if (signature !== undefined) return signature;
  const authorization = headers.get("authorization");
  if (authorization !== undefined && /^signature[ \t]/i.test(authorization)) return authorization;
  throw new SignatureError("missing", "The request is not signed.");
}

function checkTimes(
  sig: ParsedSignatureWithRaw,
  headers: Map<string, string>,
  signed: Set<string>,
  opts: VerifyOptions,
): void {
  const now = (opts.now ?? new Date()).getTime();
  const earliest = now - (opts.maxSkewMs ?? 60 * 60 * 1000);
  const latest = now + (opts.maxFutureMs ?? 5 * 60 * 1000);
  if (signed.has("date")) {
    const value = headers.get("date");
    if (value === undefined) throw new SignatureError("headers", "The signed Date header is missing.");
    const at = value.length <= 64 ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at)) throw new SignatureError("date", "The Date header is not a date.");
    if (at < earliest || at > latest)
      throw new SignatureError("date", "The Date header is outside the accepted window.");
  }
  if (signed.has("(created)")) {
    if (sig.created === undefined) throw new SignatureError("headers", "(created) is signed but not given.");
    const at = sig.created * 1000;
    if (at < earliest || at > latest) throw new SignatureError("date", "(created) is outside the accepted window.");
  }
  if (signed.has("(expires)") && sig.expires === undefined) {
    throw new SignatureError("headers", "(expires) is signed but not given.");
  }
  if (sig.expires !== undefined && sig.expires * 1000 < now) {
    throw new SignatureError("expired", "The signature has expired.");
  }
}

function buildSigningString(
  sig: ParsedSignatureWithRaw,
  method: string,
  path: string,
  headers: Map<string, string>,
): string {
  return sig.headers
    .map((name) => {
      let value: string | undefined;
      if (name === "(request-target)") value = `${method.toLowerCase()} ${path}`;
      else if (name === "(created)") value = sig.raw.created;
      else if (name === "(expires)") value = sig.raw.expires;
      else if (name.startsWith("(")) throw new SignatureError("headers", `Unknown pseudo-header ${name}.`);
      else value = headers.get(name);
      if (value === undefined) throw new SignatureError("headers", `The signed header ${name} is missing.`);
      if (/[\r\n]/.test(value)) throw new SignatureError("headers", `The signed header ${name} spans lines.`);
      return `${name}: ${value}`;
    })
    .join("\n");
}

function readKey(read: () => KeyObject): KeyObject {
  let key: KeyObject;
  try {
    key = read();
  } catch {
    throw new SignatureError("key", "The key is not a readable PEM key.");
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== "rsa" || bits < 1024 || bits > 8192) {
    throw new SignatureError("key", "The key is not an RSA key of 1024 to 8192 bits.");
  }
  return key;
}

function publicKey(pem: string): KeyObject {
  if (typeof pem !== "string" || pem.length > 16_384) throw new SignatureError("key", "The public key is unusable.");
  return readKey(() => createPublicKey(pem));
}

/**
 * Parsed public keys by PEM, for one inbox. Parsing a PEM costs more than the RSA verification
 * itself, and an inbox sees the same few keys over and over. Bounded; the oldest entry goes first.
 */
export class PublicKeyCache {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly max = 2048) {}

  get(pem: string): KeyObject {
    const cached = this.keys.get(pem);
    if (cached) return cached;
    const key = publicKey(pem);
    if (this.keys.size >= this.max) {
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    this.keys.set(pem, key);
    return key;
  }
}
