/**
 * What the inbound normaliser produces: plain, typed objects holding only what Atoll reads, every id an
 * absolute http(s) URL without credentials and every string bounded. `ok` discriminates a result from
 * a refusal; `kind` tells the normalized shapes apart where an activity embeds another document.
 */

/** Why a document was refused; `reason` is safe to log and names the offending field. */
export interface NormalizeError {
  ok: false;
  reason: string;
}

/** Recipients, each an id; the public collection is always the full `…/activitystreams#Public` IRI. */
export interface Addressing {
  to: string[];
  cc: string[];
  bto: string[];
  bcc: string[];
  audience: string[];
}

export interface NormalizedActivity extends Addressing {
  ok: true;
  kind: "activity";
  id: string;
  /** A bare term such as `Create` (from an array of types, the first ActivityStreams one). */
  type: string;
  /** The actor's id. */
  actor: string;
  /** The (first) object, as its id or normalized when it was embedded. */
  object?: string | NormalizedEmbedded;
  /** The id of every object; a Flag lists the reported account and its posts. */
  objectIds: string[];
  target?: string;
  published?: string;
  updated?: string;
  inReplyTo?: string;
  /** A moderation reason (Lemmy's Block, Delete, Lock). */
  summary?: string;
  /** A report's comment (Flag). */
  content?: string;
  /** The poster token a Flag from another Atoll names (see the Atoll JSON-LD context). */
  posterToken?: string;
}

export type NormalizedEmbedded = NormalizedObject | NormalizedActivity | NormalizedActor;

export interface NormalizedAttachment {
  /** `Document`, `Image`, `Video`, `Audio` or `Link`. */
  type: string;
  url: string;
  mediaType?: string;
  /** Alternative text. */
  name?: string;
  width?: number;
  height?: number;
  blurhash?: string;
  sensitive?: boolean;
}

export type NormalizedTag =
  | { type: "Mention"; href: string; name?: string }
  | { type: "Hashtag"; name: string; href?: string };

/** Imageboard fields a post from another Atoll instance carries (see the Atoll JSON-LD context). */
export interface AtollExtras {
  postNumber?: number;
  tripcode?: string;
  posterId?: string;
  sage?: boolean;
  capcode?: string;
  /** The poster's per-board pseudonymous token on the post's own instance. */
  posterToken?: string;
  board?: string;
}

export interface NormalizedObject extends Addressing {
  ok: true;
  kind: "object";
  id: string;
  type: string;
  /** The author: the Person when several actors are named (the Group goes to `audience`). */
  attributedTo?: string;
  name?: string;
  /** HTML as sent (not sanitized here); from `contentMap` when there is no `content`. */
  content?: string;
  mediaType?: string;
  source?: { content: string; mediaType?: string };
  summary?: string;
  sensitive?: boolean;
  /** The object's human-facing page. */
  url?: string;
  attachment: NormalizedAttachment[];
  tag: NormalizedTag[];
  /** The id of a quoted post (`quote`, `quoteUrl`, `_misskey_quote` or `quoteUri`). */
  quote?: string;
  inReplyTo?: string;
  published?: string;
  updated?: string;
  atoll?: AtollExtras;
}

export interface NormalizedPublicKey {
  id: string;
  owner: string;
  publicKeyPem: string;
}

export interface NormalizedActor {
  ok: true;
  kind: "actor";
  id: string;
  /** `Person`, `Group`, `Service`, `Application`, `Organization`, or another actor type. */
  type: string;
  preferredUsername?: string;
  name?: string;
  summary?: string;
  inbox: string;
  outbox?: string;
  followers?: string;
  following?: string;
  /** `endpoints.sharedInbox` (or a top-level `sharedInbox`, as Discourse sends it). */
  sharedInbox?: string;
  /** The key owned by this actor; absent when none is, even if keys of other actors are listed. */
  publicKey?: NormalizedPublicKey;
  /** Avatar URL (the largest image when several are offered). */
  icon?: string;
  url?: string;
  manuallyApprovesFollowers: boolean;
}

export interface NormalizedCollection {
  ok: true;
  kind: "collection";
  id: string;
  type: string;
  totalItems?: number;
  /** The first page, as its id or normalized when embedded (an embedded page without an id has the collection's). */
  first?: string | NormalizedCollection;
  next?: string;
  /** Items (from `orderedItems` or `items`): ids, or normalized documents; malformed items are left out. */
  items: Array<string | NormalizedEmbedded>;
}

export type NormalizedDocument = NormalizedActivity | NormalizedObject | NormalizedActor | NormalizedCollection;

/** Bounds applied while normalizing; see DEFAULT_NORMALIZE_LIMITS. */
export interface NormalizeLimits {
  /** Longest id or URL; a longer id refuses the document, a longer optional URL is left out. */
  maxIdLength: number;
  /** Longest `content` or `source.content`; longer refuses the document. */
  maxContentLength: number;
  /** Longest `summary`; longer is cut. */
  maxSummaryLength: number;
  /** Longest `name`, alt text and other short text; longer is cut. */
  maxNameLength: number;
  /** Most recipients in one addressing field; more refuses the document. */
  maxRecipients: number;
  /** Most attachments kept. */
  maxAttachments: number;
  /** Most tags read. */
  maxTags: number;
  /** Most objects a Flag (or any activity) may name; more refuses it. */
  maxObjects: number;
  /** Most collection items kept. */
  maxItems: number;
  /** Deepest embedding (Announce → Create → Note is 3); deeper documents are kept as their id. */
  maxEmbedDepth: number;
}
