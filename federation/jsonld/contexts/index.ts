import activitystreams from "./activitystreams.js";
import { dataIntegrityV1, dataIntegrityV2 } from "./data-integrity.js";
import gotosocial from "./gotosocial.js";
import lemmy from "./lemmy.js";
import litepub from "./litepub.js";
import securityV1 from "./security-v1.js";
import webfinger from "./webfinger.js";

export { atollContextUrl, atollNamespace, buildAtollContext } from "./atoll.js";

export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
export const AS_NAMESPACE = "https://www.w3.org/ns/activitystreams#";
export const AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
export const SECURITY_V1_CONTEXT = "https://w3id.org/security/v1";
export const DATA_INTEGRITY_V1_CONTEXT = "https://w3id.org/security/data-integrity/v1";
export const DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2";
export const LITEPUB_CONTEXT = "https://litepub.social/litepub/context.jsonld";
export const GOTOSOCIAL_CONTEXT = "https://gotosocial.org/ns";
export const LEMMY_CONTEXT = "https://join-lemmy.org/context.json";
export const WEBFINGER_CONTEXT = "https://purl.archive.org/socialweb/webfinger";

/**
 * The context documents served without any network access, by canonical URL. Each call returns a new
 * list so that callers cannot alter what another loader serves.
 */
export function preloadedContexts(): Array<[url: string, document: unknown]> {
  return [
    [AS_CONTEXT, activitystreams],
    [SECURITY_V1_CONTEXT, securityV1],
    [DATA_INTEGRITY_V1_CONTEXT, dataIntegrityV1],
    [DATA_INTEGRITY_V2_CONTEXT, dataIntegrityV2],
    [LITEPUB_CONTEXT, litepub],
    [GOTOSOCIAL_CONTEXT, gotosocial],
    [LEMMY_CONTEXT, lemmy],
    [WEBFINGER_CONTEXT, webfinger],
  ];
}

/** Other spellings of preloaded URLs seen in the wild, mapped to the canonical URL. */
export function contextAliases(): Array<[alias: string, canonical: string]> {
  return [
    ["https://www.w3.org/ns/activitystreams.jsonld", AS_CONTEXT],
    ["https://w3id.org/security/v1.jsonld", SECURITY_V1_CONTEXT],
    ["https://litepub.social/litepub/context", LITEPUB_CONTEXT],
  ];
}
