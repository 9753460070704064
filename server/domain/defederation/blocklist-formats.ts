import type { BlocklistFormat } from "../defederation-ports.js";
import { parseMastodonCsv } from "./blocklist-csv.js";
import { parseGoToSocialJson, parseMastodonApi } from "./blocklist-json.js";
import {
  type ConcreteBlocklistFormat,
  checkSize,
  domainOf,
  EntryMap,
  ErrorList,
  invalidDomain,
  isRecord,
  notText,
  type ParseResult,
  quote,
  stripBom,
} from "./blocklist-reading.js";

/* Reading a blocklist in any format: plain lists, telling the formats apart, and the dispatch. */

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
