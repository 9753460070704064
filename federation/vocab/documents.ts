/**
 * The normaliser's readers of whole documents: activities, objects, actors and collections, and a
 * document embedded in another, read as what its type (or, failing that, its members) says.
 */

import { actorId, addresses, attribution, optionalRef } from "./addressing.js";
import { ACTIVITY_TYPES, ACTOR_TYPES, COLLECTION_TYPES, isKnownType, LINK_TYPES, OBJECT_TYPES } from "./as-types.js";
import { attachments, imageUrl, quoteOf, tags, urlOf } from "./media.js";
import type {
  AtollExtras,
  NormalizedActivity,
  NormalizedActor,
  NormalizedCollection,
  NormalizedEmbedded,
  NormalizedObject,
  NormalizedPublicKey,
} from "./types.js";
import { urlProblem } from "./url.js";
import {
  checkedId,
  content,
  date,
  isRecord,
  type Limits,
  langText,
  MAX_CANDIDATES,
  mediaType,
  optionalUrl,
  type Rec,
  Refusal,
  record,
  refuse,
  requiredId,
  requiredType,
  shortString,
  source,
  typeName,
} from "./values.js";

const MAX_USERNAME_LENGTH = 256;
const MAX_PEM_LENGTH = 16_384;

export function activity(json: unknown, L: Limits, depth: number): NormalizedActivity {
  const v = record(json);
  const type = requiredType(v.type);
  if (OBJECT_TYPES.has(type) || ACTOR_TYPES.has(type) || COLLECTION_TYPES.has(type) || LINK_TYPES.has(type)) {
    refuse(`type ${type} is not an activity`);
  }
  const id = requiredId(v.id, "id", L);
  const actorRef = actorId(v.actor, L);

  let object: string | NormalizedEmbedded | undefined;
  const objectIds: string[] = [];
  const rawObject = v.object;
  if (Array.isArray(rawObject)) {
    if (rawObject.length > L.maxObjects) refuse(`object names more than ${L.maxObjects} objects`);
    for (let i = 0; i < rawObject.length; i++) {
      const ref = objectRef(rawObject[i], L, depth, "object");
      if (i === 0) object = ref;
      objectIds.push(typeof ref === "string" ? ref : ref.id);
    }
  } else if (rawObject !== undefined && rawObject !== null) {
    object = objectRef(rawObject, L, depth, "object");
    objectIds.push(typeof object === "string" ? object : object.id);
  }

  return {
    ok: true,
    kind: "activity",
    id,
    type,
    actor: actorRef,
    object,
    objectIds,
    target: optionalRef(v.target, "target", L),
    to: addresses(v.to, "to", L),
    cc: addresses(v.cc, "cc", L),
    bto: addresses(v.bto, "bto", L),
    bcc: addresses(v.bcc, "bcc", L),
    audience: addresses(v.audience, "audience", L),
    published: date(v.published),
    updated: date(v.updated),
    inReplyTo: optionalRef(v.inReplyTo, "inReplyTo", L),
    summary: langText(v.summary, v.summaryMap, L.maxSummaryLength),
    content: langText(v.content, v.contentMap, L.maxSummaryLength),
    posterToken: posterTokenOf(v.posterToken),
  };
}

export function object(json: unknown, L: Limits): NormalizedObject {
  const v = record(json);
  const type = requiredType(v.type);
  if (ACTIVITY_TYPES.has(type)) refuse(`type ${type} is an activity, not an object`);
  if (ACTOR_TYPES.has(type)) refuse(`type ${type} is an actor, not an object`);
  if (COLLECTION_TYPES.has(type)) refuse(`type ${type} is a collection, not an object`);
  const id = requiredId(v.id, "id", L);
  const authors = attribution(v.attributedTo, L);
  let audience = addresses(v.audience, "audience", L);
  if (audience.length === 0 && authors.group !== undefined) audience = [authors.group];

  return {
    ok: true,
    kind: "object",
    id,
    type,
    attributedTo: authors.author,
    name: langText(v.name, v.nameMap, L.maxNameLength),
    content: content(v.content, v.contentMap, "content", L),
    mediaType: mediaType(v.mediaType),
    source: source(v.source, L),
    summary: langText(v.summary, v.summaryMap, L.maxSummaryLength),
    sensitive: typeof v.sensitive === "boolean" ? v.sensitive : undefined,
    url: urlOf(v.url, L),
    attachment: attachments(v.attachment, L),
    tag: tags(v.tag, L),
    quote: quoteOf(v, L),
    inReplyTo: optionalRef(v.inReplyTo, "inReplyTo", L),
    published: date(v.published),
    updated: date(v.updated),
    to: addresses(v.to, "to", L),
    cc: addresses(v.cc, "cc", L),
    bto: addresses(v.bto, "bto", L),
    bcc: addresses(v.bcc, "bcc", L),
    audience,
    atoll: atollExtras(v, L),
  };
}

export function actor(json: unknown, L: Limits): NormalizedActor {
  const v = record(json);
  const type = requiredType(v.type);
  if (!ACTOR_TYPES.has(type) && isKnownType(type)) refuse(`type ${type} is not an actor`);
  const id = requiredId(v.id, "id", L);
  const inbox = requiredId(v.inbox, "inbox", L);
  const endpoints = isRecord(v.endpoints) ? v.endpoints : undefined;
  return {
    ok: true,
    kind: "actor",
    id,
    type,
    preferredUsername: shortString(v.preferredUsername, MAX_USERNAME_LENGTH),
    name: langText(v.name, v.nameMap, L.maxNameLength),
    summary: langText(v.summary, v.summaryMap, L.maxSummaryLength),
    inbox,
    outbox: optionalUrl(v.outbox, L),
    followers: optionalUrl(v.followers, L),
    following: optionalUrl(v.following, L),
    sharedInbox: optionalUrl(endpoints?.sharedInbox, L) ?? optionalUrl(v.sharedInbox, L),
    publicKey: ownKey(v.publicKey, id, L),
    icon: imageUrl(v.icon, L),
    url: urlOf(v.url, L),
    manuallyApprovesFollowers: v.manuallyApprovesFollowers === true,
  };
}

export function collection(json: unknown, L: Limits, depth: number): NormalizedCollection {
  const v = record(json);
  const type = requiredType(v.type);
  if (!COLLECTION_TYPES.has(type) && isKnownType(type)) refuse(`type ${type} is not a collection`);
  const id = requiredId(v.id, "id", L);
  return { ok: true, kind: "collection", id, type, ...collectionBody(v, L, depth) };
}

/** The members a collection shares with an embedded page, which may have no id (Mastodon's replies). */
function collectionBody(
  v: Rec,
  L: Limits,
  depth: number,
): Pick<NormalizedCollection, "totalItems" | "first" | "next" | "items"> {
  let first: string | NormalizedCollection | undefined;
  if (typeof v.first === "string") first = optionalUrl(v.first, L);
  else if (isRecord(v.first) && depth + 1 < L.maxEmbedDepth) {
    const page = v.first;
    const pageId = optionalUrl(page.id, L);
    const type = typeName(page.type) ?? "CollectionPage";
    // A page without an id still carries the `next` link and items a reader needs; it borrows the
    // collection's id (as its `partOf`) so that every normalized collection has one.
    first = {
      ok: true,
      kind: "collection",
      id: pageId ?? requiredId(v.id, "id", L),
      type,
      ...collectionBody(page, L, depth + 1),
    };
  }
  const raw = v.orderedItems !== undefined ? v.orderedItems : v.items;
  const list = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const items: Array<string | NormalizedEmbedded> = [];
  const scan = Math.min(list.length, L.maxItems * 2);
  for (let i = 0; i < scan && items.length < L.maxItems; i++) {
    const item = list[i];
    if (typeof item === "string") {
      if (urlProblem(item, L.maxIdLength) === undefined) items.push(item);
    } else if (isRecord(item)) {
      // One malformed item should not hide the rest of a page, so items are dropped, not refused.
      try {
        items.push(depth + 1 < L.maxEmbedDepth ? embedded(item, L, depth + 1) : requiredId(item.id, "id", L));
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
      }
    }
  }
  const total = v.totalItems;
  return {
    totalItems: typeof total === "number" && Number.isSafeInteger(total) && total >= 0 ? total : undefined,
    first,
    next: optionalUrl(typeof v.next === "string" ? v.next : isRecord(v.next) ? v.next.id : undefined, L),
    items,
  };
}

/** A document embedded in another, read as what its type (or, failing that, its members) says. */
export function embedded(v: Rec, L: Limits, depth: number): NormalizedEmbedded {
  const type = typeName(v.type);
  if (type !== undefined) {
    if (ACTIVITY_TYPES.has(type)) return activity(v, L, depth);
    if (ACTOR_TYPES.has(type)) return actor(v, L);
    if (!isKnownType(type)) {
      // Extension types (Lemmy's Lock, a server's own actor type) are told apart by their members.
      if (v.inbox !== undefined) return actor(v, L);
      if (v.actor !== undefined && v.attributedTo === undefined) return activity(v, L, depth);
    }
  }
  return object(v, L);
}

/** The value of `object` (or an element of it): an id, or an embedded document normalized. */
function objectRef(value: unknown, L: Limits, depth: number, field: string): string | NormalizedEmbedded {
  if (typeof value === "string") return checkedId(value, field, L);
  if (!isRecord(value)) refuse(`${field} is neither an id nor an object`);
  const type = typeName(value.type);
  const idOnly =
    depth + 1 >= L.maxEmbedDepth ||
    (type !== undefined && (COLLECTION_TYPES.has(type) || LINK_TYPES.has(type))) ||
    // Some servers embed a bare actor reference ({type, id}) in a Follow or Block.
    (type !== undefined && ACTOR_TYPES.has(type) && value.inbox === undefined);
  if (idOnly) return requiredId(value.id, `${field}.id`, L);
  try {
    return embedded(value, L, depth + 1);
  } catch (e) {
    if (e instanceof Refusal) refuse(`${field}: ${e.reason}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------
// Keys and imageboard extras

/**
 * The actor's own key. `publicKey` may list several; only one whose `owner` is the actor counts (a
 * key without an owner counts when its id is the actor's id plus a fragment), so a document cannot
 * lend an actor another actor's key.
 */
function ownKey(v: unknown, actorId: string, L: Limits): NormalizedPublicKey | undefined {
  const list = Array.isArray(v) ? v : [v];
  const n = Math.min(list.length, MAX_CANDIDATES);
  for (let i = 0; i < n; i++) {
    const k = list[i];
    if (!isRecord(k)) continue;
    const id = optionalUrl(k.id, L);
    const pem = k.publicKeyPem;
    if (id === undefined || typeof pem !== "string" || pem.length > MAX_PEM_LENGTH) continue;
    if (!pem.trimStart().startsWith("-----BEGIN ")) continue;
    const owner = typeof k.owner === "string" ? k.owner : isRecord(k.owner) ? k.owner.id : undefined;
    const owned = owner === undefined ? id.split("#", 1)[0] === actorId : owner === actorId;
    if (owned) return { id, owner: actorId, publicKeyPem: pem };
  }
  return undefined;
}

/** A poster token, in the shape the posting service accepts (server/domain/poster-token.ts). */
function posterTokenOf(v: unknown): string | undefined {
  return typeof v === "string" && /^[A-Za-z0-9_-]{16,64}$/.test(v) ? v : undefined;
}

/** The fields Atoll's own context adds to a post, when another Atoll instance sent them. */
function atollExtras(v: Rec, L: Limits): AtollExtras | undefined {
  const { postNumber, tripcode, posterId, sage, capcode, posterToken, board } = v;
  if (
    postNumber === undefined &&
    tripcode === undefined &&
    posterId === undefined &&
    sage === undefined &&
    capcode === undefined &&
    posterToken === undefined &&
    board === undefined
  ) {
    return undefined;
  }
  return {
    postNumber:
      typeof postNumber === "number" && Number.isSafeInteger(postNumber) && postNumber > 0 ? postNumber : undefined,
    tripcode: shortString(tripcode, 64),
    posterId: shortString(posterId, 32),
    sage: typeof sage === "boolean" ? sage : undefined,
    capcode: shortString(capcode, 32),
    posterToken: posterTokenOf(posterToken),
    board: optionalUrl(board, L),
  };
}
