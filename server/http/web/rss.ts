/**
 * RSS 2.0 documents for a board's new threads and a thread's posts. Every piece of text is escaped
 * as XML character data (never CDATA, which a `]]>` in a subject would end), characters XML 1.0
 * cannot carry are dropped, and spoilered text never appears in clear: feed readers show `<s>` as
 * a strike-through, not hidden.
 */
import type { Board } from "../../domain/board.js";
import type { Post } from "../../domain/post.js";
import type { PostView } from "../../services/reader.js";
import type { Urls } from "../../services/urls.js";

export const RSS_TYPE = "application/rss+xml; charset=utf-8";
/** Threads in a board's feed, and posts in a thread's: the newest ones. */
export const FEED_ITEMS = 50;
const TITLE_LENGTH = 80;

// Everything outside XML 1.0's Char production: C0 controls but tab, newline and return, lone
// surrogates, U+FFFE and U+FFFF. The `u` flag makes a lone surrogate match as itself.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/gu;
const XML_SPECIAL = /[&<>"']/g;
const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Text as XML character data or attribute value: escaped, with characters XML cannot hold removed. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, "").replace(XML_SPECIAL, (c) => XML_ESCAPES[c]!);
}

/** RFC 822 date, as RSS 2.0 wants it. */
function rfc822(ms: number): string {
  return new Date(ms).toUTCString();
}

const SPOILER = "[spoiler]";

/**
 * The post's HTML (4chan `com` markup) with each spoiler replaced by a placeholder. Spoilers nest
 * (and a federated post's HTML may be unbalanced), so the walk counts depth and drops everything
 * inside the outermost `<s>` until its match, or to the end.
 */
export function withoutSpoilers(markup: string): string {
  let out = "";
  let depth = 0;
  let at = 0;
  const tag = /<(\/?)s>/gi;
  for (let m = tag.exec(markup); m; m = tag.exec(markup)) {
    if (m[1] === "") {
      if (depth === 0) out += `${markup.slice(at, m.index)}${SPOILER}`;
      depth++;
    } else if (depth > 0) {
      depth--;
    } else {
      out += markup.slice(at, m.index);
    }
    at = m.index + m[0].length;
  }
  return depth === 0 ? out + markup.slice(at) : out;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#039": "'", nbsp: " " };

/** Plain text of markup without its spoilers: tags removed, entities read, whitespace collapsed, cut. */
export function feedTeaser(markup: string, max: number): string {
  const plain = withoutSpoilers(markup)
    .replace(/<br\s*\/?>|<\/p>/gi, " ")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
      const known = ENTITIES[name.toLowerCase()];
      if (known !== undefined) return known;
      const code = name.startsWith("#x") || name.startsWith("#X") ? Number.parseInt(name.slice(2), 16) : NaN;
      const dec = name.startsWith("#") && Number.isNaN(code) ? Number.parseInt(name.slice(1), 10) : code;
      return Number.isFinite(dec) && dec > 0 && dec <= 0x10ffff ? String.fromCodePoint(dec) : whole;
    })
    .replace(/\s+/g, " ")
    .trim();
  const chars = Array.from(plain);
  return chars.length <= max
    ? plain
    : `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

/** An item's title: the subject, else the start of the comment, else its number. */
function itemTitle(post: Post): string {
  return post.subject || feedTeaser(post.html, TITLE_LENGTH) || `No. ${post.no}`;
}

/** An item's description: the thumbnail (unless spoilered) and the comment, as HTML to be escaped. */
function itemDescription(board: Board, post: Post, urls: Urls, link: string): string {
  const f = post.file;
  const thumb =
    f && !f.spoiler
      ? `<p><a href="${xmlText(link)}"><img src="${xmlText(urls.thumb(board.uri, f))}" width="${f.thumbWidth}" height="${f.thumbHeight}" alt=""></a></p>`
      : f
        ? `<p>${SPOILER} image</p>`
        : "";
  const subject = post.subject && post.no !== post.threadNo ? `<p><b>${xmlText(post.subject)}</b></p>` : "";
  // Quote links are relative to the page; a feed reader shows them elsewhere.
  const thread = urls.thread(board.uri, post.threadNo);
  const comment = withoutSpoilers(post.html)
    .replace(/href="#/g, `href="${thread}#`)
    .replace(/href="\//g, `href="${urls.publicUrl}/`);
  return `${thumb}${subject}<p>${comment}</p>`;
}

function item(board: Board, view: PostView, urls: Urls): string {
  const { post } = view;
  const link = urls.thread(board.uri, post.threadNo, post.no);
  const guid = urls.apId(post);
  const author = post.trip ? `${post.name} ${post.trip}` : post.name;
  return `<item>
<title>${xmlText(itemTitle(post))}</title>
<link>${xmlText(link)}</link>
<guid isPermaLink="${guid === link ? "true" : "false"}">${xmlText(guid)}</guid>
<pubDate>${rfc822(post.createdAt)}</pubDate>
<dc:creator>${xmlText(author)}</dc:creator>
<description>${xmlText(itemDescription(board, post, urls, link))}</description>
</item>`;
}

interface Channel {
  title: string;
  link: string;
  self: string;
  description: string;
  modifiedAt: number;
}

function channel(c: Channel, items: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>${xmlText(c.title)}</title>
<link>${xmlText(c.link)}</link>
<atom:link href="${xmlText(c.self)}" rel="self" type="application/rss+xml"/>
<description>${xmlText(c.description)}</description>
<lastBuildDate>${rfc822(c.modifiedAt)}</lastBuildDate>
${items.join("\n")}
</channel>
</rss>
`;
}

/** A board's newest threads, each as its opening post. `ops` newest first. */
export function boardFeed(board: Board, ops: PostView[], urls: Urls, modifiedAt: number): string {
  return channel(
    {
      title: `/${board.uri}/ - ${board.title}`,
      link: urls.board(board.uri),
      self: urls.boardFeed(board.uri),
      description: board.description || board.title,
      modifiedAt,
    },
    ops.map((v) => item(board, v, urls)),
  );
}

/** A thread's newest posts, newest first. */
export function threadFeed(board: Board, op: Post, posts: PostView[], urls: Urls, modifiedAt: number): string {
  return channel(
    {
      title: `/${board.uri}/ - ${itemTitle(op)}`,
      link: urls.thread(board.uri, op.no),
      self: urls.threadFeed(board.uri, op.no),
      description: feedTeaser(op.html, 300) || `Thread No. ${op.no} on /${board.uri}/`,
      modifiedAt,
    },
    posts.map((v) => item(board, v, urls)),
  );
}
