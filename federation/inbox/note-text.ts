import { normalizeComment } from "../../server/domain/markup.js";
import type { NormalizedObject } from "../vocab/normalize.js";
import { inertQuotes, inertQuotesInHtml, isQuoteLabel } from "./quote-links.js";
import { plainText } from "./sanitize.js";
import type { SanitizerThreads } from "./sanitizer-threads.js";

const SUBJECT_LENGTH = 100;

/** A remote object as post text, in the form local comments are stored (rendered by the posting service). */
export interface NoteText {
  subject: string | null;
  /** Plain text in Atoll's markup, within the board's comment limit. */
  comment: string;
}

/**
 * A remote object as an imageboard post: its text is stored as a local comment is, so pages and the
 * 4chan JSON render it into the same markup (`<br>`, greentext, quote links, plain links) by the
 * one path local posts take. From the sanitized HTML: links whose label hides their address keep
 * it in brackets, the leading mention of our actors (`@b`) is dropped, and so is a first line that
 * repeats the subject. A thread takes its subject from the object's `name` (a Lemmy, Mbin or Atoll
 * title), or else from a short first line followed by more text, which then leaves the comment.
 * A content warning (`summary`) goes on top as a line of its own.
 */
export async function noteText(
  sanitizer: Pick<SanitizerThreads, "sanitizeWithText">,
  note: NormalizedObject,
  op: boolean,
  maxCommentLength: number,
  /** Whether a mention's target is one of this instance's actors. */
  isOurs: (href: string) => boolean = () => false,
  /** Our quote text for the posts quote links name, for those we have (see quoteTargets). */
  quoteTargets: QuoteTargets = async () => new Map(),
): Promise<NoteText> {
  let text: string;
  const content = note.content;
  if (content !== undefined && note.mediaType !== "text/plain") {
    const clean = (await sanitizer.sanitizeWithText(content)).html;
    const hrefs = quoteHrefs(clean);
    text = htmlAsComment(clean, hrefs.length === 0 ? new Map() : await quoteTargets(hrefs));
  } else {
    text = inertQuotes(normalizeComment(content ?? note.source?.content ?? ""));
  }
  let lines = text.split("\n");
  lines = dropLeadingMentions(lines, ourMentions(note, isOurs));
  lines = dropNameLine(lines, note);
  let subject: string | null = null;
  if (op) {
    const title = note.name ? plainText(note.name).slice(0, SUBJECT_LENGTH) : "";
    const first = firstTextLine(lines);
    if (title) {
      subject = title;
      if (first !== -1 && sameText(lines[first]!, title)) lines = lines.slice(first + 1);
    } else if (first !== -1) {
      const line = lines[first]!.trim();
      const rest = lines.slice(first + 1);
      if (line.length <= SUBJECT_LENGTH && rest.some((l) => l.trim() !== "")) {
        subject = line;
        lines = rest;
      }
    }
  }
  text = normalizeComment(lines.join("\n")).trim();
  const warning = note.summary ? plainText(note.summary) : "";
  if (warning) text = `${warning}\n\n${text}`.trim();
  return { subject, comment: text.slice(0, maxCommentLength) };
}

/** The quote text for each quote link's address that names a post we have. */
export type QuoteTargets = (hrefs: string[]) => Promise<ReadonlyMap<string, string>>;

const TAG = /<[^>]*>/g;
const ENTITIES: Readonly<Record<string, string>> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"' };
/** A link as the content policy writes it: an absolute http(s) href, then the label. */
const LINK = /<a href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g;

const decode = (s: string): string => s.replace(/&(amp|lt|gt|quot);/g, (e) => ENTITIES[e] ?? e);
/** Text back into the sanitized HTML around it, with the entities `decode` reads. */
const encode = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;"));

/** The addresses of the quote links (`>>N` labels) in sanitized HTML. */
export function quoteHrefs(clean: string): string[] {
  const hrefs: string[] = [];
  for (const m of clean.matchAll(LINK)) {
    if (isQuoteLabel(decode(m[2]!.replace(TAG, "")).trim())) hrefs.push(decode(m[1]!));
  }
  return hrefs;
}

/**
 * Sanitized HTML (see contentPolicy: allowlisted tags only, text escaped) as comment text: line
 * breaks and block ends as newlines, paragraphs as a blank line, block quotes as greentext, and a
 * link whose label is not its address (nor a mention or hashtag) as `label (address)`, so the plain
 * link survives as a link. A quote link whose address `quotes` knows becomes our quote of that post;
 * every other `>>N` (a link to a post we do not have, plain text) is made inert, so it never names
 * our post N.
 */
export function htmlAsComment(clean: string, quotes: ReadonlyMap<string, string> = new Map()): string {
  const linked = clean.replace(LINK, (_m, href: string, label: string) => {
    const text = decode(label.replace(TAG, "")).trim();
    const url = decode(href);
    const quote = isQuoteLabel(text) ? quotes.get(url) : undefined;
    // Written as is, not escaped: the only `>>` that inertQuotesInHtml below leaves a quote.
    if (quote !== undefined) return quote;
    if (text === "" || /^[@#]/.test(text) || sameAddress(text, url)) return encode(text || url);
    return encode(`${text} (${url})`);
  });
  const inert = inertQuotesInHtml(linked);
  const quoted = inert.replace(/<blockquote>([\s\S]*?)<\/blockquote>/g, (_m, inner: string) => {
    const body = blockText(inner).trim();
    return `\n${body
      .split("\n")
      .map((l) => `>${l}`)
      .join("\n")}\n\n`;
  });
  return normalizeComment(blockText(quoted)).trim();
}

function blockText(html: string): string {
  const breaks = html
    .replace(/<br \/>/g, "\n")
    .replace(/<\/(?:p|pre)>/g, "\n\n")
    .replace(/<\/li>/g, "\n");
  return decode(breaks.replace(TAG, "")).replace(/\n{3,}/g, "\n\n");
}

/** Whether a label shows the link's own address (Mastodon drops the scheme and shortens long ones). */
function sameAddress(label: string, href: string): boolean {
  const bare = (u: string) => u.replace(/^https?:\/\//i, "").replace(/\/$/, "");
  const l = bare(label).replace(/…$/, "");
  return l.length > 0 && bare(href).startsWith(l);
}

/** The names under which the object mentions our actors (`@b`, `@b@host`), lower case. */
function ourMentions(note: NormalizedObject, isOurs: (href: string) => boolean): Set<string> {
  const names = new Set<string>();
  for (const t of note.tag) {
    if (t.type !== "Mention" || !isOurs(t.href)) continue;
    const last = t.href.replace(/\/$/, "").split("/").pop() ?? "";
    if (last) names.add(`@${last.toLowerCase()}`);
    if (t.name) {
      const name = (t.name.startsWith("@") ? t.name : `@${t.name}`).toLowerCase();
      names.add(name);
      names.add(name.replace(/^(@[^@]+)@.*$/, "$1"));
    }
  }
  return names;
}

/** The first line with text left of its leading mentions of our actors. */
function dropLeadingMentions(lines: string[], ours: Set<string>): string[] {
  if (ours.size === 0) return lines;
  const first = firstTextLine(lines);
  if (first === -1) return lines;
  const words = lines[first]!.trim().split(/\s+/);
  let i = 0;
  while (i < words.length && ours.has(words[i]!.toLowerCase())) i++;
  if (i === 0) return lines;
  const rest = words.slice(i).join(" ");
  return rest ? [...lines.slice(0, first), rest, ...lines.slice(first + 1)] : lines.slice(first + 1);
}

/**
 * Earlier Atoll versions wrote the poster's name line (`Anonymous No.12`, a tripcode beside it) into
 * the content of a post they sent: dropped from a post that carries Atoll's post number, wherever it
 * stands among the first lines (under the subject, when there is one).
 */
function dropNameLine(lines: string[], note: NormalizedObject): string[] {
  const no = note.atoll?.postNumber;
  if (no === undefined) return lines;
  const suffix = ` No.${no}`;
  const at = lines.findIndex((l, i) => i < 4 && l.trim().endsWith(suffix));
  return at === -1 ? lines : [...lines.slice(0, at), ...lines.slice(at + 1)];
}

function firstTextLine(lines: string[]): number {
  return lines.findIndex((l) => l.trim() !== "");
}

const sameText = (a: string, b: string): boolean => a.replace(/\s+/g, " ").trim() === b.replace(/\s+/g, " ").trim();
