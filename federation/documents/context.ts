import type { FederationIds } from "../ids.js";

export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
export const SECURITY_CONTEXT = "https://w3id.org/security/v1";
export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/** The `@context` of what a board or an author sends about posts: ActivityStreams and Atoll's own. */
export function activityContext(ids: FederationIds): unknown[] {
  return [AS_CONTEXT, ids.context()];
}

/** An activity built to be embedded (no `@context`), as a document of its own. */
export function withActivityContext(ids: FederationIds, activity: Record<string, unknown>): Record<string, unknown> {
  return { "@context": activityContext(ids), ...activity };
}
