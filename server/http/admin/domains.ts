import express, { type ErrorRequestHandler, type Request, type Response, Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { type DomainBlock, normalizeDomain, severityRank } from "../../domain/domain-policy.js";
import type { AuditActor } from "../../domain/domain-ports.js";
import { DomainError } from "../../domain/errors.js";
import { can } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import type { BlockInput } from "../../services/domain-moderation-types.js";
import { API_ACTOR } from "../../services/staff.js";
import { toProblem } from "../problem.js";
import { sendProblem } from "../problem-document.js";
import { bearerOf } from "./auth.js";
import {
  blockFields,
  consensusFields,
  type Fields,
  flagField,
  queryFlag,
  severityField,
  subscriptionFields,
  textField,
  validated,
  validation,
} from "./domain-fields.js";
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
} from "./domain-representations.js";
import { idParam, limitParam, paginate, pagingId } from "./mastodon-paging.js";

/*
 * The admin API of domain moderation. The block and allow endpoints follow Mastodon's admin API
 * (entities, status codes, paging, form or JSON bodies, 422 for a rule that already exists) so the
 * tools operators already drive Mastodon with work unchanged; the rest (CSV, subscriptions,
 * consensus, staging, the audit log, board rules) are Atoll's own, in the same style.
 */

const CSV_TYPE = "text/csv; charset=utf-8";
/** Mastodon's own export is this big at the very most; a list cut short would drop blocks. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

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
