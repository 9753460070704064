import sanitizeHtml from "sanitize-html";
import { escapeHtml, normalizeComment } from "../../server/domain/markup.js";

/** Elements whose text is never content (scripts, styles, form widgets): dropped with what they hold. */
export const NON_TEXT_TAGS = [
  "script",
  "style",
  "textarea",
  "option",
  "noscript",
  "template",
  "title",
  "iframe",
  "object",
  "svg",
];

/**
 * The policy for post bodies, as a function of the sanitize-html module and the non-text tags: it
 * refers to nothing outside itself but its parameters and standard globals, so the very same code
 * runs here and, as source, in the sanitizer threads (see SanitizerThreads).
 *
 * Kept: paragraphs, line breaks, links (http and https only, absolute, `nofollow`), mentions and
 * hashtags as Mastodon marks them up, emphasis, code, quotes and lists. Everything else goes:
 * scripts with their text, attributes, styles, images, iframes.
 */
export function contentPolicy(lib: typeof sanitizeHtml, nonTextTags: string[]): (html: string) => string {
  const rel = "nofollow noopener noreferrer ugc";
  const httpUrl = (href: string | undefined): string | null => {
    if (href === undefined || href.length > 2048) return null;
    try {
      const u = new URL(href);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch {
      return null;
    }
  };
  const options: sanitizeHtml.IOptions = {
    allowedTags: ["p", "br", "a", "span", "strong", "em", "b", "i", "s", "code", "pre", "blockquote", "ul", "ol", "li"],
    allowedAttributes: { a: ["href", "rel"], span: ["class"] },
    allowedClasses: { span: ["h-card", "mention", "quote"] },
    allowedSchemes: ["http", "https"],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ["href"],
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    nonTextTags: nonTextTags,
    // Every link is absolute http(s) and marked as user content; anything else loses its href.
    transformTags: {
      a: (tagName, attribs) => {
        const href = httpUrl(attribs["href"]);
        const kept: sanitizeHtml.Attributes = href ? { href, rel } : {};
        return { tagName, attribs: kept };
      },
    },
  };
  return (html) => lib(html, options);
}

const sanitizeBody = contentPolicy(sanitizeHtml, NON_TEXT_TAGS);

const TEXT_OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [],
  allowedAttributes: {},
  disallowedTagsMode: "discard",
  nonTextTags: NON_TEXT_TAGS,
};

/** Remote HTML reduced to what a post body may hold (see contentPolicy). */
export function sanitizeContent(html: string): string {
  return sanitizeBody(html).trim();
}

/** The characters sanitize-html escapes in text, back to what they stand for. */
const ENTITIES: Readonly<Record<string, string>> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"' };

function decodeEscapes(text: string): string {
  return text.replace(/&(amp|lt|gt|quot);/g, (e) => ENTITIES[e] ?? e);
}

/**
 * Remote HTML as both a post body and its text, parsed once: the text is read off the sanitized
 * HTML, which holds only allowlisted tags, with every `<`, `>` and `&` in text and attribute values
 * escaped, so a tag is exactly a `<…>` run and the only entities are the four sanitize-html writes.
 * Line breaks and paragraph ends become newlines as in `htmlToText`.
 */
export function sanitizeWithText(html: string): { html: string; text: string } {
  return withText(sanitizeBody(html));
}

/** What `contentPolicy` made of some HTML, trimmed, with its text read off it (see sanitizeWithText). */
export function withText(clean: string): { html: string; text: string } {
  const breaks = clean.replace(/<br \/>/g, "\n").replace(/<\/(?:p|li|blockquote|pre)>/g, "\n\n");
  return { html: clean.trim(), text: normalizeComment(decodeEscapes(breaks.replace(/<[^>]*>/g, ""))) };
}

/**
 * The text of remote HTML: tags stripped, entities decoded, line breaks and paragraphs kept as
 * newlines, in the form local comments are stored.
 */
export function htmlToText(html: string): string {
  const breaks = html.replace(/<br\s*\/?>/gi, "\n").replace(/<\/(p|li|blockquote|pre)>/gi, "\n\n");
  return normalizeComment(decodeEscapes(sanitizeHtml(breaks, TEXT_OPTIONS)));
}

/** A name or summary as plain text on one line: tags stripped, whitespace collapsed. */
export function plainText(html: string): string {
  return htmlToText(html).replace(/\s+/g, " ").trim();
}

/** Plain text as post HTML: escaped, with line breaks. */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\n/g, "<br>");
}
