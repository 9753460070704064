import { isIP } from "node:net";
import { DomainError } from "../../server/domain/errors.js";
import { FetchFailed, FetchRefused, type GuardedFetch, type GuardedResponse } from "../http/guarded-fetch.js";
import { urlProblem } from "../vocab/url.js";

/** What an operator names a remote group by: its actor URL, or its handle. */
export type FollowTarget = { kind: "url"; url: string } | { kind: "handle"; user: string; host: string };

const MAX_TARGET_LENGTH = 2048;
/** A WebFinger answer is a few hundred bytes; anything much larger is not one. */
const MAX_JRD_BYTES = 64 * 1024;
const JRD_ACCEPT = "application/jrd+json, application/json;q=0.9";
const AP_LINK_TYPE = /^application\/(?:activity\+json|ld\+json)\b/i;
/** The user part of a handle: what Mastodon, Lemmy and Atoll allow in names, plus a little. */
const HANDLE_USER = /^[A-Za-z0-9_.~-]{1,64}$/;

/**
 * Reads what the operator typed: an http(s) actor URL, or `name@host` (also `@name@host` and
 * `acct:name@host`), where host may carry a port. Throws DomainError("invalid") for anything else.
 */
export function parseFollowTarget(raw: unknown): FollowTarget {
  if (typeof raw !== "string" || raw.trim() === "") {
    throw new DomainError("invalid", 'Give "target": the group\'s actor URL or its handle, such as board@host.');
  }
  const value = raw.trim();
  if (value.length > MAX_TARGET_LENGTH) throw new DomainError("invalid", "The target is too long.");
  if (/^https?:\/\//i.test(value)) {
    const problem = urlProblem(value, MAX_TARGET_LENGTH);
    if (problem !== undefined) throw new DomainError("invalid", `The target URL ${problem}.`);
    return { kind: "url", url: new URL(value).href };
  }
  const handle = value.replace(/^acct:/i, "").replace(/^@/, "");
  const at = handle.indexOf("@");
  const user = handle.slice(0, at);
  const host = handle.slice(at + 1).toLowerCase();
  if (at <= 0 || !HANDLE_USER.test(user) || !validHost(host)) {
    throw new DomainError(
      "invalid",
      `"${value.slice(0, 100)}" is neither an actor URL nor a handle such as board@host.`,
    );
  }
  return { kind: "handle", user, host };
}

/** A hostname, an IPv4 address or a bracketed IPv6 address, with an optional port; nothing else. */
function validHost(host: string): boolean {
  if (host === "" || /[\s/?#@\\]/.test(host)) return false;
  try {
    const url = new URL(`https://${host}`);
    return url.hostname !== "" && url.host === host;
  } catch {
    return false;
  }
}

/** Whether a host (as in a URL, with or without a port) is this machine. */
export function isLoopbackHost(host: string): boolean {
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  return bare === "::1";
}

/**
 * Which schemes WebFinger is tried on, in order. Only https in production. With private addresses
 * allowed (tests, a LAN): http for a loopback host, where nobody terminates TLS; for any other host
 * https first, then http when https cannot even connect.
 */
export function webfingerSchemes(host: string, allowPrivateAddresses: boolean): Array<"https" | "http"> {
  if (!allowPrivateAddresses) return ["https"];
  return isLoopbackHost(host) ? ["http"] : ["https", "http"];
}

/**
 * The ActivityPub actor id a handle names: `GET {scheme}://{host}/.well-known/webfinger?resource=
 * acct:{user}@{host}` through the guarded client, then the `self` link of an ActivityPub type.
 * Throws DomainError("unprocessable") when the host cannot be reached or does not know the handle,
 * and DomainError("forbidden") when the domain rules refuse the host or the actor it names.
 */
export async function resolveHandle(
  http: GuardedFetch,
  target: { user: string; host: string },
  allowPrivateAddresses: boolean,
): Promise<string> {
  const handle = `${target.user}@${target.host}`;
  const resource = encodeURIComponent(`acct:${handle}`);
  let res: GuardedResponse | null = null;
  let lastError = "";
  for (const scheme of webfingerSchemes(target.host, allowPrivateAddresses)) {
    try {
      res = await http.request(`${scheme}://${target.host}/.well-known/webfinger?resource=${resource}`, {
        accept: JRD_ACCEPT,
        maxBytes: MAX_JRD_BYTES,
      });
      break;
    } catch (err) {
      // Only a failure to talk at all moves on to the next scheme; an answer is final.
      if (!(err instanceof FetchFailed || err instanceof FetchRefused)) throw err;
      if (err instanceof FetchRefused && err.reason === "blocked") {
        throw new DomainError("forbidden", `${target.host} is not federated with: ${err.message}`);
      }
      lastError = err.message;
    }
  }
  if (res === null) throw new DomainError("unprocessable", `WebFinger for ${handle} failed: ${lastError}`);
  if (res.status === 404 || res.status === 410) {
    throw new DomainError("unprocessable", `${target.host} knows no account ${handle}.`);
  }
  if (res.status < 200 || res.status > 299) {
    throw new DomainError("unprocessable", `WebFinger for ${handle} answered ${res.status}.`);
  }
  let jrd: unknown;
  try {
    jrd = res.json();
  } catch {
    throw new DomainError("unprocessable", `WebFinger for ${handle} did not answer with JSON.`);
  }
  const links = (jrd as { links?: unknown } | null)?.links;
  if (Array.isArray(links)) {
    for (const link of links.slice(0, 50)) {
      if (link === null || typeof link !== "object") continue;
      const { rel, type, href } = link as Record<string, unknown>;
      if (rel !== "self" || typeof type !== "string" || !AP_LINK_TYPE.test(type) || typeof href !== "string") continue;
      if (urlProblem(href, MAX_TARGET_LENGTH) !== undefined) continue;
      // The answer is checked against the domain rules too: an allowed host may name an actor on
      // a suspended one.
      const refused = http.refusalFor(href);
      if (refused !== null) {
        throw new DomainError(
          "forbidden",
          `${handle} names ${href.slice(0, 200)}, which is not federated with: ${refused}.`,
        );
      }
      return href;
    }
  }
  throw new DomainError("unprocessable", `WebFinger for ${handle} names no ActivityPub actor.`);
}
