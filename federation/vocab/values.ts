/**
 * The normaliser's readers of single members: refusals, records, ids and URLs, type names, text,
 * dates and sizes. Each reads one value as the ecosystem sends it and either returns it bounded,
 * leaves it out (undefined), or refuses the whole document by throwing a Refusal, which the entry
 * points in ./normalize.ts turn into a NormalizeError.
 */
import { isKnownType } from "./as-types.js";
import type { NormalizeLimits } from "./types.js";
import { urlProblem } from "./url.js";

const AS_NAMESPACE = "https://www.w3.org/ns/activitystreams#";

/** Longest accepted values of fields that are short by nature; longer ones are left out. */
const MAX_TYPE_LENGTH = 256;
const MAX_MEDIA_TYPE_LENGTH = 255;
const MAX_DATE_LENGTH = 64;
const MAX_DIMENSION = 1_000_000;
/** How many entries of an array are looked at when only the best or first usable one is wanted. */
export const MAX_CANDIDATES = 16;

export type Rec = Record<string, unknown>;
export type Limits = Readonly<NormalizeLimits>;

/** Thrown inside the normaliser and turned into a NormalizeError at the entry points; no stack. */
export class Refusal {
  constructor(readonly reason: string) {}
}

export function refuse(reason: string): never {
  throw new Refusal(reason);
}

export function isRecord(v: unknown): v is Rec {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function record(v: unknown): Rec {
  if (!isRecord(v)) refuse("is not a JSON object");
  return v;
}

export function checkedId(s: string, field: string, L: Limits): string {
  const problem = urlProblem(s, L.maxIdLength);
  if (problem !== undefined) refuse(`${field} ${problem}`);
  return s;
}

export function requiredId(v: unknown, field: string, L: Limits): string {
  if (typeof v !== "string") refuse(v === undefined || v === null ? `has no ${field}` : `${field} is not a string`);
  return checkedId(v, field, L);
}

/** An optional URL that is simply left out when unusable. */
export function optionalUrl(v: unknown, L: Limits): string | undefined {
  return typeof v === "string" && urlProblem(v, L.maxIdLength) === undefined ? v : undefined;
}

/** A type name without an `as:` or full ActivityStreams prefix; of several, the first known one. */
export function typeName(v: unknown): string | undefined {
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

export function requiredType(v: unknown): string {
  const type = typeName(v);
  if (type === undefined) refuse(v === undefined ? "has no type" : "type is not a usable string");
  return type;
}

/** Cut to `max` UTF-16 units without splitting a surrogate pair. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

export function shortString(v: unknown, max: number): string | undefined {
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
export function langText(value: unknown, map: unknown, max: number): string | undefined {
  const s = typeof value === "string" ? value : firstMapValue(map);
  return s === undefined ? undefined : cut(s, max);
}

/** Post content, which must arrive whole: longer than the limit refuses the document. */
export function content(value: unknown, map: unknown, field: string, L: Limits): string | undefined {
  const s = typeof value === "string" ? value : firstMapValue(map);
  if (s !== undefined && s.length > L.maxContentLength) {
    refuse(`${field} is longer than ${L.maxContentLength} characters`);
  }
  return s;
}

export function source(v: unknown, L: Limits): { content: string; mediaType?: string } | undefined {
  // Pleroma sends the source text bare.
  if (typeof v === "string") return { content: content(v, undefined, "source", L)! };
  if (!isRecord(v)) return undefined;
  const text = content(v.content, undefined, "source.content", L);
  if (text === undefined) return undefined;
  return { content: text, mediaType: mediaType(v.mediaType) };
}

export function mediaType(v: unknown): string | undefined {
  return typeof v === "string" && v.length <= MAX_MEDIA_TYPE_LENGTH && v.includes("/") ? v : undefined;
}

/** An ISO 8601 timestamp as sent, when it parses. */
export function date(v: unknown): string | undefined {
  if (typeof v !== "string" || v.length > MAX_DATE_LENGTH) return undefined;
  return Number.isNaN(Date.parse(v)) ? undefined : v;
}

export function dimension(v: unknown): number | undefined {
  return typeof v === "number" && Number.isInteger(v) && v > 0 && v <= MAX_DIMENSION ? v : undefined;
}
