import { normalizeDomain } from "../server/domain/defederation/rules.js";
import type { Services } from "../server/services/container.js";
import type { DomainPolicy } from "../server/services/defederation/rules-in-force.js";
import { VERSION } from "../server/version.js";
import { GuardedFetch, type GuardedResponse, type HostPolicy } from "./http/guarded-fetch.js";
import { signRequest } from "./http/signatures.js";
import type { FederationIds } from "./ids.js";
import type { LocalKeys } from "./keys.js";

export const USER_AGENT = `Atoll/${VERSION}`;
export const AP_ACCEPT =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

/** The application services the federation components reach through their context. */
export type FederationServices = Pick<
  Services,
  "config" | "logger" | "clock" | "store" | "policy" | "events" | "urls" | "reader"
>;

/** What every federation component of one instance shares: ids, keys and the one outbound client. */
export class FederationContext {
  readonly http: GuardedFetch;

  constructor(
    readonly s: FederationServices,
    readonly ids: FederationIds,
    readonly keys: LocalKeys,
    http?: GuardedFetch,
  ) {
    this.http = http ?? guardedClient(s);
  }

  /** A GET signed by the instance actor (so peers with authorized fetch answer it). */
  async signedGet(url: string, opts: { maxBytes?: number; accept?: string } = {}): Promise<GuardedResponse> {
    const actor = this.ids.instanceActor();
    const key = await this.keys.keyOf(actor);
    const privateKey = await this.keys.privateKeyOf(actor);
    return this.http.request(url, {
      method: "GET",
      accept: opts.accept ?? AP_ACCEPT,
      ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}),
      sign: (req) =>
        signRequest({
          method: req.method,
          url: req.url,
          headers: req.headers,
          keyId: this.ids.keyId(actor),
          privateKeyPem: key.privateKeyPem,
          privateKey,
        }),
    });
  }

  /** A POST of an activity to an inbox, signed by `actorId`'s key. */
  async signedPost(url: string, actorId: string, body: string): Promise<GuardedResponse> {
    const key = await this.keys.keyOf(actorId);
    const privateKey = await this.keys.privateKeyOf(actorId);
    const buf = Buffer.from(body, "utf8");
    return this.http.request(url, {
      method: "POST",
      body: buf,
      headers: { "content-type": "application/activity+json" },
      redirect: "manual",
      sign: (req) =>
        signRequest({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: buf,
          keyId: this.ids.keyId(actorId),
          privateKeyPem: key.privateKeyPem,
          privateKey,
        }),
    });
  }
}

/**
 * The domain rules as the guarded client applies them to every hop: nothing is fetched from or
 * sent to a suspended domain (for the instance, or for the board a request is made for), and no
 * media is fetched from a domain whose media is rejected.
 */
/** The instance's one guarded outbound client: public https peers only, under the domain rules. */
export function guardedClient(s: Pick<FederationServices, "config" | "policy">): GuardedFetch {
  return new GuardedFetch({
    allowPrivateAddresses: s.config.allowPrivateAddresses,
    userAgent: `${USER_AGENT} (+${s.config.publicUrl})`,
    hostPolicy: hostPolicyOf(s.policy),
  });
}

export function hostPolicyOf(policy: DomainPolicy): HostPolicy {
  return (hostname, scope) => {
    const host = normalizeDomain(hostname);
    if (host === null) return "not a usable host name";
    const decision = policy.check(host, scope.board);
    if (decision.suspended) return decision.reason;
    if (scope.media === true && decision.rejectMedia) return `media is rejected (${decision.reason})`;
    return null;
  };
}
