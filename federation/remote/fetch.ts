import { canonicalAuthority } from "../../server/domain/defederation/rules.js";
import { FetchFailed, FetchRefused } from "../http/guarded-fetch.js";
import { checkShape, DEFAULT_SHAPE_LIMITS } from "../jsonld/shape.js";
import { RemoteError } from "./errors.js";

/** Largest ActivityPub document fetched from a peer (actors, notes, activities). */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

/** What fetching needs from the federation context: one signed GET through the guarded client. */
export interface SignedGetter {
  signedGet(
    url: string,
    opts?: { maxBytes?: number; accept?: string },
  ): Promise<{ status: number; url: string; headers: Record<string, string>; body: Buffer; json<T>(): T }>;
}

export interface FetchedDocument {
  /** The parsed JSON, within the shape limits. */
  json: unknown;
  /** Where it was finally served from, after redirects. */
  url: string;
}

/**
 * GETs an ActivityPub document (signed by the instance actor, so peers with authorized fetch
 * answer), and returns its JSON once it is within the size and shape limits. Every failure is a
 * RemoteError.
 */
export async function fetchDocument(http: SignedGetter, url: string): Promise<FetchedDocument> {
  let res: Awaited<ReturnType<SignedGetter["signedGet"]>>;
  try {
    res = await http.signedGet(url, { maxBytes: MAX_DOCUMENT_BYTES });
  } catch (err) {
    if (err instanceof FetchRefused || err instanceof FetchFailed) {
      throw new RemoteError("unreachable", `Could not fetch ${short(url)}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (res.status === 404 || res.status === 410) throw new RemoteError("gone", `${short(url)} is gone (${res.status}).`);
  if (res.status < 200 || res.status > 299) {
    throw new RemoteError("status", `${short(url)} answered ${res.status}.`, { status: res.status });
  }
  const type = (res.headers["content-type"] ?? "").toLowerCase();
  if (!type.includes("json")) throw new RemoteError("invalid", `${short(url)} did not answer with JSON.`);
  let json: unknown;
  try {
    json = res.json();
  } catch {
    throw new RemoteError("invalid", `${short(url)} did not answer with valid JSON.`);
  }
  try {
    checkShape(json, DEFAULT_SHAPE_LIMITS);
  } catch (err) {
    throw new RemoteError("invalid", `${short(url)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { json, url: res.url };
}

/**
 * Whether two ids name the same resource: equal once parsed (so `HTTPS://Host/a` and
 * `https://host/a` agree), fragment included.
 */
export function sameId(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

/** The lowercase hostname of an id, without port: what domain rules and follows key on. */
export function domainOf(id: string): string {
  try {
    return new URL(id).hostname.toLowerCase();
  } catch {
    return "";
  }
}

/** Whether two ids are on the same origin (scheme, host and port). */
export function sameOrigin(a: string, b: string): boolean {
  const x = canonicalAuthority(a);
  const y = canonicalAuthority(b);
  if (x !== null && y !== null) return x.scheme === y.scheme && x.host === y.host && x.port === y.port;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

export function short(url: string): string {
  return url.length > 200 ? `${url.slice(0, 200)}…` : url;
}
