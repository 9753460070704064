import { RemoteError } from "../remote/errors.js";
import { sameOrigin } from "../remote/fetch.js";
import type { NormalizedDocument, NormalizedEmbedded } from "../vocab/normalize.js";
import { forbidden, IgnoredActivity, malformed } from "./errors.js";
import type { InboxDeps } from "./handlers/types.js";

export interface TrustedDocument {
  document: NormalizedDocument;
  /** Its JSON: the embedded copy when believed, else the one fetched from its origin. */
  json: unknown;
  fetched: boolean;
}

/** The JSON of an activity's (first) embedded object, or undefined when it names it by id. */
export function embeddedJson(activityJson: Record<string, unknown>): Record<string, unknown> | undefined {
  const raw = Array.isArray(activityJson["object"]) ? activityJson["object"][0] : activityJson["object"];
  return raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
}

/**
 * Whether an embedded document can be taken as its author's word: it sits on the activity actor's
 * origin and is that actor's own (a Note it is attributed to, an activity it performed, the actor
 * itself). Anything else, such as a third party's Note inside an Announce, must come from its origin.
 */
export function believable(actor: string, doc: NormalizedEmbedded): boolean {
  if (!sameOrigin(doc.id, actor)) return false;
  if (doc.kind === "object") return doc.attributedTo === actor;
  if (doc.kind === "activity") return doc.actor === actor;
  return doc.id === actor;
}

/** The activity's object as we may believe it: the embedded copy when believable, else fetched. */
export async function trustedObject(
  deps: InboxDeps,
  actor: string,
  ref: string | NormalizedEmbedded,
  json: unknown,
): Promise<TrustedDocument> {
  if (typeof ref !== "string" && believable(actor, ref)) return { document: ref, json, fetched: false };
  return fetchFromOrigin(deps, typeof ref === "string" ? ref : ref.id);
}

/** A document fetched by id from its origin, failures turned into the inbox's answers. */
export async function fetchFromOrigin(deps: InboxDeps, id: string): Promise<TrustedDocument> {
  try {
    const { document, json } = await deps.objects.fetch(id);
    return { document, json, fetched: true };
  } catch (err) {
    throw remoteRefusal(err);
  }
}

/** How a failed fetch answers the peer: a forgery is refused, an absent document ignored. */
export function remoteRefusal(err: unknown): Error {
  if (!(err instanceof RemoteError)) return err instanceof Error ? err : new Error(String(err));
  switch (err.kind) {
    case "mismatch":
      return forbidden(err.message);
    case "invalid":
      return malformed(err.message);
    default:
      return new IgnoredActivity(err.message);
  }
}
