import { domainOfUrl, type PolicyDecision } from "../../server/domain/defederation/rules.js";
import type { Services } from "../../server/services/container.js";
import type { FederationIds } from "../ids.js";
import {
  AS_PUBLIC,
  type NormalizedActivity,
  type NormalizedDocument,
  type NormalizedEmbedded,
} from "../vocab/normalize.js";
import { resolveLocalOrigin } from "./local-posts.js";

/*
 * The domain rules applied to an inbound activity once its signer is known. Every id the activity
 * carries counts, however deeply it is wrapped: relaying a suspended domain's post through an
 * allowed instance (an Announce of a third-party object), a group, a quote, a reply or a mention
 * must not get around the block.
 */

/** One URL an activity names, with where it was found (for logs and the refusal's text). */
export interface ActivityReference {
  /** A path such as `object.inReplyTo` or `object.object.tag`. */
  field: string;
  url: string;
}

/** Why an activity is refused: the first reference on a suspended domain. */
export interface DomainRefusal {
  field: string;
  url: string;
  host: string;
  /** The board whose rules refused it; null for the instance's. */
  board: string | null;
  decision: PolicyDecision;
}

/** What the check reads of the rules (`DomainPolicy` has it). */
export interface PolicyReader {
  check(host: string, board?: string): PolicyDecision;
}

/** Members naming a quoted post, in the order the normaliser reads them; all of them are checked. */
const QUOTE_KEYS = ["quote", "quoteUrl", "quoteUri", "_misskey_quote"] as const;
/** How deep raw JSON is walked for quotes (Announce → Create → Note is 3). */
const MAX_RAW_DEPTH = 4;
/** Most entries of one raw array looked at. */
const MAX_RAW_ITEMS = 64;
/** Most stored posts read while following reply chains. */
const MAX_CHAIN_READS = 16;

/**
 * Every URL the normalised activity names that a domain rule may cover: its id, actor and key, its
 * objects (ids, and for embedded ones everything they name, recursively), target, inReplyTo,
 * quotes, mentions and hashtags, and every addressee but the public collection. With `json` (the
 * activity as received), quotes are read from every member that may carry one, not only the one
 * the normaliser kept.
 */
export function activityReferences(
  activity: NormalizedActivity,
  opts: { json?: unknown; keyId?: string } = {},
): ActivityReference[] {
  const out: ActivityReference[] = [];
  if (opts.keyId !== undefined) out.push({ field: "keyId", url: opts.keyId });
  collectActivity(activity, "", out);
  if (opts.json !== undefined) collectRawQuotes(opts.json, "", 0, out);
  return out;
}

function push(out: ActivityReference[], field: string, url: string | undefined): void {
  if (url !== undefined && url !== AS_PUBLIC) out.push({ field, url });
}

function pushAll(out: ActivityReference[], field: string, urls: readonly string[]): void {
  for (const url of urls) push(out, field, url);
}

function collectActivity(a: NormalizedActivity, prefix: string, out: ActivityReference[]): void {
  push(out, `${prefix}id`, a.id);
  push(out, `${prefix}actor`, a.actor);
  pushAll(out, `${prefix}object`, a.objectIds);
  push(out, `${prefix}target`, a.target);
  push(out, `${prefix}inReplyTo`, a.inReplyTo);
  collectAddressing(a, prefix, out);
  if (a.object !== undefined && typeof a.object !== "string") collectEmbedded(a.object, `${prefix}object.`, out);
}

function collectAddressing(
  a: { to: string[]; cc: string[]; bto: string[]; bcc: string[]; audience: string[] },
  prefix: string,
  out: ActivityReference[],
): void {
  pushAll(out, `${prefix}to`, a.to);
  pushAll(out, `${prefix}cc`, a.cc);
  pushAll(out, `${prefix}bto`, a.bto);
  pushAll(out, `${prefix}bcc`, a.bcc);
  pushAll(out, `${prefix}audience`, a.audience);
}

function collectEmbedded(doc: NormalizedEmbedded, prefix: string, out: ActivityReference[]): void {
  if (doc.kind === "activity") {
    collectActivity(doc, prefix, out);
    return;
  }
  push(out, `${prefix}id`, doc.id);
  if (doc.kind === "actor") {
    push(out, `${prefix}inbox`, doc.inbox);
    push(out, `${prefix}sharedInbox`, doc.sharedInbox);
    return;
  }
  push(out, `${prefix}attributedTo`, doc.attributedTo);
  push(out, `${prefix}inReplyTo`, doc.inReplyTo);
  push(out, `${prefix}quote`, doc.quote);
  for (const tag of doc.tag) push(out, `${prefix}tag`, tag.href);
  collectAddressing(doc, prefix, out);
}

/** The quote members of the raw JSON, at every level of `object` nesting. */
function collectRawQuotes(v: unknown, prefix: string, depth: number, out: ActivityReference[]): void {
  if (depth > MAX_RAW_DEPTH || v === null || typeof v !== "object") return;
  if (Array.isArray(v)) {
    const n = Math.min(v.length, MAX_RAW_ITEMS);
    for (let i = 0; i < n; i++) collectRawQuotes(v[i], prefix, depth + 1, out);
    return;
  }
  const rec = v as Record<string, unknown>;
  for (const key of QUOTE_KEYS) {
    const q = rec[key];
    const url =
      typeof q === "string" ? q : q !== null && typeof q === "object" ? (q as { id?: unknown }).id : undefined;
    if (typeof url === "string") push(out, `${prefix}${key}`, url);
  }
  // attributedTo may name several actors (a person and its group); the normaliser keeps one.
  const by = rec["attributedTo"];
  if (Array.isArray(by)) {
    const n = Math.min(by.length, MAX_RAW_ITEMS);
    for (let i = 0; i < n; i++) {
      const e = by[i];
      const url = typeof e === "string" ? e : e !== null && typeof e === "object" ? (e as { id?: unknown }).id : null;
      if (typeof url === "string") push(out, `${prefix}attributedTo`, url);
    }
  }
  collectRawQuotes(rec["object"], `${prefix}object.`, depth + 1, out);
}

/**
 * The local boards the references name (a board's actor, inbox or collections among the
 * addressees or mentions): their rules apply on top of the instance's.
 */
export function addressedBoards(refs: readonly ActivityReference[], boardOf: (id: string) => string | null): string[] {
  const boards = new Set<string>();
  for (const r of refs) {
    const b = boardOf(r.url);
    if (b !== null) boards.add(b);
  }
  return [...boards];
}

/**
 * The first reference on a domain that is suspended for the instance or for one of `boards`, or
 * null. Each host is checked once; URLs without a usable host are left to the handlers.
 */
export function suspendedReference(
  policy: PolicyReader,
  refs: readonly ActivityReference[],
  boards: readonly string[] = [],
): DomainRefusal | null {
  const seen = new Set<string>();
  for (const ref of refs) {
    const host = domainOfUrl(ref.url);
    if (host === null || seen.has(host)) continue;
    seen.add(host);
    const decision = policy.check(host);
    if (decision.suspended) return { field: ref.field, url: ref.url, host, board: null, decision };
    for (const board of boards) {
      const d = policy.check(host, board);
      if (d.suspended) return { field: ref.field, url: ref.url, host, board, decision: d };
    }
  }
  return null;
}

/**
 * The check over a normalised activity alone (no store): every reference of the activity against
 * the instance's rules and the rules of the boards it concerns (`boards`, plus those it addresses
 * when `boardOf` recognises local board ids).
 */
export function checkActivityDomains(
  policy: PolicyReader,
  activity: NormalizedActivity,
  opts: {
    json?: unknown;
    keyId?: string;
    boards?: readonly string[];
    boardOf?: (id: string) => string | null;
  } = {},
): DomainRefusal | null {
  const refs = activityReferences(activity, opts);
  const boards = new Set(opts.boards ?? []);
  if (opts.boardOf) for (const b of addressedBoards(refs, opts.boardOf)) boards.add(b);
  return suspendedReference(policy, refs, [...boards]);
}

/**
 * The references of a document fetched by id (the object of a Create or an Announce named only by
 * its id): checked like an embedded one once it has arrived, before any handler uses it.
 */
export function documentReferences(doc: NormalizedDocument, json?: unknown): ActivityReference[] {
  const out: ActivityReference[] = [];
  if (doc.kind === "collection") {
    push(out, "fetched.id", doc.id);
    return out;
  }
  collectEmbedded(doc, "fetched.", out);
  if (json !== undefined) collectRawQuotes(json, "fetched.", 0, out);
  return out;
}

/**
 * The whole inbound check: `checkActivityDomains`, then the posts the activity replies to (or
 * quotes) that are held here. A mirrored parent (or the mirrored thread it sits in) brings in its
 * own origin and author, and its board's rules: replying to a suspended domain's post through an
 * allowed instance is refused like replying to it directly.
 */
export async function checkInboundDomains(
  deps: { s: Pick<Services, "policy" | "store" | "config">; ids: FederationIds },
  activity: NormalizedActivity,
  opts: { json?: unknown; keyId?: string; board?: string | null } = {},
): Promise<DomainRefusal | null> {
  return checkReferences(deps, activityReferences(activity, opts), opts.board ?? null);
}

/** `refs` against the rules of the instance, of `board` and of the boards they address, and their chains. */
export async function checkReferences(
  deps: { s: Pick<Services, "policy" | "store" | "config">; ids: FederationIds },
  refs: readonly ActivityReference[],
  board: string | null = null,
): Promise<DomainRefusal | null> {
  const { s, ids } = deps;
  const boards = new Set<string>();
  if (board) boards.add(board);
  for (const b of addressedBoards(refs, (id) => ids.boardOf(id))) boards.add(b);
  const direct = suspendedReference(s.policy, refs, [...boards]);
  if (direct) return direct;

  const chain: ActivityReference[] = [];
  const chainBoards = new Set(boards);
  const seenPosts = new Set<string>();
  let reads = 0;
  for (const ref of refs) {
    if (reads >= MAX_CHAIN_READS) break;
    if (!isParentField(ref.field)) continue;
    // Only posts held here form a chain: ours by URL, mirrored ones by their object id.
    reads++;
    const post = await resolveLocalOrigin(s, ref.url);
    if (!post) continue;
    chainBoards.add(post.board);
    const key = `${post.board}/${post.no}`;
    if (seenPosts.has(key)) continue;
    seenPosts.add(key);
    pushOrigin(chain, `${ref.field}(held)`, post);
    if (post.no !== post.threadNo && reads < MAX_CHAIN_READS) {
      reads++;
      const op = await s.store.posts.getOrigin(post.board, post.threadNo);
      if (op) pushOrigin(chain, `${ref.field}(thread)`, op);
    }
  }
  if (chain.length === 0 && chainBoards.size === boards.size) return null;
  // The boards of held parents add their rules to everything named.
  return suspendedReference(s.policy, [...chain, ...refs], [...chainBoards]);
}

function isParentField(field: string): boolean {
  if (field.endsWith("inReplyTo")) return true;
  for (const key of QUOTE_KEYS) if (field.endsWith(key)) return true;
  return false;
}

function pushOrigin(
  out: ActivityReference[],
  field: string,
  post: { apId: string | null; fediActor: string | null },
): void {
  if (post.apId !== null) out.push({ field, url: post.apId });
  if (post.fediActor !== null) out.push({ field: `${field}.author`, url: post.fediActor });
}

/** A refusal in words, for the peer and the logs. */
export function describeRefusal(r: DomainRefusal): string {
  const whose = r.board === null ? "this instance" : `/${r.board}/`;
  return `${r.field} names ${r.host}, which ${whose} does not federate with (${r.decision.reason}).`;
}
