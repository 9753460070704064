import express, { type ErrorRequestHandler, type Request, type Response, Router } from "express";
import { type DomainBlock, normalizeDomain, type Severity } from "../../../domain/defederation/rules.js";
import type { AuditActor } from "../../../domain/defederation-ports.js";
import { DomainError } from "../../../domain/errors.js";
import type { Services } from "../../../services/container.js";
import type { BlockInput } from "../../../services/defederation/types.js";
import { API_ACTOR } from "../../../services/staff.js";
import { toProblem } from "../../problem.js";
import { sendProblem } from "../../problem-document.js";
import { bearerOf } from "../auth.js";
import { idParam, limitParam, paginate, pagingId } from "../mastodon-paging.js";
import {
  allowInput,
  blockFields,
  blockInput,
  boardRuleInput,
  consensusFields,
  type Fields,
  queryFlag,
  subscriptionFields,
  subscriptionInput,
  validated,
  validation,
} from "./fields.js";
import {
  auditCsv,
  auditJson,
  boardRuleJson,
  consensusJson,
  domainAllowJson,
  domainBlockJson,
  importJson,
  subscriptionJson,
  syncResultJson,
} from "./representation.js";

/*
 * The admin API of domain moderation. The block and allow endpoints follow Mastodon's admin API
 * (entities, status codes, paging, form or JSON bodies, 422 for a rule that already exists) so the
 * tools operators already drive Mastodon with work unchanged; the rest (CSV, subscriptions,
 * consensus, staging, the audit log, board rules) are Atoll's own, in the same style.
 */

const CSV_TYPE = "text/csv; charset=utf-8";
/** What Mastodon's admin API gives a new block that names no severity. */
const MASTODON_SEVERITY: Severity = "silence";
/** Mastodon's own export is this big at the very most; a list cut short would drop blocks. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

/**
 * The domain-moderation admin API, mounted by the admin API router behind its bearer check. API
 * callers are recorded in the audit log by their token (`ADMIN_TOKEN` or the minted token's id);
 * a valid token is an admin's (the bearer check), so no handler checks a role. Fields are read by
 * ./fields.ts; the rules they must satisfy are the service's.
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

  /** The board named in the path; the service refuses one that does not exist. */
  const boardParam = (req: Request): string => String(req.params["uri"]);

  // ------------------------------------------------------------------ blocks (Mastodon)

  r.get("/api/v1/admin/domain_blocks", async (req, res) => {
    res.json(paginate(req, res, s, await s.defederation.listBlocks()).map(domainBlockJson));
  });

  r.get("/api/v1/admin/domain_blocks/export.csv", async (_req, res) => {
    res
      .status(200)
      .type(CSV_TYPE)
      .setHeader("Content-Disposition", 'attachment; filename="domain_blocks.csv"')
      .send(await s.defederation.exportCsv());
  });

  r.post("/api/v1/admin/domain_blocks/import", csv, async (req, res) => {
    const dryRun = queryFlag(req, "dry_run");
    if (typeof req.body !== "string") {
      throw new DomainError("unsupported_media", "Send the list as text/csv, in Mastodon's export format.");
    }
    if (dryRun) {
      res.json(importJson(await s.defederation.previewImport(req.body), true));
      return;
    }
    res.json(importJson(await s.defederation.importCsv(req.body, actorOf(res)), false));
  });

  r.post("/api/v1/admin/domain_blocks", json, form, async (req, res) => {
    // Mastodon's API silences when no severity is given (the service's own default is suspend).
    const input: BlockInput = { severity: MASTODON_SEVERITY, ...blockInput(fields(req), s.clock()) };
    try {
      res.json(domainBlockJson(await validated(() => s.defederation.createBlock(input, actorOf(res)))));
    } catch (err) {
      // A rule on the domain, or one on a parent the new one is no stricter than: Mastodon's 422.
      if (!(err instanceof DomainError) || err.kind !== "conflict") throw err;
      const id = err.extra["existing_domain_block_id"];
      const existing = typeof id === "string" ? await s.defederation.getBlock(id).catch(() => null) : null;
      if (!existing) throw err;
      throw alreadyBlocked(normalizeDomain(input.domain) ?? input.domain, existing);
    }
  });

  r.get("/api/v1/admin/domain_blocks/:id", async (req, res) => {
    res.json(domainBlockJson(await s.defederation.getBlock(idParam(req, "domain block"))));
  });

  r.put("/api/v1/admin/domain_blocks/:id", json, form, async (req, res) => {
    const id = idParam(req, "domain block");
    const f = fields(req);
    const current = await s.defederation.getBlock(id);
    if (f["domain"] !== undefined && f["domain"] !== null && f["domain"] !== "") {
      if (typeof f["domain"] !== "string" || normalizeDomain(f["domain"]) !== current.domain) {
        throw validation("The domain of a block cannot change; delete it and create another.");
      }
    }
    const patch = blockFields(f, s.clock());
    res.json(domainBlockJson(await validated(() => s.defederation.updateBlock(id, patch, actorOf(res)))));
  });

  r.delete("/api/v1/admin/domain_blocks/:id", async (req, res) => {
    await s.defederation.deleteBlock(idParam(req, "domain block"), actorOf(res));
    res.json({});
  });

  r.post("/api/v1/admin/domain_blocks/:id/confirm", async (req, res) => {
    res.json(
      domainBlockJson(await validated(() => s.defederation.confirmStaged(idParam(req, "domain block"), actorOf(res)))),
    );
  });

  // ------------------------------------------------------------------ allows (Mastodon)

  r.get("/api/v1/admin/domain_allows", async (req, res) => {
    res.json(paginate(req, res, s, await s.defederation.listAllows()).map(domainAllowJson));
  });

  r.post("/api/v1/admin/domain_allows", json, form, async (req, res) => {
    const input = allowInput(fields(req));
    res.json(domainAllowJson(await validated(() => s.defederation.createAllow(input, actorOf(res)))));
  });

  r.get("/api/v1/admin/domain_allows/:id", async (req, res) => {
    res.json(domainAllowJson(await s.defederation.getAllow(idParam(req, "domain allow"))));
  });

  r.delete("/api/v1/admin/domain_allows/:id", async (req, res) => {
    await s.defederation.deleteAllow(idParam(req, "domain allow"), actorOf(res));
    res.json({});
  });

  // ------------------------------------------------------------------ subscriptions

  r.get("/api/v1/admin/domain_subscriptions", async (_req, res) => {
    res.json((await s.defederation.listSubscriptions()).map(subscriptionJson));
  });

  r.post("/api/v1/admin/domain_subscriptions", json, form, async (req, res) => {
    const input = subscriptionInput(fields(req));
    const sub = await validated(() => s.defederation.addSubscription(input, actorOf(res)));
    res.status(201).location(`/api/v1/admin/domain_subscriptions/${sub.id}`).json(subscriptionJson(sub));
  });

  r.get("/api/v1/admin/domain_subscriptions/consensus", async (_req, res) => {
    res.json(consensusJson(await s.defederation.consensus()));
  });

  r.put("/api/v1/admin/domain_subscriptions/consensus", json, form, async (req, res) => {
    const settings = consensusFields(fields(req));
    res.json(consensusJson(await validated(() => s.defederation.setConsensus(settings, actorOf(res)))));
  });

  r.get("/api/v1/admin/domain_subscriptions/:id", async (req, res) => {
    res.json(subscriptionJson(await s.defederation.getSubscription(idParam(req, "subscription"))));
  });

  r.patch("/api/v1/admin/domain_subscriptions/:id", json, form, async (req, res) => {
    const id = idParam(req, "subscription");
    const f = fields(req);
    if (f["url"] !== undefined) throw validation("The url of a subscription cannot change; add another.");
    const patch = subscriptionFields(f);
    res.json(subscriptionJson(await validated(() => s.defederation.updateSubscription(id, patch, actorOf(res)))));
  });

  r.delete("/api/v1/admin/domain_subscriptions/:id", async (req, res) => {
    res.json(syncResultJson(await s.defederation.removeSubscription(idParam(req, "subscription"), actorOf(res))));
  });

  r.post("/api/v1/admin/domain_subscriptions/:id/sync", async (req, res) => {
    res.json(syncResultJson(await s.defederation.sync(idParam(req, "subscription"), actorOf(res))));
  });

  r.post("/api/v1/admin/domain_subscriptions/:id/apply", async (req, res) => {
    res.json(syncResultJson(await s.defederation.applyDraft(idParam(req, "subscription"), actorOf(res))));
  });

  // ------------------------------------------------------------------ audit

  r.get("/api/v1/admin/domain_audit", async (req, res) => {
    const limit = limitParam(req, 100, 1000);
    const before = pagingId(req, "before");
    const domain =
      typeof req.query["domain"] === "string" && req.query["domain"] !== "" ? req.query["domain"] : undefined;
    const entries = await s.defederation.audit({
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
    res
      .status(200)
      .type(CSV_TYPE)
      .setHeader("Content-Disposition", 'attachment; filename="domain_audit.csv"')
      .send(auditCsv(await s.defederation.auditExport()));
  });

  // ------------------------------------------------------------------ board rules

  r.get("/api/v1/admin/boards/:uri/domain_rules", async (req, res) => {
    res.json((await s.defederation.listBoardRules(boardParam(req))).map(boardRuleJson));
  });

  r.post("/api/v1/admin/boards/:uri/domain_rules", json, form, async (req, res) => {
    const board = boardParam(req);
    const input = boardRuleInput(fields(req));
    const rule = await validated(() => s.defederation.createBoardRule(board, input, actorOf(res)));
    res.status(201).location(`/api/v1/admin/boards/${board}/domain_rules/${rule.id}`).json(boardRuleJson(rule));
  });

  r.delete("/api/v1/admin/boards/:uri/domain_rules/:id", async (req, res) => {
    const board = boardParam(req);
    await s.defederation.deleteBoardRule(board, idParam(req, "board rule"), actorOf(res));
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
