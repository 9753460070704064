/**
 * The normaliser's readers of what a post links to: its `url`, images (the best of several),
 * attachments, tags (mentions and hashtags) and the post it quotes. An unusable entry is left out,
 * never refused.
 */
import type { NormalizedAttachment, NormalizedTag } from "./types.js";
import {
  cut,
  dimension,
  isRecord,
  type Limits,
  MAX_CANDIDATES,
  mediaType,
  optionalUrl,
  type Rec,
  shortString,
  typeName,
} from "./values.js";

const MAX_BLURHASH_LENGTH = 128;

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
export function urlOf(v: unknown, L: Limits): string | undefined {
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
export function imageUrl(v: unknown, L: Limits): string | undefined {
  if (typeof v === "string") return optionalUrl(v, L);
  if (isRecord(v)) {
    const url = v.url;
    if (Array.isArray(url)) return bestLink(url, L)?.url;
    return hrefOf(v, L);
  }
  if (Array.isArray(v)) return bestLink(v, L)?.url;
  return undefined;
}

export function attachments(v: unknown, L: Limits): NormalizedAttachment[] {
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

export function tags(v: unknown, L: Limits): NormalizedTag[] {
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
export function quoteOf(v: Rec, L: Limits): string | undefined {
  const candidates = [v.quote, v.quoteUrl, v._misskey_quote, v.quoteUri];
  for (const c of candidates) {
    const id = typeof c === "string" ? c : isRecord(c) ? c.id : undefined;
    const url = optionalUrl(id, L);
    if (url !== undefined) return url;
  }
  return undefined;
}
