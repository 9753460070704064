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
 */
import { ACTIVITY_TYPES, ACTOR_TYPES, COLLECTION_TYPES, isKnownType, LINK_TYPES, OBJECT_TYPES } from "./as-types.js";
import type {
  AtollExtras,
  NormalizedActivity,
  NormalizedActor,
  NormalizedAttachment,
  NormalizedCollection,
  NormalizedDocument,
  NormalizedEmbedded,
  NormalizedObject,
  NormalizedPublicKey,
  NormalizedTag,
  NormalizeError,
  NormalizeLimits,
} from "./types.js";
import { urlProblem } from "./url.js";

export type * from "./types.js";

const AS_NAMESPACE = "https://www.w3.org/ns/activitystreams#";
export const AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

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

/** Longest accepted values of fields that are short by nature; longer ones are left out. */
const MAX_TYPE_LENGTH = 256;
const MAX_USERNAME_LENGTH = 256;
const MAX_MEDIA_TYPE_LENGTH = 255;
const MAX_DATE_LENGTH = 64;
const MAX_BLURHASH_LENGTH = 128;
const MAX_PEM_LENGTH = 16_384;
const MAX_DIMENSION = 1_000_000;
/** How many entries of an array are looked at when only the best or first usable one is wanted. */
const MAX_CANDIDATES = 16;

type Rec = Record<string, unknown>;
type Limits = Readonly<NormalizeLimits>;

/** Thrown inside the normaliser and turned into a NormalizeError at the entry points; no stack. */
class Refusal {
  constructor(readonly reason: string) {}
}

function refuse(reason: string): never {
  throw new Refusal(reason);
}

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

// ---------------------------------------------------------------------------------------------------
// Documents

function activity(json: unknown, L: Limits, depth: number): NormalizedActivity {
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
  };
}

function object(json: unknown, L: Limits): NormalizedObject {
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

function actor(json: unknown, L: Limits): NormalizedActor {
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

function collection(json: unknown, L: Limits, depth: number): NormalizedCollection {
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
function embedded(v: Rec, L: Limits, depth: number): NormalizedEmbedded {
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
// Ids, references and addressing

function isRecord(v: unknown): v is Rec {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function record(v: unknown): Rec {
  if (!isRecord(v)) refuse("is not a JSON object");
  return v;
}

function checkedId(s: string, field: string, L: Limits): string {
  const problem = urlProblem(s, L.maxIdLength);
  if (problem !== undefined) refuse(`${field} ${problem}`);
  return s;
}

function requiredId(v: unknown, field: string, L: Limits): string {
  if (typeof v !== "string") refuse(v === undefined || v === null ? `has no ${field}` : `${field} is not a string`);
  return checkedId(v, field, L);
}

/** `actor`: an id, an object with an id, or a one-element array of either. */
function actorId(v: unknown, L: Limits): string {
  if (typeof v === "string") return checkedId(v, "actor", L);
  if (isRecord(v)) return requiredId(v.id, "actor.id", L);
  if (Array.isArray(v)) {
    if (v.length === 1) return actorId(v[0], L);
    refuse(v.length === 0 ? "has no actor" : "actor names several actors");
  }
  refuse(v === undefined || v === null ? "has no actor" : "actor is neither an id nor an object");
}

/** An optional reference that must be valid when present (`inReplyTo` and `target`). */
function optionalRef(v: unknown, field: string, L: Limits): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return checkedId(v, field, L);
  if (isRecord(v)) return requiredId(v.id, `${field}.id`, L);
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    if (v.length === 1) return optionalRef(v[0], field, L);
    refuse(`${field} names several objects`);
  }
  refuse(`${field} is neither an id nor an object`);
}

/** An optional URL that is simply left out when unusable. */
function optionalUrl(v: unknown, L: Limits): string | undefined {
  return typeof v === "string" && urlProblem(v, L.maxIdLength) === undefined ? v : undefined;
}

function isPublic(s: string): boolean {
  return s === AS_PUBLIC || s === "as:Public" || s === "Public" || s === "http://www.w3.org/ns/activitystreams#Public";
}

function address(v: unknown, L: Limits): string | undefined {
  const s = typeof v === "string" ? v : isRecord(v) && typeof v.id === "string" ? v.id : undefined;
  if (s === undefined) return undefined;
  if (isPublic(s)) return AS_PUBLIC;
  return urlProblem(s, L.maxIdLength) === undefined ? s : undefined;
}

/** A recipient field as an array of ids; unusable entries are left out, too many refuse. */
function addresses(v: unknown, field: string, L: Limits): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) {
    if (v.length > L.maxRecipients) refuse(`${field} has more than ${L.maxRecipients} recipients`);
    const out: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const a = address(v[i], L);
      if (a !== undefined) out.push(a);
    }
    return out;
  }
  const a = address(v, L);
  return a === undefined ? [] : [a];
}

/**
 * `attributedTo`: an id, an object, or (Lemmy, Mbin, PeerTube) an array of actors. The author is the
 * Person among them (else the first usable entry); a Group among them is where the post was published.
 */
function attribution(v: unknown, L: Limits): { author?: string; group?: string } {
  if (v === undefined || v === null) return {};
  if (typeof v === "string") return { author: checkedId(v, "attributedTo", L) };
  if (isRecord(v)) return { author: requiredId(v.id, "attributedTo.id", L) };
  if (!Array.isArray(v)) refuse("attributedTo is neither an id nor an object");
  let person: string | undefined;
  let group: string | undefined;
  let first: string | undefined;
  const n = Math.min(v.length, MAX_CANDIDATES);
  for (let i = 0; i < n; i++) {
    const e = v[i];
    if (typeof e === "string") {
      first ??= checkedId(e, "attributedTo", L);
    } else if (isRecord(e)) {
      const id = requiredId(e.id, "attributedTo.id", L);
      const type = typeName(e.type);
      if (type === "Person") person ??= id;
      else if (type === "Group") group ??= id;
      else first ??= id;
    }
  }
  return { author: person ?? first ?? group, group: person !== undefined || first !== undefined ? group : undefined };
}

// ---------------------------------------------------------------------------------------------------
// Types, text, dates

/** A type name without an `as:` or full ActivityStreams prefix; of several, the first known one. */
function typeName(v: unknown): string | undefined {
  if (typeof v === "string") return bareType(v);
  if (!Array.isArray(v)) return undefined;
  let first: string | undefined;
  const n = Math.min(v.length, MAX_CANDIDATES);
  for (let i = 0; i < n; i++) {
    const e = v[i];
    if (typeof e !== "string") continue;
    const t = bareType(e);
    if (t === undefined) continue;
    if (isKnownType(t)) return t;
    first ??= t;
  }
  return first;
}

function bareType(t: string): string | undefined {
  if (t.length === 0 || t.length > MAX_TYPE_LENGTH) return undefined;
  if (t.startsWith("as:")) return t.slice(3);
  if (t.startsWith(AS_NAMESPACE)) return t.slice(AS_NAMESPACE.length);
  return t;
}

function requiredType(v: unknown): string {
  const type = typeName(v);
  if (type === undefined) refuse(v === undefined ? "has no type" : "type is not a usable string");
  return type;
}

/** Cut to `max` UTF-16 units without splitting a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function shortString(v: unknown, max: number): string | undefined {
  return typeof v === "string" && v.length <= max ? v : undefined;
}

/** The first string value of a language map (`contentMap`, `nameMap`, `summaryMap`). */
function firstMapValue(map: unknown): string | undefined {
  if (!isRecord(map)) return undefined;
  for (const key in map) {
    const value = map[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** Display text: the plain value, else the language map's first value; cut to `max`. */
function langText(value: unknown, map: unknown, max: number): string | undefined {
  const s = typeof value === "string" ? value : firstMapValue(map);
  return s === undefined ? undefined : cut(s, max);
}

/** Post content, which must arrive whole: longer than the limit refuses the document. */
function content(value: unknown, map: unknown, field: string, L: Limits): string | undefined {
  const s = typeof value === "string" ? value : firstMapValue(map);
  if (s !== undefined && s.length > L.maxContentLength) {
    refuse(`${field} is longer than ${L.maxContentLength} characters`);
  }
  return s;
}

function source(v: unknown, L: Limits): { content: string; mediaType?: string } | undefined {
  // Pleroma sends the source text bare.
  if (typeof v === "string") return { content: content(v, undefined, "source", L)! };
  if (!isRecord(v)) return undefined;
  const text = content(v.content, undefined, "source.content", L);
  if (text === undefined) return undefined;
  return { content: text, mediaType: mediaType(v.mediaType) };
}

function mediaType(v: unknown): string | undefined {
  return typeof v === "string" && v.length <= MAX_MEDIA_TYPE_LENGTH && v.includes("/") ? v : undefined;
}

/** An ISO 8601 timestamp as sent, when it parses. */
function date(v: unknown): string | undefined {
  if (typeof v !== "string" || v.length > MAX_DATE_LENGTH) return undefined;
  return Number.isNaN(Date.parse(v)) ? undefined : v;
}

function dimension(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v > 0 && v <= MAX_DIMENSION ? v : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Links, images, attachments, tags

/** The URL a Link (`href`) or an Image/Document (`url`, possibly itself a Link) points to. */
function hrefOf(link: Rec, L: Limits): string | undefined {
  const href = optionalUrl(link.href, L);
  if (href !== undefined) return href;
  const url = link.url;
  if (typeof url === "string") return optionalUrl(url, L);
  if (isRecord(url)) return optionalUrl(url.href, L);
  return undefined;
}

/** `url`: a string, a Link, or an array of them; the first HTML (or untyped) link wins. */
function urlOf(v: unknown, L: Limits): string | undefined {
  if (typeof v === "string") return optionalUrl(v, L);
  if (isRecord(v)) return hrefOf(v, L);
  if (!Array.isArray(v)) return undefined;
  let fallback: string | undefined;
  const n = Math.min(v.length, MAX_CANDIDATES);
  for (let i = 0; i < n; i++) {
    const e = v[i];
    if (typeof e === "string") {
      const u = optionalUrl(e, L);
      if (u !== undefined) return u;
    } else if (isRecord(e)) {
      const u = hrefOf(e, L);
      if (u === undefined) continue;
      const type = typeof e.mediaType === "string" ? e.mediaType : undefined;
      if (type === undefined || type === "text/html") return u;
      fallback ??= u;
    }
  }
  return fallback;
}

/** Of several links or images, the best picture: an image type first, then the most pixels. */
function bestLink(list: unknown[], L: Limits): { link: Rec; url: string } | undefined {
  let best: { link: Rec; url: string } | undefined;
  let bestScore = -1;
  const n = Math.min(list.length, MAX_CANDIDATES);
  for (let i = 0; i < n; i++) {
    const e = list[i];
    if (!isRecord(e)) continue;
    const url = hrefOf(e, L);
    if (url === undefined) continue;
    const isImage = typeof e.mediaType === "string" && e.mediaType.startsWith("image/");
    const area = (dimension(e.width) ?? 0) * (dimension(e.height) ?? 0);
    const score = (isImage ? 2 ** 45 : 0) + Math.min(area, 2 ** 44);
    if (score > bestScore) {
      best = { link: e, url };
      bestScore = score;
    }
  }
  return best;
}

/** An avatar or header: a URL, an Image, or an array of Images (the largest is taken). */
function imageUrl(v: unknown, L: Limits): string | undefined {
  if (typeof v === "string") return optionalUrl(v, L);
  if (isRecord(v)) {
    const url = v.url;
    if (Array.isArray(url)) return bestLink(url, L)?.url;
    return hrefOf(v, L);
  }
  if (Array.isArray(v)) return bestLink(v, L)?.url;
  return undefined;
}

function attachments(v: unknown, L: Limits): NormalizedAttachment[] {
  const out: NormalizedAttachment[] = [];
  if (v === undefined || v === null) return out;
  const list = Array.isArray(v) ? v : [v];
  const scan = Math.min(list.length, L.maxAttachments * 4);
  for (let i = 0; i < scan && out.length < L.maxAttachments; i++) {
    const a = attachment(list[i], L);
    if (a !== undefined) out.push(a);
  }
  return out;
}

function attachment(e: unknown, L: Limits): NormalizedAttachment | undefined {
  if (typeof e === "string") {
    const url = optionalUrl(e, L);
    return url === undefined ? undefined : { type: "Link", url };
  }
  if (!isRecord(e)) return undefined;
  const type = typeName(e.type) ?? "Document";
  // Profile fields (PropertyValue) and custom emoji are not media.
  if (type === "PropertyValue" || type === "Emoji") return undefined;
  let link: Rec | undefined;
  let url: string | undefined;
  const raw = e.url !== undefined ? e.url : e.href;
  if (typeof raw === "string") url = optionalUrl(raw, L);
  else if (isRecord(raw)) {
    link = raw;
    url = hrefOf(raw, L);
  } else if (Array.isArray(raw)) {
    const best = bestLink(raw, L);
    link = best?.link;
    url = best?.url;
  }
  if (url === undefined) return undefined;
  return {
    type,
    url,
    mediaType: mediaType(e.mediaType) ?? (link ? mediaType(link.mediaType) : undefined),
    name: typeof e.name === "string" ? cut(e.name, L.maxNameLength) : undefined,
    width: dimension(e.width) ?? (link ? dimension(link.width) : undefined),
    height: dimension(e.height) ?? (link ? dimension(link.height) : undefined),
    blurhash: shortString(e.blurhash, MAX_BLURHASH_LENGTH),
    sensitive: typeof e.sensitive === "boolean" ? e.sensitive : undefined,
  };
}

function tags(v: unknown, L: Limits): NormalizedTag[] {
  const out: NormalizedTag[] = [];
  if (v === undefined || v === null) return out;
  const list = Array.isArray(v) ? v : [v];
  const scan = Math.min(list.length, L.maxTags * 2);
  for (let i = 0; i < scan && out.length < L.maxTags; i++) {
    const e = list[i];
    if (!isRecord(e)) continue;
    const type = typeName(e.type);
    if (type === "Mention") {
      const href = optionalUrl(e.href, L);
      if (href === undefined) continue;
      out.push({ type: "Mention", href, name: shortString(e.name, L.maxNameLength) });
    } else if (type === "Hashtag") {
      const name = shortString(e.name, L.maxNameLength);
      if (name === undefined || name.length === 0) continue;
      out.push({ type: "Hashtag", name, href: optionalUrl(e.href, L) });
    }
  }
  return out;
}

/** The quoted post: FEP-044f `quote`, Misskey's `quoteUrl` and `_misskey_quote`, Fedibird's `quoteUri`. */
function quoteOf(v: Rec, L: Limits): string | undefined {
  const candidates = [v.quote, v.quoteUrl, v._misskey_quote, v.quoteUri];
  for (const c of candidates) {
    const id = typeof c === "string" ? c : isRecord(c) ? c.id : undefined;
    const url = optionalUrl(id, L);
    if (url !== undefined) return url;
  }
  return undefined;
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

/** The fields Atoll's own context adds to a post, when another Atoll instance sent them. */
function atollExtras(v: Rec, L: Limits): AtollExtras | undefined {
  const { postNumber, tripcode, posterId, sage, capcode, board } = v;
  if (
    postNumber === undefined &&
    tripcode === undefined &&
    posterId === undefined &&
    sage === undefined &&
    capcode === undefined &&
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
    board: optionalUrl(board, L),
  };
}
