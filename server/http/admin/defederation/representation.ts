import { createHash } from "node:crypto";
import type { BoardDomainRule, DomainAllow, DomainBlock } from "../../../domain/defederation/rules.js";
import type { AuditEntry, BlocklistSubscription, ConsensusSettings } from "../../../domain/defederation-ports.js";
import type { ImportPreview, ImportResult, SyncResult } from "../../../services/defederation/types.js";

/*
 * How defederation's records are shown to the admin API and the command line: Mastodon's
 * admin entities for blocks and allows, Atoll's own for the rest, and the audit log as CSV.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Hex SHA-256 of a domain, as Mastodon publishes it beside (possibly masked) domains. */
export function domainDigest(domain: string): string {
  return createHash("sha256").update(domain).digest("hex");
}

/** Mastodon's Admin::DomainBlock, plus Atoll's expiry, evidence, origin and staging. */
export function domainBlockJson(b: DomainBlock) {
  return {
    id: b.id,
    domain: b.domain,
    digest: domainDigest(b.domain),
    created_at: iso(b.createdAt),
    severity: b.severity,
    reject_media: b.rejectMedia,
    reject_reports: b.rejectReports,
    // As stored: "" stays "", so a tool comparing what it sent with what it reads sees no change.
    private_comment: b.privateComment,
    public_comment: b.publicComment,
    obfuscate: b.obfuscate,
    expires_at: iso(b.expiresAt),
    evidence_url: b.evidenceUrl,
    origin: b.origin,
    staged_severity: b.stagedSeverity,
  };
}

/** Mastodon's Admin::DomainAllow. */
export function domainAllowJson(a: DomainAllow) {
  return { id: a.id, domain: a.domain, created_at: iso(a.createdAt) };
}

export function boardRuleJson(r: BoardDomainRule) {
  return {
    id: r.id,
    board: r.board,
    domain: r.domain,
    severity: r.severity,
    reject_media: r.rejectMedia,
    comment: r.comment,
    created_at: iso(r.createdAt),
  };
}

export function subscriptionJson(sub: BlocklistSubscription) {
  return {
    id: sub.id,
    url: sub.url,
    format: sub.format,
    priority: sub.priority,
    excludes: sub.excludes,
    draft: sub.draft,
    created_at: iso(sub.createdAt),
    last_sync_at: iso(sub.lastSyncAt),
    last_status: sub.lastStatus,
    last_change: sub.lastChange,
  };
}

export function consensusJson(c: ConsensusSettings) {
  return {
    min_sources: c.minSources,
    min_share: c.minShare,
    merge: c.merge,
    stage_while_followed: c.stageWhileFollowed,
  };
}

export function syncResultJson(r: SyncResult) {
  return {
    subscription_id: r.subscriptionId,
    created: r.created,
    updated: r.updated,
    removed: r.removed,
    staged: r.staged,
    draft: r.draft,
    errors: r.errors,
    domains: r.domains,
  };
}

export function auditJson(e: AuditEntry) {
  return {
    id: e.id,
    at: iso(e.at),
    actor: { kind: e.actor.kind, id: e.actor.id },
    action: e.action,
    domain: e.domain,
    before: e.before,
    after: e.after,
    reason: e.reason,
    subscription_id: e.subscriptionId,
  };
}

function entryJson(e: ImportPreview["create"][number]) {
  return {
    domain: e.domain,
    severity: e.severity,
    reject_media: e.rejectMedia,
    reject_reports: e.rejectReports,
    public_comment: e.publicComment,
    obfuscate: e.obfuscate,
  };
}

/** What a CSV import changes (or, dry, would change), in full and as counts. */
export function importJson(p: ImportPreview | ImportResult, dryRun: boolean) {
  return {
    dry_run: dryRun,
    applied: "applied" in p ? p.applied : 0,
    counts: {
      create: p.create.length,
      update: p.update.length,
      unchanged: p.unchanged,
      skipped_covered: p.skippedCovered.length,
      errors: p.errors.length,
      severs: p.severs.length,
    },
    create: p.create.map(entryJson),
    update: p.update.map((u) => ({
      domain: u.before.domain,
      before: {
        severity: u.before.severity,
        reject_media: u.before.rejectMedia,
        reject_reports: u.before.rejectReports,
        public_comment: u.before.publicComment,
        obfuscate: u.before.obfuscate,
      },
      after: entryJson(u.after),
    })),
    skipped_covered: p.skippedCovered,
    errors: p.errors,
    severs: p.severs,
  };
}

const AUDIT_CSV_COLUMNS = [
  "id",
  "at",
  "actor_kind",
  "actor_id",
  "action",
  "domain",
  "subscription_id",
  "reason",
  "before",
  "after",
] as const;

/**
 * A CSV cell. Text a person typed (a reason) that starts like a formula is prefixed with `'`, so a
 * spreadsheet opening the export shows it instead of running it.
 */
function csvCell(value: string, text = false): string {
  const v = text && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The audit log as CSV, one entry per row in the order given; `before`/`after` as JSON. */
export function auditCsv(entries: readonly AuditEntry[]): string {
  const rows = [AUDIT_CSV_COLUMNS.join(",")];
  for (const e of entries) {
    rows.push(
      [
        csvCell(e.id),
        csvCell(new Date(e.at).toISOString()),
        csvCell(e.actor.kind),
        csvCell(e.actor.id),
        csvCell(e.action),
        csvCell(e.domain),
        csvCell(e.subscriptionId ?? ""),
        csvCell(e.reason, true),
        csvCell(e.before === null ? "" : JSON.stringify(e.before)),
        csvCell(e.after === null ? "" : JSON.stringify(e.after)),
      ].join(","),
    );
  }
  return `${rows.join("\n")}\n`;
}
