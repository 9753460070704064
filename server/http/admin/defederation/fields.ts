import type { Request } from "express";
import { isSeverity, type Severity } from "../../../domain/defederation/rules.js";
import { BLOCKLIST_FORMATS, type BlocklistFormat, type ConsensusSettings } from "../../../domain/defederation-ports.js";
import { DomainError } from "../../../domain/errors.js";
import type {
  AllowInput,
  BlockInput,
  BlockPatch,
  BoardRuleInput,
  SubscriptionInput,
  SubscriptionPatch,
} from "../../../services/defederation/types.js";
import { railsBoolean } from "../body.js";

/*
 * The one reading of defederation's request fields into the service's typed inputs, shared by the
 * admin API, the staff pages and (for the fields it has too) the command line. Values are read as
 * Mastodon's admin API reads them (JSON or form values, 422 for a value that does not check out),
 * so the tools written for it work unchanged. Only types and syntax are checked here: what a value
 * may be, and what an absent one means, is the service's to decide (server/services/defederation/).
 */

/** The fields of a request: its JSON or form body over its query (Rails merges both; tools rely on it). */
export type Fields = Record<string, unknown>;

/** A field check that failed: Mastodon answers these 422. */
export function validation(message: string, extra: Record<string, unknown> = {}): DomainError {
  return new DomainError("unprocessable", message, { title: "Validation failed", ...extra });
}

/** A boolean: true/false, "true"/"false", "1"/"0", "on"/"off" ("" is false, as an unticked box). */
export function flagField(f: Fields, key: string): boolean | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  const flag = railsBoolean(v);
  if (flag === undefined) throw validation(`${key} must be true or false.`);
  return flag;
}

/** Text that must be given: a domain, a URL. */
export function requiredText(f: Fields, key: string): string {
  const v = f[key];
  if (v === undefined || v === null || v === "") throw validation(`${key} is required.`);
  if (typeof v !== "string") throw validation(`${key} must be text.`);
  return v;
}

/** Text; null (JSON) clears it. */
export function textField(f: Fields, key: string): string | undefined {
  const v = f[key];
  if (v === undefined) return undefined;
  if (v === null) return "";
  if (typeof v !== "string") throw validation(`${key} must be text.`);
  return v;
}

export function severityField(f: Fields, key = "severity"): Severity | undefined {
  const v = f[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (!isSeverity(v)) throw validation(`${key} must be silence, suspend or noop.`);
  return v;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

const MAX_EXPIRY_SECONDS = 100 * 366 * 86_400;

/** An ISO 8601 time in ms; one without a zone is read as UTC (a datetime-local form field sends none). */
export function parseIsoTime(value: string, key: string): number {
  let v = value.trim().toUpperCase().replace(" ", "T");
  if (!ISO_TIME.test(v)) throw validation(`${key} must be an ISO 8601 time such as 2030-01-31T12:00:00Z.`);
  if (v.length === 10) v += "T00:00:00Z";
  else if (/[+-]\d{2}$/.test(v)) v += ":00";
  else if (/[+-]\d{4}$/.test(v)) v = `${v.slice(0, -2)}:${v.slice(-2)}`;
  else if (!/(?:Z|[+-]\d{2}:\d{2})$/.test(v)) v += "Z";
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) throw validation(`${key} is not a valid time.`);
  return ms;
}

/**
 * The expiry a request asks for: `expires_at` (ISO 8601) or `expires_in` (seconds from now); null
 * or an empty value for none; undefined when neither is given. Both at once is refused.
 */
export function expiryField(
  f: Fields,
  now: number,
  keys: { at: string; within: string } = { at: "expires_at", within: "expires_in" },
): number | null | undefined {
  const at = f[keys.at];
  const within = f[keys.within];
  const blank = (v: unknown) => v === null || (typeof v === "string" && v.trim() === "");
  const set = (v: unknown) => v !== undefined && !blank(v);
  if (set(at) && set(within)) throw validation(`Give ${keys.at} or ${keys.within}, not both.`);
  if (set(within)) {
    const n = typeof within === "number" ? within : typeof within === "string" ? Number(within.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n <= 0 || n > MAX_EXPIRY_SECONDS) {
      throw validation(`${keys.within} must be a whole number of seconds, more than 0.`);
    }
    return now + n * 1000;
  }
  if (set(at)) {
    if (typeof at !== "string") throw validation(`${keys.at} must be an ISO 8601 time.`);
    return parseIsoTime(at, keys.at);
  }
  if (blank(at) || blank(within)) return null;
  return undefined;
}

/** The fields of a block a request sets (all but the domain); absent ones are left out. */
export function blockFields(f: Fields, now: number): BlockPatch {
  const out: BlockPatch = {};
  const severity = severityField(f);
  if (severity !== undefined) out.severity = severity;
  const rejectMedia = flagField(f, "reject_media");
  if (rejectMedia !== undefined) out.rejectMedia = rejectMedia;
  const rejectReports = flagField(f, "reject_reports");
  if (rejectReports !== undefined) out.rejectReports = rejectReports;
  const obfuscate = flagField(f, "obfuscate");
  if (obfuscate !== undefined) out.obfuscate = obfuscate;
  const privateComment = textField(f, "private_comment");
  if (privateComment !== undefined) out.privateComment = privateComment;
  const publicComment = textField(f, "public_comment");
  if (publicComment !== undefined) out.publicComment = publicComment;
  const expiresAt = expiryField(f, now);
  if (expiresAt !== undefined) out.expiresAt = expiresAt;
  const evidence = textField(f, "evidence_url")?.trim();
  if (evidence !== undefined) out.evidenceUrl = evidence === "" ? null : evidence;
  return out;
}

/** A new block: its domain and the fields a request sets; the service fills in the rest. */
export function blockInput(f: Fields, now: number): BlockInput {
  return { domain: requiredText(f, "domain"), ...blockFields(f, now) };
}

export function allowInput(f: Fields): AllowInput {
  const comment = textField(f, "comment");
  return { domain: requiredText(f, "domain"), ...(comment !== undefined ? { comment } : {}) };
}

export function boardRuleInput(f: Fields): BoardRuleInput {
  const out: BoardRuleInput = { domain: requiredText(f, "domain") };
  const severity = severityField(f);
  if (severity !== undefined) out.severity = severity;
  const rejectMedia = flagField(f, "reject_media");
  if (rejectMedia !== undefined) out.rejectMedia = rejectMedia;
  // A board rule has one reason; tools written for domain blocks name it `public_comment`.
  const comment = textField(f, "comment");
  const publicComment = textField(f, "public_comment");
  if (comment !== undefined && publicComment !== undefined && comment !== publicComment) {
    throw validation("Give the reason as comment or public_comment, not both.");
  }
  if ((comment ?? publicComment) !== undefined) out.comment = comment ?? publicComment;
  return out;
}

export function formatField(f: Fields, key = "format"): BlocklistFormat | undefined {
  const v = f[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" || !(BLOCKLIST_FORMATS as readonly string[]).includes(v)) {
    throw validation(`${key} must be one of ${BLOCKLIST_FORMATS.join(", ")}.`);
  }
  return v as BlocklistFormat;
}

export function priorityField(f: Fields, key = "priority"): number | undefined {
  const v = f[key];
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v.trim()) : Number.NaN;
  if (!Number.isInteger(n)) throw validation(`${key} must be a whole number.`);
  return n;
}

/** Domains as a list, or as text separated by commas, spaces or lines. */
export function excludesField(f: Fields, key = "excludes"): string[] | undefined {
  const v = f[key] ?? f[`${key}[]`];
  if (v === undefined || v === null) return undefined;
  const list = typeof v === "string" ? v.split(/[\s,]+/) : v;
  if (!Array.isArray(list) || list.some((d) => typeof d !== "string")) {
    throw validation(`${key} must be a list of domains.`);
  }
  return (list as string[]).map((d) => d.trim()).filter((d) => d !== "");
}

export function subscriptionFields(f: Fields): SubscriptionPatch {
  const out: SubscriptionPatch = {};
  const format = formatField(f);
  if (format !== undefined) out.format = format;
  const priority = priorityField(f);
  if (priority !== undefined) out.priority = priority;
  const excludes = excludesField(f);
  if (excludes !== undefined) out.excludes = excludes;
  const draft = flagField(f, "draft");
  if (draft !== undefined) out.draft = draft;
  return out;
}

export function subscriptionInput(f: Fields): SubscriptionInput {
  return { url: requiredText(f, "url").trim(), ...subscriptionFields(f) };
}

export function consensusFields(f: Fields): Partial<ConsensusSettings> {
  const out: Partial<ConsensusSettings> = {};
  const number = (key: string): number | null | undefined => {
    const v = f[key];
    if (v === undefined) return undefined;
    if (v === null || v === "") return null;
    const n = typeof v === "number" ? v : typeof v === "string" ? Number(v.trim()) : Number.NaN;
    if (!Number.isFinite(n)) throw validation(`${key} must be a number.`);
    return n;
  };
  const minSources = number("min_sources");
  if (minSources === null) throw validation("min_sources must be a whole number from 1.");
  if (minSources !== undefined) out.minSources = minSources;
  const minShare = number("min_share");
  if (minShare !== undefined) out.minShare = minShare;
  const merge = f["merge"];
  if (merge !== undefined && merge !== null && merge !== "") {
    if (merge !== "strictest" && merge !== "mildest") throw validation("merge must be strictest or mildest.");
    out.merge = merge;
  }
  const stage = flagField(f, "stage_while_followed");
  if (stage !== undefined) out.stageWhileFollowed = stage;
  return out;
}

/** A flag in the query string (`?dry_run=true`): false when absent, 400 when not a boolean. */
export function queryFlag(req: Request, key: string): boolean {
  const v = req.query[key];
  if (v === undefined) return false;
  const flag = typeof v === "string" ? railsBoolean(v) : undefined;
  if (flag === undefined) throw new DomainError("invalid", `${key} must be true or false.`);
  return flag;
}

/** Runs a service call, reporting its refusals of field values as Mastodon does: 422. */
export async function validated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError && err.kind === "invalid") throw validation(err.message, err.extra);
    throw err;
  }
}
