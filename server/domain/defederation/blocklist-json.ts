import type { BlocklistEntry } from "../defederation-ports.js";
import {
  checkSize,
  comment,
  domainOf,
  EntryMap,
  ErrorList,
  invalidDomain,
  isRecord,
  notText,
  type ParseResult,
  quote,
  readSeverity,
  stripBom,
} from "./blocklist-reading.js";
import type { Severity } from "./rules.js";

/* The JSON blocklist formats: GoToSocial's export and Mastodon's public domain-block API. */

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
