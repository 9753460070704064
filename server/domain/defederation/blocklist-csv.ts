import {
  checkSize,
  comment,
  domainOf,
  EntryMap,
  ErrorList,
  invalidDomain,
  notText,
  type ParseResult,
  quote,
  readBool,
  readSeverity,
  stripBom,
} from "./blocklist-reading.js";
import { readCsv } from "./csv-records.js";
import type { DomainBlock } from "./rules.js";

/* Mastodon's domain-block CSV (Moderation › Federation › Export / Import): reading and writing. */

const CSV_COLUMNS = ["domain", "severity", "reject_media", "reject_reports", "public_comment", "obfuscate"] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const CSV_HEADER = CSV_COLUMNS.map((c) => `#${c}`).join(",");

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
