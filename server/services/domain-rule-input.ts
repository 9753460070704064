import { randomUUID } from "node:crypto";
import type { DomainBlock } from "../domain/domain-policy.js";
import type { BlocklistEntry } from "../domain/domain-ports.js";
import { DomainError } from "../domain/errors.js";

/* Checks of the values rules are made from, and the rules made from list entries. */

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

export function bool(v: unknown, name: string): boolean {
  if (typeof v !== "boolean") throw new DomainError("invalid", `${name} must be true or false.`);
  return v;
}

export function text(v: unknown, name: string): string {
  if (typeof v !== "string") throw new DomainError("invalid", `${name} must be text.`);
  if (v.length > MAX_COMMENT) throw new DomainError("invalid", `${name} is longer than ${MAX_COMMENT} characters.`);
  return v;
}

export function evidence(v: unknown): string | null {
  if (v === null || v === "") return null;
  if (typeof v !== "string" || v.length > MAX_URL) throw new DomainError("invalid", "evidence_url must be a URL.");
  try {
    const u = new URL(v);
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error("scheme");
    return u.toString();
  } catch {
    throw new DomainError("invalid", "evidence_url must be an http(s) URL.");
  }
}
