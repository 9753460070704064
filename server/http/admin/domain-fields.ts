import type { Request } from "express";
import { isSeverity, type Severity } from "../../domain/domain-policy.js";
import type { BlocklistFormat, ConsensusSettings } from "../../domain/domain-ports.js";
import { DomainError } from "../../domain/errors.js";
import type { BlockPatch, SubscriptionInput } from "../../services/domain-moderation-types.js";

/*
 * The fields of the domain admin API's requests, read as Mastodon's admin API reads them (JSON or
 * form values, 422 for a value that does not check out), so the tools written for it work unchanged.
 */

/** The fields of a request: its JSON or form body over its query (Rails merges both; tools rely on it). */
export type Fields = Record<string, unknown>;

/** A field check that failed: Mastodon answers these 422. */
export function validation(message: string, extra: Record<string, unknown> = {}): DomainError {
  return new DomainError("unprocessable", message, { title: "Validation failed", ...extra });
}

const TRUE_WORDS = new Set(["true", "1", "on", "t", "yes"]);

const FALSE_WORDS = new Set(["false", "0", "off", "f", "no", ""]);

/** A boolean as JSON or a form sends it: true/false, "true"/"false", "1"/"0", "on"/"off". */
export function flagField(f: Fields, key: string): boolean | undefined {
  const v = f[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === "string") {
    const w = v.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  throw validation(`${key} must be true or false.`);
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
export function expiryField(f: Fields, now: number): number | null | undefined {
  const at = f["expires_at"];
  const within = f["expires_in"];
  const given = (v: unknown) => v !== undefined;
  if (given(at) && given(within) && at !== null && at !== "" && within !== null && within !== "") {
    throw validation("Give expires_at or expires_in, not both.");
  }
  if (given(within) && within !== null && within !== "") {
    const n = typeof within === "number" ? within : typeof within === "string" ? Number(within.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n <= 0 || n > MAX_EXPIRY_SECONDS) {
      throw validation("expires_in must be a whole number of seconds, more than 0.");
    }
    return now + n * 1000;
  }
  if (given(at) && at !== null && at !== "") {
    if (typeof at !== "string") throw validation("expires_at must be an ISO 8601 time.");
    return parseIsoTime(at, "expires_at");
  }
  if (at === null || at === "" || within === null || within === "") return null;
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
  const evidence = textField(f, "evidence_url");
  if (evidence !== undefined) out.evidenceUrl = evidence === "" ? null : evidence;
  return out;
}

export function subscriptionFields(f: Fields): Omit<SubscriptionInput, "url"> {
  const out: Omit<SubscriptionInput, "url"> = {};
  const format = f["format"];
  if (format !== undefined && format !== null && format !== "") {
    if (typeof format !== "string") throw validation("format must be text.");
    out.format = format as BlocklistFormat;
  }
  const priority = f["priority"];
  if (priority !== undefined && priority !== null && priority !== "") {
    const n = typeof priority === "number" ? priority : typeof priority === "string" ? Number(priority) : Number.NaN;
    if (!Number.isInteger(n)) throw validation("priority must be a whole number.");
    out.priority = n;
  }
  const excludes = f["excludes"] ?? f["excludes[]"];
  if (excludes !== undefined && excludes !== null) {
    const list = typeof excludes === "string" ? excludes.split(/[\s,]+/) : excludes;
    if (!Array.isArray(list) || list.some((d) => typeof d !== "string")) {
      throw validation("excludes must be a list of domains.");
    }
    out.excludes = (list as string[]).map((d) => d.trim()).filter((d) => d !== "");
  }
  const draft = flagField(f, "draft");
  if (draft !== undefined) out.draft = draft;
  return out;
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
  if (merge !== undefined) {
    if (merge !== "strictest" && merge !== "mildest") throw validation("merge must be strictest or mildest.");
    out.merge = merge;
  }
  const stage = flagField(f, "stage_while_followed");
  if (stage !== undefined) out.stageWhileFollowed = stage;
  return out;
}

export function queryFlag(req: Request, key: string): boolean {
  const v = req.query[key];
  if (v === undefined) return false;
  if (typeof v === "string") {
    const w = v.toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  throw new DomainError("invalid", `${key} must be true or false.`);
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
