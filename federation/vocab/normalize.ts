/**
 * The inbound normaliser: reads ActivityStreams documents in the compacted JSON that conformant
 * implementations send and returns the plain, typed, bounded objects in ./types.ts. It runs on every
 * inbox delivery, so it does no JSON-LD processing: it knows the compaction variants the ecosystem
 * uses (a one-element array sent as a bare value, an object in place of its id, `as:Public` and
 * `Public`, `contentMap` without `content`, Link objects and arrays in `url`, Lemmy's and PeerTube's
 * arrays in `attributedTo`) and reads only the members Atoll uses, never copying member names from the
 * input into its output.
 *
 * Refusals are values (`{ ok: false, reason }`), never exceptions. An id that is not an absolute
 * http(s) URL without credentials refuses the document; an unusable optional URL (an avatar, a link,
 * an attachment, a recipient) is left out instead.
 *
 * This module holds the entry points; the readers are in ./documents.ts (whole documents),
 * ./addressing.ts (references and recipients), ./media.ts (links, attachments, tags) and
 * ./values.ts (single members).
 */

import { ACTOR_TYPES, COLLECTION_TYPES, OBJECT_TYPES } from "./as-types.js";
import { activity, actor, collection, embedded, object } from "./documents.js";
import type {
  NormalizedActivity,
  NormalizedActor,
  NormalizedCollection,
  NormalizedDocument,
  NormalizedObject,
  NormalizeError,
  NormalizeLimits,
} from "./types.js";
import { type Limits, Refusal, record, refuse, typeName } from "./values.js";

/** The one spelling of the public collection in normalized addressing. */
export { AS_PUBLIC } from "./addressing.js";
export type * from "./types.js";

export const DEFAULT_NORMALIZE_LIMITS: Readonly<NormalizeLimits> = Object.freeze({
  maxIdLength: 2048,
  maxContentLength: 200_000,
  maxSummaryLength: 20_000,
  maxNameLength: 1_000,
  maxRecipients: 1_000,
  maxAttachments: 32,
  maxTags: 128,
  maxObjects: 64,
  maxItems: 1_000,
  maxEmbedDepth: 4,
});

function run<T>(f: () => T): T | NormalizeError {
  try {
    return f();
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, reason: e.reason };
    throw e;
  }
}

/** A normalized activity (Create, Announce, Follow, …, or an extension such as Lemmy's Lock). */
export function normalizeActivity(
  json: unknown,
  limits: Limits = DEFAULT_NORMALIZE_LIMITS,
): NormalizedActivity | NormalizeError {
  return run(() => activity(json, limits, 0));
}

/** A normalized object (Note, Page, Article, Video, Tombstone, …); actors and activities are refused. */
export function normalizeObject(
  json: unknown,
  limits: Limits = DEFAULT_NORMALIZE_LIMITS,
): NormalizedObject | NormalizeError {
  return run(() => object(json, limits));
}

/** A normalized actor document (Person, Group, Service, Application, Organization). */
export function normalizeActor(
  json: unknown,
  limits: Limits = DEFAULT_NORMALIZE_LIMITS,
): NormalizedActor | NormalizeError {
  return run(() => actor(json, limits));
}

/** A normalized collection or collection page (outboxes, featured posts, followers, moderators). */
export function normalizeCollection(
  json: unknown,
  limits: Limits = DEFAULT_NORMALIZE_LIMITS,
): NormalizedCollection | NormalizeError {
  return run(() => collection(json, limits, 0));
}

/** Any document, normalized by what its type says it is (for a fetched id of unknown kind). */
export function normalizeDocument(
  json: unknown,
  limits: Limits = DEFAULT_NORMALIZE_LIMITS,
): NormalizedDocument | NormalizeError {
  return run(() => {
    const doc = record(json);
    const type = typeName(doc.type);
    if (type !== undefined && COLLECTION_TYPES.has(type)) return collection(doc, limits, 0);
    if (type === undefined && doc.inbox === undefined && doc.actor === undefined) refuse("has no type");
    if (type !== undefined && OBJECT_TYPES.has(type)) return object(doc, limits);
    if ((type !== undefined && ACTOR_TYPES.has(type)) || (type === undefined && doc.inbox !== undefined)) {
      return actor(doc, limits);
    }
    return embedded(doc, limits, 0);
  });
}
