import type { PeerDomain } from "../../server/domain/defederation/probation.js";
import {
  type BoardDomainRule,
  type DomainAllow,
  type DomainBlock,
  isSeverity,
  type RuleOrigin,
  type Severity,
} from "../../server/domain/defederation/rules.js";
import {
  type AuditAction,
  type AuditActor,
  type AuditEntry,
  BLOCKLIST_FORMATS,
  type BlocklistEntry,
  type BlocklistSubscription,
  type ConsensusSettings,
  DEFAULT_CONSENSUS,
  type HeldActivity,
  type RuleChange,
} from "../../server/domain/defederation-ports.js";
import { DomainError } from "../../server/domain/errors.js";
import { domainArg } from "./federation.js";
import { int, nullableInt, nullableStr, num, page, str } from "./guards.js";

/*
 * Checks shared by both adapters for what defederation stores (the MongoDB adapter imports this
 * module too; nothing here touches SQLite). Rules and audit entries arrive from the admin API, CSV
 * imports and subscribed lists, so every record is copied field by field (no stray property reaches
 * a row or a document, no object stands where a literal belongs) and a value of the wrong type is a
 * DomainError("invalid") before any query runs.
 */

const ORIGINS: readonly RuleOrigin[] = ["manual", "subscription"];
const BOARD_SEVERITIES: readonly BoardDomainRule["severity"][] = ["silence", "suspend"];
const ACTOR_KINDS: readonly AuditActor["kind"][] = ["user", "token", "cli", "subscription", "system"];
const AUDIT_ACTIONS: readonly AuditAction[] = [
  "block.create",
  "block.update",
  "block.delete",
  "allow.create",
  "allow.delete",
  "board_rule.create",
  "board_rule.delete",
  "subscription.create",
  "subscription.update",
  "subscription.delete",
  "subscription.sync",
  "probation.start",
  "probation.end",
  "probation.vouch",
];
const MERGES: readonly ConsensusSettings["merge"][] = ["strictest", "mildest"];

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DomainError("invalid", `${what} must be an object.`);
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new DomainError("invalid", `${what} must be a list.`);
  return value;
}

export function bool(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") throw new DomainError("invalid", `${what} must be true or false.`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new DomainError("invalid", `${what} must be one of ${allowed.join(", ")}.`);
  }
  return value as T;
}

function severity(value: unknown, what: string): Severity {
  if (!isSeverity(value)) throw new DomainError("invalid", `${what} must be noop, silence or suspend.`);
  return value;
}

function nonEmpty(value: unknown, what: string): string {
  const s = str(value, what);
  if (s === "") throw new DomainError("invalid", `${what} must not be empty.`);
  return s;
}

/**
 * A JSON object as it will read back: null, or a plain object that survives JSON (dates become
 * strings, undefined members vanish). Anything that cannot be written as JSON is refused.
 */
export function jsonObject(value: unknown, what: string): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  object(value, what);
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(value));
  } catch {
    throw new DomainError("invalid", `${what} cannot be written as JSON.`);
  }
  // an object with its own toJSON (a Date, say) may turn into something else than an object
  return object(copy, what);
}

/** The stored text of a JSON object checked by `jsonObject`. */
export function jsonText(value: Record<string, unknown> | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** Reads back what `jsonText` wrote; a damaged value reads as null rather than failing the listing. */
export function parseJsonObject(text: string | null | undefined): Record<string, unknown> | null {
  if (text === null || text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function checkedBlock(value: unknown): DomainBlock {
  const b = object(value, "block") as Record<keyof DomainBlock, unknown>;
  return {
    id: nonEmpty(b.id, "id"),
    domain: domainArg(b.domain),
    severity: severity(b.severity, "severity"),
    rejectMedia: bool(b.rejectMedia, "rejectMedia"),
    rejectReports: bool(b.rejectReports, "rejectReports"),
    privateComment: str(b.privateComment, "privateComment"),
    publicComment: str(b.publicComment, "publicComment"),
    obfuscate: bool(b.obfuscate, "obfuscate"),
    expiresAt: nullableInt(b.expiresAt, "expiresAt"),
    evidenceUrl: nullableStr(b.evidenceUrl, "evidenceUrl"),
    origin: oneOf(b.origin, ORIGINS, "origin"),
    stagedSeverity:
      b.stagedSeverity === null || b.stagedSeverity === undefined ? null : severity(b.stagedSeverity, "stagedSeverity"),
    createdAt: int(b.createdAt, "createdAt"),
    updatedAt: int(b.updatedAt, "updatedAt"),
  };
}

export function checkedAllow(value: unknown): DomainAllow {
  const a = object(value, "allow") as Record<keyof DomainAllow, unknown>;
  return {
    id: nonEmpty(a.id, "id"),
    domain: domainArg(a.domain),
    comment: str(a.comment, "comment"),
    createdAt: int(a.createdAt, "createdAt"),
  };
}

/** The longest held activity kept (the inbox refuses bigger bodies long before). */
const MAX_HELD_ACTIVITY = 1_048_576;

export function checkedHeld(value: unknown): HeldActivity {
  const h = object(value, "held activity") as Record<keyof HeldActivity, unknown>;
  const activity = str(h.activity, "activity");
  if (activity.length > MAX_HELD_ACTIVITY) throw new DomainError("too_large", "The held activity is too large.");
  return {
    id: nonEmpty(h.id, "id"),
    board: nonEmpty(h.board, "board"),
    domain: domainArg(h.domain),
    actorId: nonEmpty(h.actorId, "actorId"),
    activity,
    receivedAt: int(h.receivedAt, "receivedAt"),
    reason: h.reason === undefined || h.reason === null ? "silenced" : str(h.reason, "reason"),
  };
}

const PROBATION_ENDS: readonly NonNullable<PeerDomain["endedBy"]>[] = ["vouch", "expiry"];

export function checkedPeer(value: unknown): PeerDomain {
  const p = object(value, "peer domain") as Record<keyof PeerDomain, unknown>;
  return {
    domain: domainArg(p.domain),
    firstSeenAt: int(p.firstSeenAt, "firstSeenAt"),
    probationStart: nullableInt(p.probationStart, "probationStart"),
    probationEnd: nullableInt(p.probationEnd, "probationEnd"),
    endedBy: p.endedBy === null ? null : oneOf(p.endedBy, PROBATION_ENDS, "endedBy"),
  };
}

export function checkedBoardRule(value: unknown): BoardDomainRule {
  const r = object(value, "board rule") as Record<keyof BoardDomainRule, unknown>;
  return {
    id: nonEmpty(r.id, "id"),
    board: nonEmpty(r.board, "board"),
    domain: domainArg(r.domain),
    severity: oneOf(r.severity, BOARD_SEVERITIES, "severity"),
    rejectMedia: bool(r.rejectMedia, "rejectMedia"),
    comment: str(r.comment, "comment"),
    createdAt: int(r.createdAt, "createdAt"),
  };
}

export function checkedChange(value: unknown): RuleChange {
  const c = object(value, "change");
  switch (c["op"]) {
    case "create_block":
      return { op: "create_block", block: checkedBlock(c["block"]) };
    case "update_block":
      return { op: "update_block", block: checkedBlock(c["block"]) };
    case "delete_block":
      return { op: "delete_block", id: str(c["id"], "id") };
    case "create_allow":
      return { op: "create_allow", allow: checkedAllow(c["allow"]) };
    case "delete_allow":
      return { op: "delete_allow", id: str(c["id"], "id") };
    case "create_board_rule":
      return { op: "create_board_rule", rule: checkedBoardRule(c["rule"]) };
    case "delete_board_rule":
      return { op: "delete_board_rule", id: str(c["id"], "id") };
    default:
      throw new DomainError("invalid", "Unknown rule change.");
  }
}

export function checkedChanges(values: unknown): RuleChange[] {
  return list(values, "changes").map(checkedChange);
}

export function checkedAuditEntry(value: unknown): AuditEntry {
  const e = object(value, "audit entry") as Record<keyof AuditEntry, unknown>;
  const actor = object(e.actor, "actor");
  return {
    id: nonEmpty(e.id, "id"),
    at: int(e.at, "at"),
    actor: { kind: oneOf(actor["kind"], ACTOR_KINDS, "actor.kind"), id: str(actor["id"], "actor.id") },
    action: oneOf(e.action, AUDIT_ACTIONS, "action"),
    // empty for entries about no domain (a subscription's own changes)
    domain: str(e.domain, "domain").toLowerCase(),
    before: jsonObject(e.before, "before"),
    after: jsonObject(e.after, "after"),
    reason: str(e.reason, "reason"),
    subscriptionId: nullableStr(e.subscriptionId, "subscriptionId"),
  };
}

export function checkedAudit(values: unknown): AuditEntry[] {
  return list(values, "audit").map(checkedAuditEntry);
}

export interface AuditQuery {
  limit: number;
  before: string | null;
  domain: string | null;
}

export function checkedAuditQuery(value: unknown): AuditQuery {
  const q = object(value, "query");
  return {
    limit: page(0, q["limit"]).limit,
    before: nullableStr(q["before"], "before"),
    domain: q["domain"] === undefined || q["domain"] === null ? null : str(q["domain"], "domain").toLowerCase(),
  };
}

function domainList(value: unknown, what: string): string[] {
  return [...new Set(list(value, what).map((d) => domainArg(d, what)))];
}

function priority(value: unknown): number {
  return int(value, "priority");
}

export function checkedSubscription(value: unknown): BlocklistSubscription {
  const s = object(value, "subscription") as Record<keyof BlocklistSubscription, unknown>;
  return {
    id: nonEmpty(s.id, "id"),
    url: nonEmpty(s.url, "url"),
    format: oneOf(s.format, BLOCKLIST_FORMATS, "format"),
    priority: priority(s.priority),
    excludes: domainList(s.excludes, "excludes"),
    draft: bool(s.draft, "draft"),
    createdAt: int(s.createdAt, "createdAt"),
    lastSyncAt: nullableInt(s.lastSyncAt, "lastSyncAt"),
    lastStatus: nullableStr(s.lastStatus, "lastStatus"),
    lastChange: jsonObject(s.lastChange, "lastChange"),
  };
}

export type SubscriptionPatch = Partial<Omit<BlocklistSubscription, "id" | "createdAt">>;

/** The fields of a subscription patch, checked; `id`, `createdAt` and unknown keys are ignored. */
export function checkedSubscriptionPatch(value: unknown): SubscriptionPatch {
  const p = object(value, "patch") as Record<keyof SubscriptionPatch, unknown>;
  const out: SubscriptionPatch = {};
  if (p.url !== undefined) out.url = nonEmpty(p.url, "url");
  if (p.format !== undefined) out.format = oneOf(p.format, BLOCKLIST_FORMATS, "format");
  if (p.priority !== undefined) out.priority = priority(p.priority);
  if (p.excludes !== undefined) out.excludes = domainList(p.excludes, "excludes");
  if (p.draft !== undefined) out.draft = bool(p.draft, "draft");
  if (p.lastSyncAt !== undefined) out.lastSyncAt = nullableInt(p.lastSyncAt, "lastSyncAt");
  if (p.lastStatus !== undefined) out.lastStatus = nullableStr(p.lastStatus, "lastStatus");
  if (p.lastChange !== undefined) out.lastChange = jsonObject(p.lastChange, "lastChange");
  return out;
}

/** A subscription with a checked patch applied. */
export function patchedSubscription(sub: BlocklistSubscription, patch: SubscriptionPatch): BlocklistSubscription {
  return {
    id: sub.id,
    url: patch.url ?? sub.url,
    format: patch.format ?? sub.format,
    priority: patch.priority ?? sub.priority,
    excludes: patch.excludes ?? sub.excludes,
    draft: patch.draft ?? sub.draft,
    createdAt: sub.createdAt,
    lastSyncAt: patch.lastSyncAt !== undefined ? patch.lastSyncAt : sub.lastSyncAt,
    lastStatus: patch.lastStatus !== undefined ? patch.lastStatus : sub.lastStatus,
    lastChange: patch.lastChange !== undefined ? patch.lastChange : sub.lastChange,
  };
}

export function checkedEntry(value: unknown): BlocklistEntry {
  const e = object(value, "entry") as Record<keyof BlocklistEntry, unknown>;
  return {
    domain: domainArg(e.domain),
    severity: severity(e.severity, "severity"),
    rejectMedia: bool(e.rejectMedia, "rejectMedia"),
    rejectReports: bool(e.rejectReports, "rejectReports"),
    publicComment: str(e.publicComment, "publicComment"),
    obfuscate: bool(e.obfuscate, "obfuscate"),
  };
}

/** The entries of a list, checked; a list naming one domain twice keeps its first line. */
export function checkedEntries(values: unknown): BlocklistEntry[] {
  const out = new Map<string, BlocklistEntry>();
  for (const value of list(values, "entries")) {
    const entry = checkedEntry(value);
    if (!out.has(entry.domain)) out.set(entry.domain, entry);
  }
  return [...out.values()];
}

export function checkedConsensus(value: unknown): ConsensusSettings {
  const c = object(value, "consensus") as Record<keyof ConsensusSettings, unknown>;
  const minSources = int(c.minSources, "minSources");
  if (minSources < 1) throw new DomainError("invalid", "minSources must be at least 1.");
  let minShare: number | null = null;
  if (c.minShare !== null && c.minShare !== undefined) {
    minShare = num(c.minShare, "minShare");
    if (minShare <= 0 || minShare > 1) throw new DomainError("invalid", "minShare must be above 0 and at most 1.");
  }
  return {
    minSources,
    minShare,
    merge: oneOf(c.merge, MERGES, "merge"),
    stageWhileFollowed: bool(c.stageWhileFollowed, "stageWhileFollowed"),
  };
}

/** A fresh copy of the defaults, so no caller can change the shared frozen object's meaning. */
export function defaultConsensus(): ConsensusSettings {
  return { ...DEFAULT_CONSENSUS };
}
