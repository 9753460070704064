import { RemoteError } from "../remote/errors.js";
import { sameOrigin } from "../remote/fetch.js";
import type { NormalizedDocument, NormalizedEmbedded } from "../vocab/normalize.js";
import { forbidden, IgnoredActivity, malformed, TransientFailure } from "./errors.js";
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
 * Whether an embedded document can be taken as delivered (FEP-fe34's same-origin rule): it sits on
 * the origin of the actor whose signature carried it, and so does everyone it names as its author
 * or actor. A server speaks for its own documents, whichever of its actors sends them (a board's
 * Announce of its anonymous author's Create, a community's Announce of its member's post); anything
 * from another origin, such as a third party's Note inside an Announce, must come from that origin.
 */
export function believable(signer: string, doc: NormalizedEmbedded): boolean {
  if (!sameOrigin(doc.id, signer)) return false;
  if (doc.kind === "object") return doc.attributedTo === undefined || sameOrigin(doc.attributedTo, signer);
  if (doc.kind === "activity") return sameOrigin(doc.actor, signer);
  return true;
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

/**
 * How a failed fetch answers the peer: a forgery is refused, an absent document ignored, and an
 * origin out of reach for now makes the activity wait for another try.
 */
export function remoteRefusal(err: unknown): Error {
  if (!(err instanceof RemoteError)) return err instanceof Error ? err : new Error(String(err));
  if (err.transient) return new TransientFailure(err.message);
  switch (err.kind) {
    case "mismatch":
      return forbidden(err.message);
    case "invalid":
      return malformed(err.message);
    default:
      return new IgnoredActivity(err.message);
  }
}
