/**
 * Imageboard markup, rendered once when a post is written into 4chan's `com` HTML.
 *
 * The comment is read by one left-to-right scan (no backtracking regular expressions over user text),
 * so the cost is linear in its length. Every character of user text leaves this module HTML-escaped;
 * the only tags in the output are the ones built here.
 *
 * - a line starting with `>` (and not with a quote link) is greentext: `<span class="quote">`
 * - `>>123` links to a post on this board, `>>>/b/123` to a post on another board, `>>>/b/` to a
 *   board; an unknown target becomes `<span class="deadlink">`
 * - `[spoiler]…[/spoiler]` and `**…**` become `<s>…</s>`; they may span lines, and a tag left
 *   unpaired stays as text
 * - `[code]…[/code]` becomes `<pre class="prettyprint">` with no other markup inside
 * - http(s) URLs become links that open in a new tab with no referrer
 */
import { LinkifyIt } from "linkify-it";
import { stripFormatChars } from "./format-chars.js";

export interface MarkupContext {
  /** The board the post is written on. */
  board: string;
  /** The thread of a post on this board, or null when there is no such post. */
  threadOf(no: number): number | null;
  /** The thread of a post on another board, or null when unknown. */
  crossThreadOf(board: string, no: number): number | null;
  boardExists(board: string): boolean;
}

export interface QuoteRefs {
  /** Distinct `>>N` numbers, in order of appearance. */
  sameBoard: number[];
  /** Distinct `>>>/board/N` (or `>>>/board/` with `no: null`) references, in order of appearance. */
  crossBoard: { board: string; no: number | null }[];
}

/** Blank lines allowed in a row; longer runs are cut down to this. */
const MAX_BLANK_LINES = 2;
/** Longest post number a quote may name (beyond this the digits stay text). */
const MAX_QUOTE_DIGITS = 15;
const MAX_BOARD_LENGTH = 30;

const LINK_REL = "nofollow noopener noreferrer ugc";

// One configured instance serves every call: its settings never change after this line, and
// matching is synchronous, so sharing it between server instances shares no state that matters.
const linkify = new LinkifyIt()
  .set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false })
  .add("ftp:", null)
  .add("mailto:", null)
  .add("//", null);

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#039;",
};
const HTML_SPECIAL = /[&<>"']/g;

/** Escapes text for use in HTML content and in double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(HTML_SPECIAL, (c) => HTML_ESCAPES[c]!);
}

// C0 controls except tab and newline, DEL and the C1 controls: invisible, and some break layouts.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const LINE_BREAKS = /\r\n?|[\u2028\u2029]/g;

/**
 * The comment as it will be stored and rendered: `\n` line breaks, no control characters nor
 * spoofing format characters (./format-chars.ts), no trailing whitespace on any line, no blank lines
 * at either end and at most two in a row.
 */
export function normalizeComment(text: string): string {
  const lines = stripFormatChars(text.replace(LINE_BREAKS, "\n").replace(CONTROL, "")).split("\n");
  const out: string[] = [];
  let blanks = 0;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (line === "") {
      blanks++;
      continue;
    }
    if (out.length > 0) for (let i = Math.min(blanks, MAX_BLANK_LINES); i > 0; i--) out.push("");
    blanks = 0;
    out.push(line);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Tokens. Offsets index the normalised comment, so text is sliced out only when it is rendered.

interface TextToken {
  kind: "text";
  start: number;
  end: number;
}
interface NewlineToken {
  kind: "nl";
}
/** Marks the start of a greentext line. */
interface GreenToken {
  kind: "green";
}
interface SpoilerToken {
  kind: "spoiler";
  /** `**` toggles; `[spoiler]` opens and `[/spoiler]` closes. */
  star: boolean;
  open: boolean;
  /** Set by pairing; an unpaired tag is rendered as the text it was. */
  paired: boolean;
  start: number;
  end: number;
}
interface QuoteToken {
  kind: "quote";
  no: number;
  start: number;
  end: number;
}
interface CrossQuoteToken {
  kind: "xquote";
  board: string;
  no: number | null;
  start: number;
  end: number;
}
interface CodeToken {
  kind: "code";
  /** The content between the tags. */
  start: number;
  end: number;
}
type Token = TextToken | NewlineToken | GreenToken | SpoilerToken | QuoteToken | CrossQuoteToken | CodeToken;

const NL = 0x0a;
const GT = 0x3e;
const STAR = 0x2a;
const LBRACKET = 0x5b;
const SLASH = 0x2f;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isBoardChar = (c: number) => (c >= 0x61 && c <= 0x7a) || isDigit(c);

/** Whether `lit` (lowercase ASCII) occurs at `at`, ignoring ASCII case. */
function matchesAt(src: string, at: number, lit: string): boolean {
  if (at + lit.length > src.length) return false;
  for (let k = 0; k < lit.length; k++) {
    const want = lit.charCodeAt(k);
    const got = src.charCodeAt(at + k);
    if (got !== want && !(want >= 0x61 && want <= 0x7a && got === want - 0x20)) return false;
  }
  return true;
}

/** Reads digits at `at`: the number and where they end, or null when there are none or too many. */
function readNumber(src: string, at: number): { no: number; end: number } | null {
  let end = at;
  while (end < src.length && isDigit(src.charCodeAt(end))) end++;
  if (end === at || end - at > MAX_QUOTE_DIGITS) return null;
  return { no: Number(src.slice(at, end)), end };
}

/** A `>>N`, `>>>/board/N` or `>>>/board/` starting at `at` (which holds `>>`), or null. */
function quoteAt(src: string, at: number): QuoteToken | CrossQuoteToken | null {
  const third = src.charCodeAt(at + 2);
  if (isDigit(third)) {
    const n = readNumber(src, at + 2);
    return n ? { kind: "quote", no: n.no, start: at, end: n.end } : null;
  }
  if (third !== GT || src.charCodeAt(at + 3) !== SLASH) return null;
  const boardStart = at + 4;
  let boardEnd = boardStart;
  while (boardEnd < src.length && boardEnd - boardStart <= MAX_BOARD_LENGTH && isBoardChar(src.charCodeAt(boardEnd))) {
    boardEnd++;
  }
  const length = boardEnd - boardStart;
  if (length === 0 || length > MAX_BOARD_LENGTH || src.charCodeAt(boardEnd) !== SLASH) return null;
  const board = src.slice(boardStart, boardEnd);
  if (isDigit(src.charCodeAt(boardEnd + 1))) {
    const n = readNumber(src, boardEnd + 1);
    if (n) return { kind: "xquote", board, no: n.no, start: at, end: n.end };
  }
  return { kind: "xquote", board, no: null, start: at, end: boardEnd + 1 };
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const n = src.length;
  let runStart = 0;
  let lineStart = true;
  // Once a search for [/code] has failed, every later [code] is unclosed too: never search again.
  let codeCanClose = true;
  const closeCode = /\[\/code\]/gi;

  const flush = (end: number) => {
    if (end > runStart) tokens.push({ kind: "text", start: runStart, end });
  };
  const emit = (token: SpoilerToken | QuoteToken | CrossQuoteToken, next: number) => {
    flush(token.start);
    tokens.push(token);
    runStart = next;
    return next;
  };

  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (lineStart) {
      lineStart = false;
      if (c === GT && !(src.charCodeAt(i + 1) === GT && quoteAt(src, i))) tokens.push({ kind: "green" });
    }
    if (c === NL) {
      flush(i);
      tokens.push({ kind: "nl" });
      i++;
      runStart = i;
      lineStart = true;
    } else if (c === STAR && src.charCodeAt(i + 1) === STAR) {
      i = emit({ kind: "spoiler", star: true, open: false, paired: false, start: i, end: i + 2 }, i + 2);
    } else if (c === GT && src.charCodeAt(i + 1) === GT) {
      const quote = quoteAt(src, i);
      if (quote) {
        i = emit(quote, quote.end);
      } else {
        i++;
      }
    } else if (c === LBRACKET) {
      if (matchesAt(src, i, "[spoiler]")) {
        i = emit({ kind: "spoiler", star: false, open: true, paired: false, start: i, end: i + 9 }, i + 9);
      } else if (matchesAt(src, i, "[/spoiler]")) {
        i = emit({ kind: "spoiler", star: false, open: false, paired: false, start: i, end: i + 10 }, i + 10);
      } else if (codeCanClose && matchesAt(src, i, "[code]")) {
        closeCode.lastIndex = i + 6;
        const close = closeCode.exec(src);
        if (close) {
          flush(i);
          tokens.push({ kind: "code", start: i + 6, end: close.index });
          i = close.index + 7;
          runStart = i;
        } else {
          codeCanClose = false;
          i += 6;
        }
      } else {
        i++;
      }
    } else {
      i++;
    }
  }
  flush(n);
  return tokens;
}

/**
 * Pairs spoiler tags. `[/spoiler]` closes the nearest open `[spoiler]`; `**` closes an open `**` when
 * it is the innermost open tag and opens one otherwise. A close that would cross another open tag
 * leaves that one unpaired, so the output always nests. Code blocks end every open spoiler.
 */
function pairSpoilers(tokens: Token[]): void {
  const open: SpoilerToken[] = [];
  for (const t of tokens) {
    if (t.kind === "code") {
      open.length = 0;
      continue;
    }
    if (t.kind !== "spoiler") continue;
    const top = open[open.length - 1];
    if (t.star) {
      if (top?.star) {
        top.paired = t.paired = true;
        t.open = false;
        open.pop();
      } else {
        t.open = true;
        open.push(t);
      }
    } else if (t.open) {
      open.push(t);
    } else {
      // `**` openers alternate with `[spoiler]` ones on the stack, so this walks at most two steps.
      let k = open.length - 1;
      while (k >= 0 && open[k]!.star) k--;
      if (k < 0) continue;
      open[k]!.paired = t.paired = true;
      open.length = k;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderText(text: string, out: string[]): void {
  // Every link has a scheme, so text without a colon skips the matcher.
  const matches = text.includes(":") ? linkify.match(text) : null;
  if (!matches) {
    out.push(escapeHtml(text));
    return;
  }
  let last = 0;
  for (const m of matches) {
    // Only http(s) is enabled, but the output is an href: check again rather than trust it.
    if (!/^https?:\/\//i.test(m.url)) continue;
    out.push(escapeHtml(text.slice(last, m.index)));
    out.push(
      `<a href="${escapeHtml(m.url)}" rel="${LINK_REL}" target="_blank">${escapeHtml(text.slice(m.index, m.lastIndex))}</a>`,
    );
    last = m.lastIndex;
  }
  out.push(escapeHtml(text.slice(last)));
}

function renderCode(content: string): string {
  // The line breaks right after [code] and right before [/code] are part of the tags' layout.
  let start = 0;
  let end = content.length;
  if (content.charCodeAt(0) === NL) start++;
  if (end > start && content.charCodeAt(end - 1) === NL) end--;
  return escapeHtml(content.slice(start, end)).replace(/\n/g, "<br>");
}

function postLink(board: string, thread: number, no: number, label: string): string {
  return `<a href="/${escapeHtml(board)}/thread/${thread}#p${no}" class="quotelink">${escapeHtml(label)}</a>`;
}

const deadLink = (label: string) => `<span class="deadlink">${escapeHtml(label)}</span>`;

/**
 * Renders a comment to HTML. `quotes` lists the distinct posts on this board that exist and are
 * quoted (`>>N`, or `>>>/thisboard/N`), for backlinks; a quote of an unknown post is rendered dead
 * and left out.
 */
export function renderMarkup(text: string, ctx: MarkupContext): { html: string; quotes: number[] } {
  const src = normalizeComment(text);
  const tokens = tokenize(src);
  pairSpoilers(tokens);

  const out: string[] = [];
  const quotes = new Set<number>();
  // Spoilers may span lines, but a greentext <span> ends with its line: around a greentext line the
  // open <s> tags are closed and reopened so the tags nest.
  let depth = 0;
  let spoilersShown = true;
  let green = false;
  let atLineStart = true;

  const closeSpoilers = () => {
    if (spoilersShown && depth > 0) out.push("</s>".repeat(depth));
    spoilersShown = false;
  };
  const reopenSpoilers = () => {
    if (!spoilersShown && depth > 0) out.push("<s>".repeat(depth));
    spoilersShown = true;
  };
  const endGreen = () => {
    if (!green) return;
    closeSpoilers();
    out.push("</span>");
    green = false;
  };

  for (const t of tokens) {
    if (atLineStart) {
      atLineStart = false;
      if (t.kind === "green") {
        closeSpoilers();
        out.push('<span class="quote">');
        green = true;
        reopenSpoilers();
        continue;
      }
      reopenSpoilers();
    }
    switch (t.kind) {
      case "green":
        break;
      case "nl":
        endGreen();
        out.push("<br>");
        atLineStart = true;
        break;
      case "text":
        renderText(src.slice(t.start, t.end), out);
        break;
      case "spoiler":
        if (!t.paired) {
          out.push(escapeHtml(src.slice(t.start, t.end)));
        } else if (t.open) {
          out.push("<s>");
          depth++;
        } else {
          out.push("</s>");
          depth--;
        }
        break;
      case "quote": {
        const label = src.slice(t.start, t.end);
        const thread = ctx.threadOf(t.no);
        if (thread === null) {
          out.push(deadLink(label));
        } else {
          out.push(postLink(ctx.board, thread, t.no, label));
          quotes.add(t.no);
        }
        break;
      }
      case "xquote": {
        const label = src.slice(t.start, t.end);
        if (t.no === null) {
          out.push(
            ctx.boardExists(t.board)
              ? `<a href="/${escapeHtml(t.board)}/" class="quotelink">${escapeHtml(label)}</a>`
              : deadLink(label),
          );
          break;
        }
        const local = t.board === ctx.board;
        const thread = ctx.crossThreadOf(t.board, t.no) ?? (local ? ctx.threadOf(t.no) : null);
        if (thread === null) {
          out.push(deadLink(label));
        } else {
          out.push(postLink(t.board, thread, t.no, label));
          if (local) quotes.add(t.no);
        }
        break;
      }
      case "code":
        // Pairing ends spoilers at code blocks, so none is open here; a greentext line ends.
        endGreen();
        out.push(`<pre class="prettyprint">${renderCode(src.slice(t.start, t.end))}</pre>`);
        break;
    }
  }
  endGreen();
  return { html: out.join(""), quotes: [...quotes] };
}

/**
 * The references a comment makes, so the caller can look them up before rendering. Quotes inside code
 * blocks are not references; the list is the same one `renderMarkup` will ask about.
 */
export function extractQuotes(text: string): QuoteRefs {
  const same = new Set<number>();
  const cross = new Map<string, { board: string; no: number | null }>();
  for (const t of tokenize(normalizeComment(text))) {
    if (t.kind === "quote") same.add(t.no);
    else if (t.kind === "xquote") {
      const key = `${t.board}/${t.no ?? ""}`;
      if (!cross.has(key)) cross.set(key, { board: t.board, no: t.no });
    }
  }
  return { sameBoard: [...same], crossBoard: [...cross.values()] };
}

/** What a spoiler shows in plain text: its words stay hidden, as on the page until hovered. */
export const SPOILER_PLACEHOLDER = "[spoiler]";

/**
 * Plain text for titles, catalog teasers, page descriptions and feeds: markup tags removed, spoilers'
 * text replaced by SPOILER_PLACEHOLDER, whitespace collapsed, cut to `max` characters (code points)
 * with an ellipsis. The result is text, still to be escaped where used.
 */
export function plainTextPreview(text: string, max: number): string {
  if (!(max > 0)) return "";
  const src = normalizeComment(text);
  const tokens = tokenize(src);
  pairSpoilers(tokens);
  const parts: string[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === "spoiler") {
      // An unpaired tag is dropped: it is markup, if broken.
      if (t.paired && t.open && depth++ === 0) parts.push(SPOILER_PLACEHOLDER);
      else if (t.paired && !t.open) depth--;
    } else if (t.kind === "nl") parts.push(" ");
    else if (t.kind === "code") parts.push(` ${src.slice(t.start, t.end)} `);
    else if (t.kind !== "green" && depth === 0) parts.push(src.slice(t.start, t.end));
  }
  const plain = parts.join("").replace(/\s+/g, " ").trim();
  // A string with no more UTF-16 units than `max` cannot have more code points.
  if (plain.length <= max) return plain;
  const chars = Array.from(plain);
  if (chars.length <= max) return plain;
  return `${chars
    .slice(0, Math.max(0, Math.floor(max) - 1))
    .join("")
    .trimEnd()}…`;
}
