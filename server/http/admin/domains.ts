import { createHash } from "node:crypto";
import express, { type ErrorRequestHandler, type Request, type Response, Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import {
  type BoardDomainRule,
  type DomainAllow,
  type DomainBlock,
  isSeverity,
  normalizeDomain,
  type Severity,
  severityRank,
} from "../../domain/domain-policy.js";
import type {
  AuditActor,
  AuditEntry,
  BlocklistFormat,
  BlocklistSubscription,
  ConsensusSettings,
} from "../../domain/domain-ports.js";
import { DomainError } from "../../domain/errors.js";
import { can } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import type {
  BlockInput,
  BlockPatch,
  ImportPreview,
  ImportResult,
  SubscriptionInput,
  SyncResult,
} from "../../services/domain-moderation-types.js";
import { API_ACTOR } from "../../services/staff.js";
import { sendProblem, toProblem } from "../problem.js";
import { bearerOf } from "./auth.js";

/*
 * The admin API of domain moderation. The block and allow endpoints follow Mastodon's admin API
 * (entities, status codes, paging, form or JSON bodies, 422 for a rule that already exists) so the
 * tools operators already drive Mastodon with work unchanged; the rest (CSV, subscriptions,
 * consensus, staging, the audit log, board rules) are Atoll's own, in the same style.
 */

// ------------------------------------------------------------------------------- representations

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
    private_comment: b.privateComment === "" ? null : b.privateComment,
    public_comment: b.publicComment === "" ? null : b.publicComment,
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

// ------------------------------------------------------------------------------------ input

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
function blockFields(f: Fields, now: number): BlockPatch {
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

/**
 * Mastodon's `stricter_than?`: whether a new rule on a subdomain limits more than the rule on its
 * parent, and so is worth having. A suspend always is; otherwise the severity may not be milder and
 * each reject flag the parent sets must be set too.
 */
export function stricterThan(
  next: Pick<DomainBlock, "severity" | "rejectMedia" | "rejectReports">,
  parent: DomainBlock,
) {
  if (next.severity === "suspend") return true;
  if (severityRank(parent.severity) > severityRank(next.severity)) return false;
  return (next.rejectMedia || !parent.rejectMedia) && (next.rejectReports || !parent.rejectReports);
}

/** Runs a service call, reporting its refusals of field values as Mastodon does: 422. */
async function validated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError && err.kind === "invalid") throw validation(err.message, err.extra);
    throw err;
  }
}

// ------------------------------------------------------------------------------------- paging

const ID_PARAM = /^[A-Za-z0-9_-]{1,100}$/;

function idParam(req: Request, what: string): string {
  const id = String(req.params["id"]);
  if (!ID_PARAM.test(id)) throw new DomainError("not_found", `No such ${what}.`);
  return id;
}

function pagingId(req: Request, key: string): string | undefined {
  const v = req.query[key];
  if (v === undefined || v === "") return undefined;
  if (typeof v !== "string" || !ID_PARAM.test(v)) throw new DomainError("invalid", `${key} must be an id.`);
  return v;
}

/** `limit` as Mastodon reads it: the default when absent, at most `max`. */
export function limitParam(req: Request, fallback: number, max: number): number {
  const v = req.query["limit"];
  if (v === undefined || v === "") return fallback;
  if (typeof v !== "string" || !/^[0-9]{1,9}$/.test(v) || Number(v) < 1) {
    throw new DomainError("invalid", "limit must be a whole number from 1.");
  }
  return Math.min(Number(v), max);
}

/**
 * One page of a list in Mastodon's order (by id, descending), with its `Link` header: `max_id`
 * returns what comes after an id, `since_id` the newest above one, `min_id` those just above one.
 * The order is the ids' own, so a page boundary stays put however the list changes around it, and
 * a cursor whose item was deleted still works.
 */
function paginate<T extends { id: string }>(req: Request, res: Response, s: Services, items: readonly T[]): T[] {
  const limit = limitParam(req, 100, 200);
  const maxId = pagingId(req, "max_id");
  const sinceId = pagingId(req, "since_id");
  const minId = pagingId(req, "min_id");
  const desc = [...items].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  let window = desc;
  if (maxId !== undefined) window = window.filter((x) => x.id < maxId);
  let page: T[];
  if (minId !== undefined) {
    const above = window.filter((x) => x.id > minId);
    page = above.slice(Math.max(0, above.length - limit));
  } else {
    if (sinceId !== undefined) window = window.filter((x) => x.id > sinceId);
    page = window.slice(0, limit);
  }
  const links: string[] = [];
  const url = (param: string, id: string) => {
    const u = new URL(req.path, s.config.publicUrl);
    if (req.query["limit"] !== undefined) u.searchParams.set("limit", String(limit));
    u.searchParams.set(param, id);
    return u.toString();
  };
  const last = page.at(-1);
  const first = page[0];
  if (last && page.length === limit && desc.some((x) => x.id < last.id))
    links.push(`<${url("max_id", last.id)}>; rel="next"`);
  if (first) links.push(`<${url("min_id", first.id)}>; rel="prev"`);
  if (links.length > 0) res.setHeader("Link", links.join(", "));
  return page;
}

// ------------------------------------------------------------------------------------- router

const CSV_TYPE = "text/csv; charset=utf-8";
/** Mastodon's own export is this big at the very most; a list cut short would drop blocks. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

function queryFlag(req: Request, key: string): boolean {
  const v = req.query[key];
  if (v === undefined) return false;
  if (typeof v === "string") {
    const w = v.toLowerCase();
    if (TRUE_WORDS.has(w)) return true;
    if (FALSE_WORDS.has(w)) return false;
  }
  throw new DomainError("invalid", `${key} must be true or false.`);
}

/**
 * The domain-moderation admin API, mounted by the admin API router behind its bearer check. API
 * callers are recorded in the audit log by their token (`ADMIN_TOKEN` or the minted token's id);
 * they act as the API's admin.
 */
export function domainAdminRouter(s: Services): Router {
  const r = Router();
  /** The audit log's name for who made a change: the admin token the request carried. */
  const actorOf = (res: Response): AuditActor => ({ kind: "token", id: bearerOf(res) || API_ACTOR.username });
  const json = express.json({ limit: "64kb" });
  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 100 });
  const csv = express.text({ type: ["text/csv", "text/plain", "application/csv"], limit: MAX_IMPORT_BYTES });

  /** The request's body fields over its query fields; a body that is not an object is a 400. */
  const fields = (req: Request): Fields => {
    const body: unknown = req.body;
    if (body !== undefined && body !== null && (typeof body !== "object" || Array.isArray(body))) {
      throw new DomainError("invalid", "The request body must be a JSON object or a form.");
    }
    return { ...(req.query as Fields), ...((body ?? {}) as Fields) };
  };

  const admin = () => {
    if (!can(API_ACTOR, "manage_instance", null))
      throw new DomainError("forbidden", "Only admins manage domain rules.");
  };

  const boardParam = async (req: Request): Promise<string> => {
    const uri = String(req.params["uri"]);
    if (!isBoardUri(uri) || !(await s.store.boards.get(uri))) {
      throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    }
    if (!can(API_ACTOR, "manage_board", uri)) throw new DomainError("forbidden", "Your role does not allow this.");
    return uri;
  };

  // ------------------------------------------------------------------ blocks (Mastodon)

  r.get("/api/v1/admin/domain_blocks", async (req, res) => {
    admin();
    res.json(paginate(req, res, s, await s.domains.listBlocks()).map(domainBlockJson));
  });

  r.get("/api/v1/admin/domain_blocks/export.csv", async (_req, res) => {
    admin();
    res
      .status(200)
      .type(CSV_TYPE)
      .setHeader("Content-Disposition", 'attachment; filename="domain_blocks.csv"')
      .send(await s.domains.exportCsv());
  });

  r.post("/api/v1/admin/domain_blocks/import", csv, async (req, res) => {
    admin();
    const dryRun = queryFlag(req, "dry_run");
    if (typeof req.body !== "string") {
      throw new DomainError("unsupported_media", "Send the list as text/csv, in Mastodon's export format.");
    }
    if (dryRun) {
      res.json(importJson(await s.domains.previewImport(req.body), true));
      return;
    }
    res.json(importJson(await s.domains.importCsv(req.body, actorOf(res)), false));
  });

  r.post("/api/v1/admin/domain_blocks", json, form, async (req, res) => {
    admin();
    const f = fields(req);
    const raw = f["domain"];
    if (raw === undefined || raw === null || raw === "") throw validation("domain is required.");
    if (typeof raw !== "string") throw validation("domain must be text.");
    const domain = normalizeDomain(raw);
    if (domain === null) throw validation(`"${raw.slice(0, 100)}" is not a domain name.`);
    const input: BlockInput = { domain, severity: "silence", ...blockFields(f, s.clock()) };
    const existing = s.policy.index.ruleFor(domain, s.clock());
    if (
      existing &&
      (existing.domain === domain ||
        !stricterThan(
          {
            severity: input.severity ?? "silence",
            rejectMedia: input.rejectMedia ?? false,
            rejectReports: input.rejectReports ?? false,
          },
          existing,
        ))
    ) {
      throw alreadyBlocked(domain, existing);
    }
    try {
      res.json(domainBlockJson(await validated(() => s.domains.createBlock(input, actorOf(res)))));
    } catch (err) {
      // The rule in the store may be one the compiled rules do not show (expired, or just made elsewhere).
      if (!(err instanceof DomainError) || err.kind !== "conflict") throw err;
      const id = err.extra["existing_domain_block_id"];
      const found = typeof id === "string" ? await s.store.domains.rules.getBlock(id) : null;
      if (!found) throw err;
      throw alreadyBlocked(domain, found);
    }
  });

  r.get("/api/v1/admin/domain_blocks/:id", async (req, res) => {
    admin();
    res.json(domainBlockJson(await s.domains.getBlock(idParam(req, "domain block"))));
  });

  r.put("/api/v1/admin/domain_blocks/:id", json, form, async (req, res) => {
    admin();
    const id = idParam(req, "domain block");
    const f = fields(req);
    const current = await s.domains.getBlock(id);
    if (f["domain"] !== undefined && f["domain"] !== null && f["domain"] !== "") {
      if (typeof f["domain"] !== "string" || normalizeDomain(f["domain"]) !== current.domain) {
        throw validation("The domain of a block cannot change; delete it and create another.");
      }
    }
    const patch = blockFields(f, s.clock());
    res.json(domainBlockJson(await validated(() => s.domains.updateBlock(id, patch, actorOf(res)))));
  });

  r.delete("/api/v1/admin/domain_blocks/:id", async (req, res) => {
    admin();
    await s.domains.deleteBlock(idParam(req, "domain block"), actorOf(res));
    res.json({});
  });

  r.post("/api/v1/admin/domain_blocks/:id/confirm", async (req, res) => {
    admin();
    res.json(
      domainBlockJson(await validated(() => s.domains.confirmStaged(idParam(req, "domain block"), actorOf(res)))),
    );
  });

  // ------------------------------------------------------------------ allows (Mastodon)

  r.get("/api/v1/admin/domain_allows", async (req, res) => {
    admin();
    res.json(paginate(req, res, s, await s.domains.listAllows()).map(domainAllowJson));
  });

  r.post("/api/v1/admin/domain_allows", json, form, async (req, res) => {
    admin();
    const f = fields(req);
    const domain = f["domain"];
    if (domain === undefined || domain === null || domain === "") throw validation("domain is required.");
    if (typeof domain !== "string") throw validation("domain must be text.");
    const comment = textField(f, "comment");
    const allow = await validated(() =>
      s.domains.createAllow({ domain, ...(comment !== undefined ? { comment } : {}) }, actorOf(res)),
    );
    res.json(domainAllowJson(allow));
  });

  r.get("/api/v1/admin/domain_allows/:id", async (req, res) => {
    admin();
    res.json(domainAllowJson(await s.domains.getAllow(idParam(req, "domain allow"))));
  });

  r.delete("/api/v1/admin/domain_allows/:id", async (req, res) => {
    admin();
    await s.domains.deleteAllow(idParam(req, "domain allow"), actorOf(res));
    res.json({});
  });

  // ------------------------------------------------------------------ subscriptions

  r.get("/api/v1/admin/domain_subscriptions", async (_req, res) => {
    admin();
    res.json((await s.domains.listSubscriptions()).map(subscriptionJson));
  });

  r.post("/api/v1/admin/domain_subscriptions", json, form, async (req, res) => {
    admin();
    const f = fields(req);
    const url = f["url"];
    if (typeof url !== "string" || url === "") throw validation("url is required.");
    const sub = await validated(() => s.domains.addSubscription({ url, ...subscriptionFields(f) }, actorOf(res)));
    res.status(201).location(`/api/v1/admin/domain_subscriptions/${sub.id}`).json(subscriptionJson(sub));
  });

  r.get("/api/v1/admin/domain_subscriptions/consensus", async (_req, res) => {
    admin();
    res.json(consensusJson(await s.domains.consensus()));
  });

  r.put("/api/v1/admin/domain_subscriptions/consensus", json, form, async (req, res) => {
    admin();
    const settings = consensusFields(fields(req));
    res.json(consensusJson(await validated(() => s.domains.setConsensus(settings, actorOf(res)))));
  });

  r.get("/api/v1/admin/domain_subscriptions/:id", async (req, res) => {
    admin();
    res.json(subscriptionJson(await s.domains.getSubscription(idParam(req, "subscription"))));
  });

  r.patch("/api/v1/admin/domain_subscriptions/:id", json, form, async (req, res) => {
    admin();
    const id = idParam(req, "subscription");
    const f = fields(req);
    if (f["url"] !== undefined) throw validation("The url of a subscription cannot change; add another.");
    const patch = subscriptionFields(f);
    res.json(subscriptionJson(await validated(() => s.domains.updateSubscription(id, patch, actorOf(res)))));
  });

  r.delete("/api/v1/admin/domain_subscriptions/:id", async (req, res) => {
    admin();
    res.json(syncResultJson(await s.domains.removeSubscription(idParam(req, "subscription"), actorOf(res))));
  });

  r.post("/api/v1/admin/domain_subscriptions/:id/sync", async (req, res) => {
    admin();
    res.json(syncResultJson(await s.domains.sync(idParam(req, "subscription"), actorOf(res))));
  });

  r.post("/api/v1/admin/domain_subscriptions/:id/apply", async (req, res) => {
    admin();
    res.json(syncResultJson(await s.domains.applyDraft(idParam(req, "subscription"), actorOf(res))));
  });

  // ------------------------------------------------------------------ audit

  r.get("/api/v1/admin/domain_audit", async (req, res) => {
    admin();
    const limit = limitParam(req, 100, 1000);
    const before = pagingId(req, "before");
    const domain =
      typeof req.query["domain"] === "string" && req.query["domain"] !== "" ? req.query["domain"] : undefined;
    const entries = await s.domains.audit({
      limit,
      ...(before !== undefined ? { before } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
    const last = entries.at(-1);
    if (last && entries.length === limit) {
      const u = new URL(req.path, s.config.publicUrl);
      u.searchParams.set("limit", String(limit));
      if (domain !== undefined) u.searchParams.set("domain", domain);
      u.searchParams.set("before", last.id);
      res.setHeader("Link", `<${u.toString()}>; rel="next"`);
    }
    res.json(entries.map(auditJson));
  });

  r.get("/api/v1/admin/domain_audit.csv", async (_req, res) => {
    admin();
    res
      .status(200)
      .type(CSV_TYPE)
      .setHeader("Content-Disposition", 'attachment; filename="domain_audit.csv"')
      .send(auditCsv(await s.domains.auditExport()));
  });

  // ------------------------------------------------------------------ board rules

  r.get("/api/v1/admin/boards/:uri/domain_rules", async (req, res) => {
    const board = await boardParam(req);
    res.json((await s.domains.listBoardRules(board)).map(boardRuleJson));
  });

  r.post("/api/v1/admin/boards/:uri/domain_rules", json, form, async (req, res) => {
    const board = await boardParam(req);
    const f = fields(req);
    const domain = f["domain"];
    if (typeof domain !== "string" || domain === "") throw validation("domain is required.");
    const severity = severityField(f);
    if (severity === "noop") throw validation("A board rule's severity is silence or suspend.");
    const rejectMedia = flagField(f, "reject_media");
    const comment = textField(f, "comment");
    const rule = await validated(() =>
      s.domains.createBoardRule(
        board,
        {
          domain,
          ...(severity !== undefined ? { severity } : {}),
          ...(rejectMedia !== undefined ? { rejectMedia } : {}),
          ...(comment !== undefined ? { comment } : {}),
        },
        actorOf(res),
      ),
    );
    res.status(201).location(`/api/v1/admin/boards/${board}/domain_rules/${rule.id}`).json(boardRuleJson(rule));
  });

  r.delete("/api/v1/admin/boards/:uri/domain_rules/:id", async (req, res) => {
    const board = await boardParam(req);
    await s.domains.deleteBoardRule(board, idParam(req, "board rule"), actorOf(res));
    res.status(204).end();
  });

  // Mastodon clients show `error`; the problem document carries it beside `detail`.
  const problems: ErrorRequestHandler = (err, _req, res, _next) => {
    const problem = toProblem(err, s.logger);
    sendProblem(res, { ...problem, error: problem.detail });
  };
  r.use(problems);
  return r;
}

function alreadyBlocked(domain: string, existing: DomainBlock): DomainError {
  const what = existing.domain === domain ? domain : `${existing.domain}, which covers ${domain},`;
  return validation(`${what} is already blocked; edit that block instead.`, {
    existing_domain_block: domainBlockJson(existing),
  });
}

function subscriptionFields(f: Fields): Omit<SubscriptionInput, "url"> {
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

function consensusFields(f: Fields): Partial<ConsensusSettings> {
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
