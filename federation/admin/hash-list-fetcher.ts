import { DomainError } from "../../server/domain/errors.js";
import type { HashListFetcher } from "../../server/services/media-ban-lists.js";
import type { FederationContext } from "../context.js";
import { FetchFailed, FetchRefused, type GuardedResponse } from "../http/guarded-fetch.js";

/** A list of 200,000 PDQ lines with reasons stays well under this. */
export const HASH_LIST_MAX_BYTES = 32 * 1024 * 1024;
const HASH_LIST_TIMEOUT_MS = 60_000;
const HASH_LIST_ACCEPT = "application/json, text/plain;q=0.9, */*;q=0.5";

/**
 * Reads a subscribed hash list through the federation's one guarded client: with the subscription's
 * token as a bearer token when it has one, otherwise signed by this instance's actor (lists are
 * offered to chosen peers, who know it by that signature). Bounded in size and time; https only
 * unless private addresses are allowed.
 */
export class GuardedHashListFetcher implements HashListFetcher {
  constructor(private readonly context: FederationContext) {}

  async fetch(url: string, token: string | null): Promise<string> {
    let res: GuardedResponse;
    try {
      res =
        token === null
          ? await this.context.signedGet(url, { accept: HASH_LIST_ACCEPT, maxBytes: HASH_LIST_MAX_BYTES })
          : await this.context.http.request(url, {
              method: "GET",
              accept: HASH_LIST_ACCEPT,
              headers: { authorization: `Bearer ${token}` },
              // The token is for the list's own server: a redirect elsewhere is not followed with it.
              redirect: "manual",
              maxBytes: HASH_LIST_MAX_BYTES,
              timeoutMs: HASH_LIST_TIMEOUT_MS,
            });
    } catch (err) {
      if (err instanceof FetchRefused || err instanceof FetchFailed) {
        throw new DomainError("unprocessable", `The list could not be fetched: ${err.message}`);
      }
      throw err;
    }
    if (res.status < 200 || res.status > 299) {
      throw new DomainError("unprocessable", `The list could not be fetched: HTTP ${res.status}.`);
    }
    return res.body.toString("utf8").replace(/^\uFEFF/, "");
  }
}
