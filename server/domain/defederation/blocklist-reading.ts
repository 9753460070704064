import type { BlocklistEntry, BlocklistFormat } from "../defederation-ports.js";
import { DomainError } from "../errors.js";
import { isSeverity, normalizeDomain, type Severity } from "./rules.js";

/*
 * What the blocklist readers share (./blocklist-csv.ts, ./blocklist-json.ts, ./blocklist-formats.ts).
 * Everything here is pure: text in, values out. Readers never throw on bad content (each bad line
 * or item becomes an entry in `errors`, with its line, and is left out); they throw only
 * DomainError("too_large") when the input is over the limits below, because a list cut short would
 * silently drop blocks (and a sync would then retract them).
 */

/** At most this many distinct domains in one list. One more is DomainError("too_large"). */
export const MAX_BLOCKLIST_ENTRIES = 20_000;
/** At most this many bytes (UTF-8) of list text. More is DomainError("too_large"). */
export const MAX_BLOCKLIST_BYTES = 10 * 1024 * 1024;
/**
 * Public comments longer than this are cut to it when read, so what a list says compares equal to
 * the rule stored from it (rules keep at most this much) and a sync does not rewrite it every time.
 */
export const MAX_PUBLIC_COMMENT = 1000;
/** At most this many errors are listed; one last entry (line 0) counts the rest. */
export const MAX_PARSE_ERRORS = 1000;

/** A line (or, for JSON, an item) that was left out, and why. Line 0 is the document as a whole. */
export interface ParseError {
  line: number;
  message: string;
}

export interface ParseResult {
  entries: BlocklistEntry[];
  errors: ParseError[];
}

/** The formats a list can actually be read in (`auto` resolved). */
export type ConcreteBlocklistFormat = Exclude<BlocklistFormat, "auto">;

/** Collects errors, listing at most MAX_PARSE_ERRORS of them so garbage cannot grow the result. */
export class ErrorList {
  readonly list: ParseError[] = [];
  #dropped = 0;

  add(line: number, message: string): void {
    if (this.list.length < MAX_PARSE_ERRORS) this.list.push({ line, message });
    else this.#dropped++;
  }

  finish(): ParseError[] {
    if (this.#dropped > 0) this.list.push({ line: 0, message: `${this.#dropped} more errors not listed` });
    return this.list;
  }
}

/** Distinct entries by domain, the later one winning, bounded by MAX_BLOCKLIST_ENTRIES. */
export class EntryMap {
  readonly #map = new Map<string, BlocklistEntry>();

  set(entry: BlocklistEntry): void {
    if (!this.#map.has(entry.domain) && this.#map.size >= MAX_BLOCKLIST_ENTRIES) {
      throw new DomainError("too_large", `The list has more than ${MAX_BLOCKLIST_ENTRIES} domains.`);
    }
    this.#map.set(entry.domain, entry);
  }

  values(): BlocklistEntry[] {
    return [...this.#map.values()];
  }
}

export function checkSize(text: string): void {
  // A UTF-8 encoding is never shorter than the string's UTF-16 length, so most texts need no count.
  if (
    text.length > MAX_BLOCKLIST_BYTES ||
    (text.length * 3 > MAX_BLOCKLIST_BYTES && utf8Length(text) > MAX_BLOCKLIST_BYTES)
  ) {
    throw new DomainError("too_large", `The list is over ${MAX_BLOCKLIST_BYTES / (1024 * 1024)} MB.`);
  }
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A short, printable quotation of what was read, for error messages. */
export function quote(raw: string): string {
  let s = "";
  for (const ch of raw) s += ch < " " || ch === "\u007f" ? " " : ch;
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

export function comment(value: unknown): string {
  return typeof value === "string" ? value.slice(0, MAX_PUBLIC_COMMENT) : "";
}

/** Severity words as lists write them; empty means suspend (Mastodon's default). */
export function readSeverity(raw: string): Severity | null {
  const s = raw.trim().toLowerCase();
  if (s === "") return "suspend";
  if (s === "limit") return "silence"; // Mastodon's interface calls silence "limit"
  return isSeverity(s) ? s : null;
}

export function readBool(raw: string): boolean | null {
  const s = raw.trim().toLowerCase();
  if (s === "" || s === "false") return false;
  if (s === "true") return true;
  return null;
}

/**
 * A name already in canonical form: lower-case ASCII labels, at least two, the last starting with a
 * letter (so not an IPv4 address), no punycode (which IDNA would check). `normalizeDomain` returns
 * such a name unchanged, and lists are nearly all made of them, so they skip the URL parser, which
 * is most of the cost of reading a long list.
 */
const CANONICAL = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function domainOf(raw: string): string | null {
  if (raw.length <= 253 && CANONICAL.test(raw) && !raw.includes("xn--")) return raw;
  return normalizeDomain(raw);
}

export function invalidDomain(errors: ErrorList, line: number, raw: string): void {
  if (raw.trim() === "") errors.add(line, "no domain");
  else errors.add(line, `${quote(raw)} is not a domain name`);
}

export function notText(): ParseResult {
  return { entries: [], errors: [{ line: 0, message: "the list is not text" }] };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
