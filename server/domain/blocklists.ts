import { createHash } from "node:crypto";
import {
  type DomainBlock,
  domainSuffixes,
  isSeverity,
  milder,
  normalizeDomain,
  obfuscateDomain,
  type Severity,
  severityRank,
  stricter,
} from "./domain-policy.js";
import type { BlocklistEntry, BlocklistFormat, ConsensusSettings } from "./domain-ports.js";
import { DomainError } from "./errors.js";

/*
 * Blocklists as other servers and tools write them, and how several of them combine into rules.
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

const CSV_COLUMNS = ["domain", "severity", "reject_media", "reject_reports", "public_comment", "obfuscate"] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const CSV_HEADER = CSV_COLUMNS.map((c) => `#${c}`).join(",");

// ------------------------------------------------------------------------------------------ helpers

/** Collects errors, listing at most MAX_PARSE_ERRORS of them so garbage cannot grow the result. */
class ErrorList {
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
class EntryMap {
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

function checkSize(text: string): void {
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

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A short, printable quotation of what was read, for error messages. */
function quote(raw: string): string {
  let s = "";
  for (const ch of raw) s += ch < " " || ch === "\u007f" ? " " : ch;
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

function comment(value: unknown): string {
  return typeof value === "string" ? value.slice(0, MAX_PUBLIC_COMMENT) : "";
}

/** Severity words as lists write them; empty means suspend (Mastodon's default). */
function readSeverity(raw: string): Severity | null {
  const s = raw.trim().toLowerCase();
  if (s === "") return "suspend";
  if (s === "limit") return "silence"; // Mastodon's interface calls silence "limit"
  return isSeverity(s) ? s : null;
}

function readBool(raw: string): boolean | null {
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

function domainOf(raw: string): string | null {
  if (raw.length <= 253 && CANONICAL.test(raw) && !raw.includes("xn--")) return raw;
  return normalizeDomain(raw);
}

function invalidDomain(errors: ErrorList, line: number, raw: string): void {
  if (raw.trim() === "") errors.add(line, "no domain");
  else errors.add(line, `${quote(raw)} is not a domain name`);
}

// ------------------------------------------------------------------------------------- CSV reading

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const HASH = 0x23;

interface CsvRecord {
  /** The physical line the record starts on, from 1. */
  line: number;
  fields: string[];
  /** The record starts with `#`: a header or a comment, read as one physical line. */
  hash: boolean;
  /** Why the record could not be read; its fields are then unusable. */
  error: string | null;
}

/**
 * An RFC 4180 reader: fields separated by commas, records by CRLF, LF or a lone CR; a field in
 * double quotes may hold commas, line breaks and doubled quotes. Spaces around a field are dropped
 * (inside quotes they are kept). A record starting with `#` is read as one physical line, so an
 * unbalanced quote in a comment cannot swallow the lines after it; likewise a quote left open at
 * the end of the text spoils only the line it starts on, and reading resumes on the next one.
 */
function* readCsv(text: string, hashLines: boolean): Generator<CsvRecord> {
  const n = text.length;
  let pos = 0;
  let line = 1;
  while (pos < n) {
    const start = pos;
    const startLine = line;
    if (hashLines && text.charCodeAt(pos) === HASH) {
      let end = pos;
      while (end < n && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
      const first = readCsv(text.slice(pos, end), false).next();
      yield { line: startLine, fields: first.done ? [] : first.value.fields, hash: true, error: null };
      pos = skipBreak(text, end);
      line++;
      continue;
    }
    const fields: string[] = [];
    let error: string | null = null;
    let restart = false;
    for (;;) {
      let p = pos;
      let c = text.charCodeAt(p);
      while (c === SPACE || c === TAB) c = text.charCodeAt(++p);
      if (c === QUOTE) {
        let value = "";
        let q = p + 1;
        let closed = false;
        for (;;) {
          const next = text.indexOf('"', q);
          if (next < 0) break;
          value += text.slice(q, next);
          if (text.charCodeAt(next + 1) === QUOTE) {
            value += '"';
            q = next + 2;
            continue;
          }
          closed = true;
          q = next + 1;
          break;
        }
        if (!closed) {
          restart = true;
          break;
        }
        line += countBreaks(value);
        fields.push(value);
        p = q;
        c = text.charCodeAt(p);
        while (c === SPACE || c === TAB) c = text.charCodeAt(++p);
        if (p < n && c !== COMMA && c !== LF && c !== CR) {
          error ??= "text after a closing quote";
          while (p < n && !endsField(text.charCodeAt(p))) p++;
        }
      } else {
        const from = p;
        while (p < n && !endsField(text.charCodeAt(p))) p++;
        let to = p;
        while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
        fields.push(text.slice(from, to));
      }
      if (p < n && text.charCodeAt(p) === COMMA) {
        pos = p + 1;
        continue;
      }
      pos = skipBreak(text, p);
      if (p < n) line++;
      break;
    }
    if (restart) {
      // Resume on the line after the one the record started on.
      let end = start;
      while (end < n && text.charCodeAt(end) !== LF && text.charCodeAt(end) !== CR) end++;
      pos = skipBreak(text, end);
      line = startLine + 1;
      yield { line: startLine, fields: [], hash: false, error: "a quoted field is never closed" };
      continue;
    }
    yield { line: startLine, fields, hash: false, error };
  }
}

function endsField(c: number): boolean {
  return c === COMMA || c === LF || c === CR;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** The position after the line break at `at` (CRLF, LF or CR), or `at` at the end of the text. */
function skipBreak(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === CR) return text.charCodeAt(at + 1) === LF ? at + 2 : at + 1;
  if (c === LF) return at + 1;
  return at;
}

function countBreaks(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) count++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) count++;
  }
  return count;
}

/** The column positions a header row names, or null when the row is not a header. */
function headerOf(fields: string[]): Map<CsvColumn, number> | null {
  const columns = new Map<CsvColumn, number>();
  fields.forEach((field, i) => {
    const name = field.trim().replace(/^#/, "").trim().toLowerCase();
    if ((CSV_COLUMNS as readonly string[]).includes(name) && !columns.has(name as CsvColumn)) {
      columns.set(name as CsvColumn, i);
    }
  });
  return columns.has("domain") ? columns : null;
}

/** Without a header, columns come in the order of Mastodon's export. */
const POSITIONAL = new Map<CsvColumn, number>(CSV_COLUMNS.map((c, i) => [c, i]));

/**
 * Reads a Mastodon domain-block CSV (Moderation › Federation › Export / Import).
 *
 * - Header `#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`: columns in
 *   any order, `#` optional, names case-insensitive, other columns ignored. The header is the first
 *   record naming a `domain` column that comes before any data; `#` lines before and after it are
 *   comments. A header-like record after data is reported and skipped.
 * - Without a header, columns are read in that order: a one-column file is a plain list of domains.
 * - Severity `suspend`, `silence` (or `limit`) or `noop`, case-insensitive; empty or missing means
 *   `suspend`. Another word skips the row with an error.
 * - Flags `true`/`false`, case-insensitive, empty or missing = false. Another value is reported and
 *   read as false, keeping the row (losing a block over a typo in a flag would be worse).
 * - Domains normalised with `normalizeDomain`; a row without a valid one is reported.
 * - A domain listed twice: the later row wins.
 * - More than MAX_BLOCKLIST_ENTRIES distinct domains, or more than MAX_BLOCKLIST_BYTES of text:
 *   DomainError("too_large").
 */
export function parseMastodonCsv(text: string): ParseResult {
  if (typeof text !== "string") return notText();
  checkSize(text);
  const errors = new ErrorList();
  const entries = new EntryMap();
  let header: Map<CsvColumn, number> | null = null;
  let dataSeen = false;
  for (const record of readCsv(stripBom(text), true)) {
    const { line, fields } = record;
    if (record.error !== null) {
      errors.add(line, record.error);
      continue;
    }
    if (record.hash) {
      if (header === null && !dataSeen) header = headerOf(fields);
      continue;
    }
    if (fields.every((f) => f === "")) continue;
    if (!dataSeen && header === null) {
      header = headerOf(fields);
      if (header !== null) continue;
    } else if (fields.every((f) => CSV_COLUMNS.includes(f.toLowerCase() as CsvColumn)) && headerOf(fields)) {
      errors.add(line, "a second header");
      continue;
    }
    dataSeen = true;
    const columns = header ?? POSITIONAL;
    const cell = (c: CsvColumn): string => {
      const i = columns.get(c);
      return i === undefined ? "" : (fields[i] ?? "");
    };
    const rawDomain = cell("domain");
    const domain = domainOf(rawDomain);
    if (domain === null) {
      invalidDomain(errors, line, rawDomain);
      continue;
    }
    const severity = readSeverity(cell("severity"));
    if (severity === null) {
      errors.add(line, `${quote(cell("severity"))} is not a severity (suspend, silence or noop)`);
      continue;
    }
    const flag = (c: CsvColumn): boolean => {
      const value = readBool(cell(c));
      if (value !== null) return value;
      errors.add(line, `${c} ${quote(cell(c))} is not true or false; read as false`);
      return false;
    };
    entries.set({
      domain,
      severity,
      rejectMedia: flag("reject_media"),
      rejectReports: flag("reject_reports"),
      publicComment: comment(cell("public_comment")),
      obfuscate: flag("obfuscate"),
    });
  }
  return { entries: entries.values(), errors: errors.finish() };
}

function csvField(value: string): string {
  if (value === "") return value;
  const needsQuotes = /[",\r\n]/.test(value) || value.startsWith("#") || /^[ \t]|[ \t]$/.test(value);
  return needsQuotes ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Writes rules as Mastodon's export does (the header above, one row per rule, in the order given,
 * LF line ends), quoting fields that hold quotes, commas, line breaks, surrounding spaces or a
 * leading `#`. Domains are written in full whatever `obfuscate` says: the flag travels with them.
 */
export function toMastodonCsv(blocks: readonly DomainBlock[]): string {
  const rows = [CSV_HEADER];
  for (const b of blocks) {
    rows.push(
      [
        csvField(b.domain),
        b.severity,
        String(b.rejectMedia),
        String(b.rejectReports),
        csvField(b.publicComment),
        String(b.obfuscate),
      ].join(","),
    );
  }
  return `${rows.join("\n")}\n`;
}

// ------------------------------------------------------------------------------------------- JSON

function notText(): ParseResult {
  return { entries: [], errors: [{ line: 0, message: "the list is not text" }] };
}

/** The parsed JSON array, or the error result to return. */
function jsonArray(text: string): unknown[] | ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(stripBom(text));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { entries: [], errors: [{ line: 0, message: `not valid JSON: ${why.slice(0, 200)}` }] };
  }
  if (!Array.isArray(value)) return { entries: [], errors: [{ line: 0, message: "not a JSON array" }] };
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A JSON array of objects, one entry each: `read` turns an item into an entry or records why not
 * (and returns null). `line` is the item's position in the array, from 1; line 0 is the document.
 */
function parseJsonItems(
  text: string,
  read: (item: Record<string, unknown>, line: number, errors: ErrorList) => BlocklistEntry | null,
): ParseResult {
  if (typeof text !== "string") return notText();
  checkSize(text);
  const array = jsonArray(text);
  if (!Array.isArray(array)) return array;
  const errors = new ErrorList();
  const entries = new EntryMap();
  array.forEach((item, i) => {
    if (!isRecord(item)) {
      errors.add(i + 1, "not an object");
      return;
    }
    const entry = read(item, i + 1, errors);
    if (entry !== null) entries.set(entry);
  });
  return { entries: entries.values(), errors: errors.finish() };
}

function jsonBool(v: unknown): boolean {
  return v === true || (typeof v === "string" && v.trim().toLowerCase() === "true");
}

/**
 * Reads GoToSocial's domain-block export: a JSON array of `{ domain, public_comment, obfuscate, … }`,
 * all suspends. Items carrying Mastodon's admin fields (`severity`, `reject_media`, `reject_reports`)
 * have them honoured, so Mastodon's admin API JSON reads too. `line` in errors is the item's
 * position in the array, from 1; line 0 is the whole document.
 */
export function parseGoToSocialJson(text: string): ParseResult {
  return parseJsonItems(text, (item, line, errors) => {
    const raw = typeof item["domain"] === "string" ? item["domain"] : "";
    const domain = domainOf(raw);
    if (domain === null) {
      invalidDomain(errors, line, raw);
      return null;
    }
    let severity: Severity = "suspend";
    if (item["severity"] !== undefined && item["severity"] !== null) {
      const s = typeof item["severity"] === "string" ? readSeverity(item["severity"]) : null;
      if (s === null) {
        errors.add(line, `${quote(String(item["severity"]))} is not a severity`);
        return null;
      }
      severity = s;
    }
    return {
      domain,
      severity,
      rejectMedia: jsonBool(item["reject_media"]),
      rejectReports: jsonBool(item["reject_reports"]),
      publicComment: comment(item["public_comment"]),
      obfuscate: jsonBool(item["obfuscate"]),
    };
  });
}

/**
 * Reads the JSON of Mastodon's public `GET /api/v1/instance/domain_blocks`: `[{ domain, digest,
 * severity, comment }]`, severity `silence` or `suspend`. A domain shown masked with `*` cannot be
 * matched and is left out with an error (the digest alone does not name it). The API shows no
 * flags, so they are false; `comment` is the public comment. `line` is the item's position, from 1.
 */
export function parseMastodonApi(text: string): ParseResult {
  return parseJsonItems(text, (item, line, errors) => {
    const raw = typeof item["domain"] === "string" ? item["domain"] : "";
    if (raw.includes("*")) {
      errors.add(line, `${quote(raw)} is obfuscated and cannot be matched`);
      return null;
    }
    const domain = domainOf(raw);
    if (domain === null) {
      invalidDomain(errors, line, raw);
      return null;
    }
    const s = item["severity"];
    if (s !== "silence" && s !== "suspend") {
      errors.add(line, `${quote(String(s))} is not a severity (silence or suspend)`);
      return null;
    }
    return {
      domain,
      severity: s,
      rejectMedia: false,
      rejectReports: false,
      publicComment: comment(item["comment"]),
      obfuscate: false,
    };
  });
}

// ------------------------------------------------------------------------------------------ plain

/**
 * Reads a plain list: one domain per line (any form `normalizeDomain` takes, `*.example.org`
 * included), blank lines and `#` comments skipped, also at the end of a line. All suspends.
 */
export function parsePlain(text: string): ParseResult {
  if (typeof text !== "string") return notText();
  checkSize(text);
  const errors = new ErrorList();
  const entries = new EntryMap();
  const lines = stripBom(text).split(/\r\n|\n|\r/);
  lines.forEach((rawLine, i) => {
    const hash = rawLine.indexOf("#");
    const value = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).trim();
    if (value === "") return;
    const domain = domainOf(value);
    if (domain === null) {
      invalidDomain(errors, i + 1, value);
      return;
    }
    entries.set({
      domain,
      severity: "suspend",
      rejectMedia: false,
      rejectReports: false,
      publicComment: "",
      obfuscate: false,
    });
  });
  return { entries: entries.values(), errors: errors.finish() };
}

// --------------------------------------------------------------------------------------- dispatch

/**
 * Which format a list is in. JSON (by its content, or a JSON content type) is Mastodon's API when
 * an item has a `digest`, GoToSocial's export otherwise. Text is a Mastodon CSV when it has a
 * `#domain` header, a `text/csv` content type, or a comma on a line that is not a comment; a plain
 * list otherwise. Text starting with `[` that is not JSON (an IPv6 literal) is read as text.
 */
export function guessFormat(text: string, contentType?: string): ConcreteBlocklistFormat {
  const body = stripBom(text).trimStart();
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const jsonType = type === "application/json" || type.endsWith("+json");
  if (jsonType || body.startsWith("[") || body.startsWith("{")) {
    let value: unknown;
    let parsed = true;
    try {
      value = JSON.parse(body);
    } catch {
      parsed = false;
    }
    if (parsed) {
      return Array.isArray(value) && value.some((v) => isRecord(v) && "digest" in v)
        ? "mastodon_api"
        : "gotosocial_json";
    }
    if (jsonType) return "gotosocial_json"; // reports the JSON error
  }
  if (type === "text/csv") return "mastodon_csv";
  for (const line of body.split(/\r\n|\n|\r/)) {
    const t = line.trimStart();
    if (/^"?#domain\b/i.test(t)) return "mastodon_csv";
    // A comma before any `#`: a plain list's comments may hold commas, a domain never does.
    const hash = t.indexOf("#");
    if ((hash < 0 ? t : t.slice(0, hash)).includes(",")) return "mastodon_csv";
  }
  return "plain";
}

/**
 * Reads a list in the given format, guessing it for `auto` (see `guessFormat`). Returns the format
 * read besides the entries and errors.
 */
export function parseBlocklist(
  text: string,
  format: BlocklistFormat,
  contentType?: string,
): ParseResult & { format: ConcreteBlocklistFormat } {
  if (typeof text !== "string") return { ...notText(), format: format === "auto" ? "plain" : format };
  checkSize(text);
  const concrete = format === "auto" ? guessFormat(text, contentType) : format;
  switch (concrete) {
    case "mastodon_csv":
      return { ...parseMastodonCsv(text), format: concrete };
    case "gotosocial_json":
      return { ...parseGoToSocialJson(text), format: concrete };
    case "mastodon_api":
      return { ...parseMastodonApi(text), format: concrete };
    case "plain":
      return { ...parsePlain(text), format: concrete };
    default:
      return {
        entries: [],
        errors: [{ line: 0, message: `unknown format ${quote(String(concrete))}` }],
        format: "plain",
      };
  }
}

// -------------------------------------------------------------------------------------- consensus

export interface ConsensusSource {
  id: string;
  priority: number;
  /** Domains (and their subdomains) this source never contributes. */
  excludes: readonly string[];
  entries: readonly BlocklistEntry[];
}

export interface ConsensusEntry {
  entry: BlocklistEntry;
  /** The sources listing the domain, highest priority first (ties: lowest id first). */
  sources: string[];
}

function checkConsensus(settings: ConsensusSettings): void {
  const { minSources, minShare, merge } = settings;
  if (!Number.isInteger(minSources) || minSources < 1) {
    throw new DomainError("invalid", "minSources must be a whole number from 1.");
  }
  if (minShare !== null && !(typeof minShare === "number" && minShare > 0 && minShare <= 1)) {
    throw new DomainError("invalid", "minShare must be in (0, 1], or null.");
  }
  if (merge !== "strictest" && merge !== "mildest") {
    throw new DomainError("invalid", "merge must be strictest or mildest.");
  }
}

/**
 * Combines subscribed lists into the entries the instance should hold.
 *
 * - A source's `excludes` remove a domain and its subdomains (whole labels) from that source's
 *   contribution only: another source listing the domain still counts. (An instance-wide exemption
 *   is a manual rule, which syncs never touch.)
 * - A domain is kept when the number of sources listing it (the domain itself, not a parent) is at
 *   least `minSources` and, when `minShare` is set, that number over all sources given (empty ones
 *   included) is at least `minShare`.
 * - Severity: the strictest or the mildest of what the listing sources say. The flags are OR'd for
 *   `strictest` and AND'ed for `mildest`; when combining, a suspend counts as rejecting media and
 *   reports (it does), and a merged suspend keeps the flags its sources wrote OR'd. A domain only one
 *   source lists comes out exactly as that source lists it.
 * - Public comment and obfuscate come from the highest-priority source listing it (ties: the lowest
 *   id), which is also first in `sources`.
 * Two sources with one id, or settings out of range: DomainError("invalid"). The result is ordered
 * by domain.
 */
export function mergeConsensus(
  sources: ReadonlyArray<ConsensusSource>,
  settings: ConsensusSettings,
): Map<string, ConsensusEntry> {
  checkConsensus(settings);
  const ids = new Set<string>();
  for (const s of sources) {
    if (ids.has(s.id)) throw new DomainError("invalid", `Two sources have the id ${quote(s.id)}.`);
    ids.add(s.id);
  }
  const ordered = [...sources].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const listed = new Map<string, { source: string; entry: BlocklistEntry }[]>();
  for (const source of ordered) {
    const excludes = new Set<string>();
    for (const e of source.excludes) excludes.add(normalizeDomain(e) ?? e);
    const own = new Map<string, BlocklistEntry>();
    for (const entry of source.entries) {
      if (excludes.size > 0 && domainSuffixes(entry.domain).some((d) => excludes.has(d))) continue;
      own.set(entry.domain, entry);
    }
    for (const [domain, entry] of own) {
      let list = listed.get(domain);
      if (!list) {
        list = [];
        listed.set(domain, list);
      }
      list.push({ source: source.id, entry });
    }
  }
  const total = sources.length;
  const strictest = settings.merge === "strictest";
  const kept: [string, ConsensusEntry][] = [];
  for (const [domain, list] of listed) {
    const count = list.length;
    if (count < settings.minSources) continue;
    if (settings.minShare !== null && count / total < settings.minShare) continue;
    const first = list[0]!.entry;
    let severity = first.severity;
    let media = first.rejectMedia || first.severity === "suspend";
    let reports = first.rejectReports || first.severity === "suspend";
    let rawMedia = first.rejectMedia;
    let rawReports = first.rejectReports;
    for (let i = 1; i < count; i++) {
      const e = list[i]!.entry;
      const m = e.rejectMedia || e.severity === "suspend";
      const r = e.rejectReports || e.severity === "suspend";
      if (strictest) {
        severity = stricter(severity, e.severity);
        media ||= m;
        reports ||= r;
      } else {
        severity = milder(severity, e.severity);
        media &&= m;
        reports &&= r;
      }
      rawMedia ||= e.rejectMedia;
      rawReports ||= e.rejectReports;
    }
    if (severity === "suspend") {
      media = rawMedia;
      reports = rawReports;
    }
    kept.push([
      domain,
      {
        entry: {
          domain,
          severity,
          rejectMedia: media,
          rejectReports: reports,
          publicComment: first.publicComment,
          obfuscate: first.obfuscate,
        },
        sources: list.map((l) => l.source),
      },
    ]);
  }
  kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new Map(kept);
}

/** The entries of a consensus, by domain, as `diffRules` takes them. */
export function consensusEntries(merged: ReadonlyMap<string, ConsensusEntry>): Map<string, BlocklistEntry> {
  const out = new Map<string, BlocklistEntry>();
  for (const [domain, { entry }] of merged) out.set(domain, entry);
  return out;
}

// ----------------------------------------------------------------------------------- public list

/** One item of Mastodon's public `GET /api/v1/instance/domain_blocks`. */
export interface PublicDomainBlock {
  /** The domain, masked with `*` when the rule says obfuscate. */
  domain: string;
  /** Hex SHA-256 of the real domain, so other servers can match a masked one they know. */
  digest: string;
  severity: "silence" | "suspend";
  /** The public comment ("" when there is none). */
  comment: string;
}

/**
 * The public list of the instance's limits: live `silence` and `suspend` rules (a rule is expired
 * from its `expiresAt` on; `noop` rules limit nothing and are not listed), sorted by the domain as
 * shown, then by digest, so the order says nothing about the masked part of a domain.
 */
export function publicDomainBlocks(blocks: readonly DomainBlock[], now: number): PublicDomainBlock[] {
  const out: PublicDomainBlock[] = [];
  for (const b of blocks) {
    if (b.severity === "noop") continue;
    if (b.expiresAt !== null && b.expiresAt <= now) continue;
    out.push({
      domain: b.obfuscate ? obfuscateDomain(b.domain) : b.domain,
      digest: createHash("sha256").update(b.domain).digest("hex"),
      severity: b.severity,
      comment: b.publicComment,
    });
  }
  return out.sort((a, b) =>
    a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0,
  );
}

// ------------------------------------------------------------------------------------------- diff

export type DiffOptions = { mode: "import"; now?: number } | { mode: "sync"; origin: "subscription"; now?: number };

export interface RuleDiff {
  create: BlocklistEntry[];
  update: Array<{ before: DomainBlock; after: BlocklistEntry }>;
  remove: DomainBlock[];
  /** Wanted domains whose rule already says exactly that. */
  unchanged: number;
  /** Wanted domains left alone because another rule decides them (see `diffRules`). */
  skippedCovered: string[];
}

/** The severity a rule stands for: a staged rule's target, so staging does not read as a change. */
function intended(b: DomainBlock): Severity {
  return b.stagedSeverity ?? b.severity;
}

function sameAs(b: DomainBlock, e: BlocklistEntry): boolean {
  return (
    intended(b) === e.severity &&
    b.rejectMedia === e.rejectMedia &&
    b.rejectReports === e.rejectReports &&
    b.publicComment === e.publicComment &&
    b.obfuscate === e.obfuscate
  );
}

/** Whether a rule limits at least as much as the entry asks: severity and each flag it sets. */
function covers(b: DomainBlock, e: BlocklistEntry): boolean {
  const severity = intended(b);
  if (severityRank(severity) < severityRank(e.severity)) return false;
  if (e.rejectMedia && !(b.rejectMedia || severity === "suspend")) return false;
  if (e.rejectReports && !(b.rejectReports || severity === "suspend")) return false;
  return true;
}

function live(b: DomainBlock, now: number | undefined): boolean {
  return now === undefined || b.expiresAt === null || b.expiresAt > now;
}

/**
 * What an import or a sync would change. Results are ordered by domain.
 *
 * Import (a person's CSV import; never removes, never weakens):
 * - an existing rule on the domain that says exactly the same counts as unchanged;
 * - a domain covered by the most specific live rule on itself or a parent (any origin) that is as
 *   strict or stricter (severity, and each flag the entry sets) is skipped, as Mastodon skips
 *   "domains already covered";
 * - an existing rule on the domain that is milder is updated to the stricter severity, the flags
 *   OR'd, the entry's public comment (the rule's own when the entry has none), obfuscate OR'd;
 * - otherwise a rule is created.
 *
 * Sync (origin "subscription"; `wanted` is the consensus):
 * - rules with origin "manual" are never created over, updated or removed: a wanted domain with a
 *   manual rule on itself is skipped, and so is one a live manual rule on a parent covers;
 * - a subscription rule on a wanted domain is updated when it says something else (a staged rule
 *   is compared by the severity it is staged to), unchanged otherwise;
 * - missing ones are created; subscription rules whose domain is no longer wanted are removed.
 *
 * `now`, when given, makes expired rules cover nothing (an expired rule on the domain itself is
 * still the one updated, since there can be one rule per domain).
 */
export function diffRules(
  current: readonly DomainBlock[],
  wanted: ReadonlyMap<string, BlocklistEntry>,
  opts: DiffOptions,
): RuleDiff {
  const byDomain = new Map<string, DomainBlock>();
  for (const b of current) byDomain.set(b.domain, b);
  const sync = opts.mode === "sync";
  const diff: RuleDiff = { create: [], update: [], remove: [], unchanged: 0, skippedCovered: [] };
  const domains = [...wanted.keys()].sort();

  /** The most specific live rule on a parent of the domain that counts for this mode. */
  const parentRule = (domain: string): DomainBlock | null => {
    const suffixes = domainSuffixes(domain);
    for (let i = 1; i < suffixes.length; i++) {
      const b = byDomain.get(suffixes[i]!);
      if (b && live(b, opts.now)) return !sync || b.origin === "manual" ? b : null;
    }
    return null;
  };

  for (const domain of domains) {
    const entry = wanted.get(domain)!;
    const own = byDomain.get(domain);
    if (own) {
      if (sync && own.origin === "manual") {
        diff.skippedCovered.push(domain);
      } else if (sameAs(own, entry)) {
        diff.unchanged++;
      } else if (sync) {
        diff.update.push({ before: own, after: entry });
      } else if (live(own, opts.now) && covers(own, entry)) {
        diff.skippedCovered.push(domain);
      } else if (!live(own, opts.now)) {
        diff.update.push({ before: own, after: entry });
      } else {
        diff.update.push({
          before: own,
          after: {
            domain,
            severity: stricter(intended(own), entry.severity),
            rejectMedia: own.rejectMedia || entry.rejectMedia,
            rejectReports: own.rejectReports || entry.rejectReports,
            publicComment: entry.publicComment !== "" ? entry.publicComment : own.publicComment,
            obfuscate: own.obfuscate || entry.obfuscate,
          },
        });
      }
      continue;
    }
    const parent = parentRule(domain);
    if (parent && covers(parent, entry)) diff.skippedCovered.push(domain);
    else diff.create.push(entry);
  }

  if (sync) {
    for (const b of current) {
      if (b.origin === "subscription" && !wanted.has(b.domain)) diff.remove.push(b);
    }
    diff.remove.sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
  }
  return diff;
}
