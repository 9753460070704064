import { randomUUID } from "node:crypto";
import { type DomainBlock, requireDomain, severityRank } from "../../domain/defederation/rules.js";
import type { BlocklistEntry } from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";

/*
 * The business rules on the values rules are made from, and the rules made from list entries. The
 * callers hand typed values (the admin API and pages parse requests with ../../http/admin/defederation/fields.ts,
 * the command line its options); what is checked here is what a value of the right type may still
 * get wrong.
 */

export const MAX_COMMENT = 1000;
export const MAX_URL = 2048;

export function expiredAt(b: DomainBlock, now: number): boolean {
  return b.expiresAt !== null && b.expiresAt <= now;
}

export function blockFrom(e: BlocklistEntry, origin: DomainBlock["origin"], now: number): DomainBlock {
  return {
    id: randomUUID(),
    domain: e.domain,
    severity: e.severity,
    rejectMedia: e.rejectMedia,
    rejectReports: e.rejectReports,
    privateComment: "",
    publicComment: e.publicComment.slice(0, MAX_COMMENT),
    obfuscate: e.obfuscate,
    expiresAt: null,
    evidenceUrl: null,
    origin,
    stagedSeverity: null,
    createdAt: now,
    updatedAt: now,
  };
}

export function updatedFrom(before: DomainBlock, e: BlocklistEntry, now: number): DomainBlock {
  return {
    ...before,
    severity: e.severity,
    rejectMedia: e.rejectMedia,
    rejectReports: e.rejectReports,
    publicComment: e.publicComment.slice(0, MAX_COMMENT),
    obfuscate: e.obfuscate,
    updatedAt: now,
  };
}

/** The domain a rule is made for: a valid domain, and not this instance's own. */
export function ruleDomain(input: string, localDomain: string): string {
  const domain = requireDomain(input);
  if (domain === localDomain) throw new DomainError("invalid", "This instance cannot have a rule on its own domain.");
  return domain;
}

export function text(v: string, name: string): string {
  if (v.length > MAX_COMMENT) throw new DomainError("invalid", `${name} is longer than ${MAX_COMMENT} characters.`);
  return v;
}

export function evidence(v: string | null): string | null {
  if (v === null || v === "") return null;
  if (v.length > MAX_URL) throw new DomainError("invalid", "evidence_url must be a URL.");
  try {
    const u = new URL(v);
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error("scheme");
    return u.toString();
  } catch {
    throw new DomainError("invalid", "evidence_url must be an http(s) URL.");
  }
}

/**
 * Mastodon's `stricter_than?`: whether a new rule on a subdomain limits more than the rule on its
 * parent, and so is worth having. A suspend always is; otherwise the severity may not be milder and
 * each reject flag the parent sets must be set too.
 */
export function stricterThan(
  next: Pick<DomainBlock, "severity" | "rejectMedia" | "rejectReports">,
  parent: Pick<DomainBlock, "severity" | "rejectMedia" | "rejectReports">,
): boolean {
  if (next.severity === "suspend") return true;
  if (severityRank(parent.severity) > severityRank(next.severity)) return false;
  return (next.rejectMedia || !parent.rejectMedia) && (next.rejectReports || !parent.rejectReports);
}
