import {
  DEFAULT_PDQ_DISTANCE,
  isHash64,
  MAX_MEDIA_BAN_REASON,
  MAX_PDQ_DISTANCE,
  type MediaBan,
  type MediaBanKind,
} from "./media-bans.js";

/**
 * Hash lists: the text and JSON forms in which media bans are shared between instances. Plain
 * sha256 lines, PDQ lines, and Atoll's own JSON format, which alone carries reasons and retractions.
 */

export type HashListFormat = "sha256" | "pdq" | "atoll";
export const HASH_LIST_FORMATS: readonly HashListFormat[] = ["sha256", "pdq", "atoll"];

/** The `type` member of Atoll's JSON list. */
export const ATOLL_LIST_TYPE = "atoll-media-ban-list";
/** More entries than this in one list are refused as a whole, rather than read in part. */
export const MAX_LIST_ENTRIES = 200_000;
const MAX_REPORTED_ERRORS = 100;

export interface HashListEntry {
  kind: MediaBanKind;
  hash: string;
  /** For `pdq`, the greatest distance that matches; null for `sha256`. */
  distance: number | null;
  reason: string;
}

export interface ParsedHashList {
  entries: HashListEntry[];
  /** Hashes the list says it no longer carries; they win over an entry of the same kind and hash. */
  retracted: Array<{ kind: MediaBanKind; hash: string }>;
  errors: Array<{ line: number; message: string }>;
}

export class HashListError extends Error {}

/** Reads a list in the given format. Unreadable lines are skipped and counted; a list that is not the format at all throws. */
export function parseHashList(text: string, format: HashListFormat): ParsedHashList {
  const parsed = format === "atoll" ? parseAtoll(text) : parseLines(text, format);
  if (parsed.entries.length > MAX_LIST_ENTRIES) {
    throw new HashListError(`The list has more than ${MAX_LIST_ENTRIES} entries.`);
  }
  const retracted = new Set(parsed.retracted.map((r) => `${r.kind}:${r.hash}`));
  const seen = new Set<string>();
  parsed.entries = parsed.entries.filter((e) => {
    const key = `${e.kind}:${e.hash}`;
    if (retracted.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  parsed.errors = parsed.errors.slice(0, MAX_REPORTED_ERRORS);
  return parsed;
}

/**
 * Text lines: `<hex> [text]` (sha256 lists) or `<hex>[,<quality>]` (PDQ lists); either may also
 * name the kind first, `sha256 <hex>` or `pdq <hex> [distance]`, as this instance's export writes.
 * Blank lines and lines starting with `#` are skipped.
 */
function parseLines(text: string, format: "sha256" | "pdq"): ParsedHashList {
  const out: ParsedHashList = { entries: [], retracted: [], errors: [] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    const entry = lineEntry(line, format);
    if (typeof entry === "string") out.errors.push({ line: i + 1, message: entry });
    else out.entries.push(entry);
  }
  return out;
}

function lineEntry(line: string, format: "sha256" | "pdq"): HashListEntry | string {
  const words = line.split(/\s+/);
  let kind: MediaBanKind = format;
  if (words[0] === "sha256" || words[0] === "pdq") kind = words.shift() as MediaBanKind;
  const first = words.shift() ?? "";
  const [hex = "", quality] = kind === "pdq" ? first.split(",") : [first];
  const hash = hex.toLowerCase();
  if (!isHash64(hash)) return "not 64 hexadecimal digits";
  if (quality !== undefined && !/^[0-9]{1,3}$/.test(quality)) return "the quality is not a number";
  if (kind === "sha256") return { kind, hash, distance: null, reason: reasonOf(words.join(" ")) };
  const given = words[0];
  if (given === undefined) return { kind, hash, distance: DEFAULT_PDQ_DISTANCE, reason: "" };
  const distance = /^[0-9]{1,3}$/.test(given) ? Number(given) : Number.NaN;
  if (!(distance <= MAX_PDQ_DISTANCE)) return `the distance is not a whole number from 0 to ${MAX_PDQ_DISTANCE}`;
  return { kind, hash, distance, reason: reasonOf(words.slice(1).join(" ")) };
}

/**
 * Atoll's JSON list:
 * `{"type": "atoll-media-ban-list", "version": 1, "entries": [{"kind", "hash", "distance"?, "reason"?}],
 * "retractions": [{"kind", "hash"}]}`. A PDQ entry without a distance takes the default.
 */
function parseAtoll(text: string): ParsedHashList {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new HashListError("The list is not JSON.");
  }
  if (!isObject(doc) || doc["type"] !== ATOLL_LIST_TYPE || !Array.isArray(doc["entries"])) {
    throw new HashListError(`The list is not an ${ATOLL_LIST_TYPE}.`);
  }
  const out: ParsedHashList = { entries: [], retracted: [], errors: [] };
  doc["entries"].forEach((e: unknown, i) => {
    const entry = atollEntry(e);
    if (typeof entry === "string") out.errors.push({ line: i + 1, message: entry });
    else out.entries.push(entry);
  });
  const retractions = Array.isArray(doc["retractions"]) ? doc["retractions"] : [];
  retractions.forEach((r: unknown, i) => {
    const kind = isObject(r) ? r["kind"] : undefined;
    const hash = isObject(r) && typeof r["hash"] === "string" ? r["hash"].toLowerCase() : "";
    if ((kind === "sha256" || kind === "pdq") && isHash64(hash)) out.retracted.push({ kind, hash });
    else out.errors.push({ line: i + 1, message: "a retraction needs a kind and a 64-digit hash" });
  });
  return out;
}

function atollEntry(e: unknown): HashListEntry | string {
  if (!isObject(e)) return "an entry must be an object";
  const kind = e["kind"];
  if (kind !== "sha256" && kind !== "pdq") return 'kind must be "sha256" or "pdq"';
  const hash = typeof e["hash"] === "string" ? e["hash"].toLowerCase() : "";
  if (!isHash64(hash)) return "hash must be 64 hexadecimal digits";
  const reason = typeof e["reason"] === "string" ? reasonOf(e["reason"]) : "";
  if (kind === "sha256") return { kind, hash, distance: null, reason };
  const d = e["distance"] ?? DEFAULT_PDQ_DISTANCE;
  if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > MAX_PDQ_DISTANCE) {
    return `distance must be a whole number from 0 to ${MAX_PDQ_DISTANCE}`;
  }
  return { kind, hash, distance: d, reason };
}

/** Writes bans as a list in the format asked; the text formats carry only their own kind. */
export function formatHashList(bans: readonly MediaBan[], format: HashListFormat): string {
  if (format === "atoll") {
    const entries = bans.map((b) => ({
      kind: b.kind,
      hash: b.hash,
      ...(b.kind === "pdq" ? { distance: b.distance ?? DEFAULT_PDQ_DISTANCE } : {}),
      reason: b.reason,
    }));
    return `${JSON.stringify({ type: ATOLL_LIST_TYPE, version: 1, entries, retractions: [] })}\n`;
  }
  const lines = bans
    .filter((b) => b.kind === format)
    .map((b) => (b.kind === "pdq" ? `pdq ${b.hash} ${b.distance ?? DEFAULT_PDQ_DISTANCE}` : b.hash));
  return lines.map((l) => `${l}\n`).join("");
}

function reasonOf(s: string): string {
  return s.trim().slice(0, MAX_MEDIA_BAN_REASON);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
