import { FetchFailed, FetchRefused, type GuardedFetch } from "../http/guarded-fetch.js";
import { RemoteError } from "./errors.js";
import { short } from "./fetch.js";

/** Largest NodeInfo document read (the discovery document and the schema document each). */
export const NODEINFO_MAX_BYTES = 64 * 1024;
/** Budget for the whole lookup: both requests, redirects included. */
export const NODEINFO_TIMEOUT_MS = 5000;
/** Longest software name or version taken from a document (longer ones are cut). */
const MAX_FIELD = 100;

/** What a server says it runs. */
export interface NodeInfoSoftware {
  /** `software.name`, trimmed and in lower case. */
  name: string;
  version: string | null;
}

export interface NodeInfoOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

const SCHEMA_REL = /^https?:\/\/nodeinfo\.diaspora\.software\/ns\/schema\/(\d{1,3})\.(\d{1,3})$/;

/**
 * Asks the server at `origin` (scheme, host and port) what software it runs: GETs
 * `/.well-known/nodeinfo`, then the newest schema document it links to, through the guarded client
 * (so only addresses and schemes the instance may reach, within `maxBytes` each and `timeoutMs` in
 * all). NodeInfo is public, so the requests are not signed. Every failure is a RemoteError.
 */
export async function fetchNodeInfo(
  http: Pick<GuardedFetch, "request">,
  origin: string,
  opts: NodeInfoOptions = {},
): Promise<NodeInfoSoftware> {
  const deadline = Date.now() + (opts.timeoutMs ?? NODEINFO_TIMEOUT_MS);
  const maxBytes = opts.maxBytes ?? NODEINFO_MAX_BYTES;
  const wellKnown = `${origin.replace(/\/+$/, "")}/.well-known/nodeinfo`;
  const discovery = await getJson(http, wellKnown, deadline, maxBytes);
  const href = nodeInfoHref(discovery.json, discovery.url);
  const doc = await getJson(http, href, deadline, maxBytes);
  return softwareOf(doc.json);
}

/**
 * The document a NodeInfo discovery document (`{ links: [{ rel, href }] }`) points to: the link
 * with the highest schema version, its href resolved against `base`. Throws RemoteError("invalid")
 * when there is none, or when it is not an http(s) URL.
 */
export function nodeInfoHref(json: unknown, base: string): string {
  const links = isObject(json) ? json["links"] : undefined;
  if (!Array.isArray(links)) throw new RemoteError("invalid", "The NodeInfo discovery document has no links.");
  let best: { href: string; rank: number } | null = null;
  for (const link of links.slice(0, 50)) {
    if (!isObject(link) || typeof link["rel"] !== "string" || typeof link["href"] !== "string") continue;
    const m = SCHEMA_REL.exec(link["rel"]);
    if (!m) continue;
    const rank = Number(m[1]) * 1000 + Number(m[2]);
    if (!best || rank > best.rank) best = { href: link["href"], rank };
  }
  if (!best) throw new RemoteError("invalid", "The NodeInfo discovery document links to no schema document.");
  let url: URL;
  try {
    url = new URL(best.href, base);
  } catch {
    throw new RemoteError("invalid", "The NodeInfo link is not a URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RemoteError("invalid", "The NodeInfo link is not an http(s) URL.");
  }
  return url.href;
}

/** `software.name` and `software.version` of a NodeInfo document. Throws RemoteError("invalid"). */
export function softwareOf(json: unknown): NodeInfoSoftware {
  const software = isObject(json) ? json["software"] : undefined;
  const name = isObject(software) ? cleanField(software["name"]) : null;
  if (name === null) throw new RemoteError("invalid", "The NodeInfo document names no software.");
  const version = isObject(software) ? cleanField(software["version"]) : null;
  return { name: name.toLowerCase(), version };
}

/** A printable string, trimmed and cut to MAX_FIELD characters; null for anything else or empty. */
function cleanField(value: unknown): string | null {
  if (typeof value !== "string") return null;
  let printable = "";
  for (const ch of value.slice(0, 4 * MAX_FIELD)) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x20 && code !== 0x7f) printable += ch;
  }
  const text = printable.trim().slice(0, MAX_FIELD);
  return text === "" ? null : text;
}

async function getJson(
  http: Pick<GuardedFetch, "request">,
  url: string,
  deadline: number,
  maxBytes: number,
): Promise<{ json: unknown; url: string }> {
  const timeoutMs = deadline - Date.now();
  if (timeoutMs <= 0) throw new RemoteError("unreachable", `No time left to fetch ${short(url)}.`);
  let res: Awaited<ReturnType<GuardedFetch["request"]>>;
  try {
    res = await http.request(url, { method: "GET", accept: "application/json", maxBytes, timeoutMs });
  } catch (err) {
    if (err instanceof FetchRefused || err instanceof FetchFailed) {
      throw new RemoteError("unreachable", `Could not fetch ${short(url)}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (res.status < 200 || res.status > 299) throw new RemoteError("status", `${short(url)} answered ${res.status}.`);
  try {
    return { json: res.json(), url: res.url };
  } catch {
    throw new RemoteError("invalid", `${short(url)} did not answer with valid JSON.`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
