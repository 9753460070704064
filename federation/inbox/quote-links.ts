import type { Services } from "../../server/services/container.js";

/*
 * Quote links in federated posts. Atoll writes `>>N` as a link to the post's page
 * (`{PUBLIC_URL}/{board}/thread/{thread}#p{N}`), and a post's number means something only on its
 * own instance: once the link is read into comment text, `>>N` would name OUR post N. So a quote
 * link becomes a quote only when its target is a post we have (one of ours, or a remote post we
 * mirror), with our number for it; anything else, and any `>>N` written as plain text, is kept
 * inert (see inertQuotes).
 */

/** A link label that reads as a quote: `>>N` or `>>>/board/N`. */
const QUOTE_LABEL = /^>>(?:>\/[a-z0-9]{1,30}\/)?[0-9]{1,15}$/;

/** A post's page or object URL as Atoll mints them: `{base}/{board}/thread/{no}[#p{no}]` or `{base}/{board}/post/{no}`. */
const POST_URL =
  /^(https?:\/\/[^/?#]+(?:\/[^?#]*)?)\/([a-z0-9]{1,30})\/(thread|post)\/([1-9][0-9]{0,14})(?:#p([1-9][0-9]{0,14}))?$/;

/** Whether a link's (decoded, trimmed) label is a quote. */
export function isQuoteLabel(label: string): boolean {
  return QUOTE_LABEL.test(label);
}

/** The fullwidth sign that stands in for `>` where a quote must not be read (it looks alike). */
const FULLWIDTH_GT = "\uff1e";

/**
 * `>>N`, `>>>/board/N` and `>>>/board/` in comment text made inert: the two signs that open a quote
 * become fullwidth `＞＞`, which reads the same and which the markup does not take as a quote (nor as
 * greentext). The markup has no escape of its own, and invisible characters are stripped from comments.
 */
export function inertQuotes(text: string): string {
  return text.replace(/>>(?=[0-9]|>\/)/g, `${FULLWIDTH_GT}${FULLWIDTH_GT}`);
}

/** The same over sanitized HTML, where the text's `>` is written `&gt;`. */
export function inertQuotesInHtml(html: string): string {
  return html.replace(/&gt;&gt;(?=[0-9]|&gt;\/)/g, `${FULLWIDTH_GT}${FULLWIDTH_GT}`);
}

interface Target {
  board: string;
  no: number;
}

/** The post an Atoll-shaped URL names: its base (PUBLIC_URL), board and number. */
function atollPost(href: string): (Target & { base: string; op: boolean | null }) | null {
  const m = POST_URL.exec(href);
  if (!m) return null;
  const [, base, board, kind, no, fragment] = m;
  if (fragment !== undefined) {
    // `thread/T#pN`: post N of thread T, the opening post when N = T.
    if (kind !== "thread") return null;
    return { base: base!, board: board!, no: Number(fragment), op: fragment === no };
  }
  return { base: base!, board: board!, no: Number(no), op: kind === "thread" };
}

/** The object ids a remote post at `href` may be mirrored under: the URL itself, else Atoll's ids for it. */
function remoteIds(href: string): string[] {
  const post = atollPost(href);
  if (post === null) return [href];
  const { base, board, no, op } = post;
  const ids = [href];
  if (op !== false) ids.push(`${base}/${board}/thread/${no}`);
  if (op !== true) ids.push(`${base}/${board}/post/${no}`);
  return ids;
}

function quoteOf(target: Target, board: string): string {
  return target.board === board ? `>>${target.no}` : `>>>/${target.board}/${target.no}`;
}

/**
 * The quote text (`>>N`, or `>>>/other/N` for a post on another of our boards) for each of `hrefs`
 * that names a post we have, for a post on `board`: our own posts by their page or object URL, remote
 * posts by the object id we mirror them under (one store read for all). Unknown targets are left out.
 */
export async function quoteTargets(
  s: Pick<Services, "config" | "store">,
  board: string,
  hrefs: readonly string[],
): Promise<Map<string, string>> {
  const quotes = new Map<string, string>();
  const remote = new Map<string, string[]>();
  const prefix = s.config.publicUrl;
  for (const href of new Set(hrefs)) {
    if (href.startsWith(`${prefix}/`)) {
      const post = atollPost(href);
      if (post !== null && post.base === prefix) quotes.set(href, quoteOf(post, board));
    } else {
      remote.set(href, remoteIds(href));
    }
  }
  if (remote.size === 0) return quotes;
  const refs = await s.store.federation.remotePosts.getMany([...remote.values()].flat());
  const byId = new Map(refs.map((r) => [r.apId, r]));
  for (const [href, ids] of remote) {
    const ref = ids.map((id) => byId.get(id)).find((r) => r !== undefined);
    if (ref !== undefined) quotes.set(href, quoteOf(ref, board));
  }
  return quotes;
}
