import type { Request, RequestHandler } from "express";
import multer from "multer";
import { isBoardUri } from "../../../domain/board.js";
import type { DomainBlock } from "../../../domain/defederation/rules.js";
import { DomainError } from "../../../domain/errors.js";
import { can, type StaffUser } from "../../../domain/staff.js";
import type { Services } from "../../../services/container.js";
import type { BlockPatch } from "../../../services/defederation/types.js";
import { ADMIN_PATH, staffUser } from "../auth.js";
import type { AdminPageKit, FormBody } from "../page-kit.js";
import { auditView } from "./audit-view.js";
import { MAX_IMPORT_BYTES } from "./block-api.js";
import {
  allowInput,
  blockFields,
  blockInput,
  boardRuleInput,
  consensusFields,
  subscriptionFields,
  subscriptionInput,
} from "./fields.js";
import { importFormView, importPreviewView, importResultView } from "./import-views.js";
import { actorOf, field, formFields, localValue, requireAdmin } from "./page-parts.js";
import { auditCsv } from "./representation.js";
import { allowsView, blockEditView, blocksView, boardRulesView, PAGE_SIZE } from "./rule-views.js";
import { subscriptionsView } from "./subscription-views.js";

/*
 * The staff pages of defederation, under /admin/domains (admins) and /admin/boards/:uri/domains
 * (a board's own rules, for its owners too). Plain forms and redirects, as the other admin pages:
 * they work without JavaScript, and every form carries the session's CSRF token. A form is read by
 * the same field reader as the admin API (./fields.ts); the rules are the service's.
 */

const AUDIT_PAGE = 50;

/** The fields of the block form (./rule-views.ts) but the domain. */
const BLOCK_FORM = [
  "severity",
  "reject_media",
  "reject_reports",
  "obfuscate",
  "public_comment",
  "private_comment",
  "expires_at",
  "expires_in",
  "evidence_url",
] as const;

/** A rule's edit form as the service's patch; an expiry left as the form showed it keeps the stored one, to the millisecond. */
function blockPatchFrom(body: FormBody, now: number, current: DomainBlock): BlockPatch {
  const fields = formFields(body, BLOCK_FORM);
  const patch = blockFields(fields, now);
  const unchanged =
    String(fields["expires_in"]).trim() === "" && String(fields["expires_at"]).trim() === localValue(current.expiresAt);
  if (!unchanged) return patch;
  const { expiresAt: _shown, ...rest } = patch;
  return rest;
}

/** Only signed-in staff get their uploads read; anyone else goes to the sign-in page first. */
const signedInFirst: RequestHandler = (_req, res, next) => {
  if (staffUser(res)) next();
  else res.redirect(303, ADMIN_PATH);
};

/** A pasted or uploaded list: the file when one was chosen, else the text field. */
function csvOf(req: Request, body: FormBody): string {
  const file = req.file;
  const text = file && file.buffer.length > 0 ? file.buffer.toString("utf8") : (field(body, "csv") ?? "");
  if (text.trim() === "") throw new DomainError("invalid", "Choose a CSV file or paste the list.");
  return text;
}

function pageParam(req: Request): number {
  const v = req.query["page"];
  return typeof v === "string" && /^[1-9][0-9]{0,6}$/.test(v) ? Number(v) : 1;
}

/** Registers the defederation pages on the admin router. */
export function domainPages(s: Services, kit: AdminPageKit): void {
  const { page, post, postWith, render, back } = kit;
  const upload = multer({
    storage: multer.memoryStorage(),
    // A pasted list comes back with CRLF line ends, so the field may be a little larger than the file.
    limits: { fileSize: MAX_IMPORT_BYTES, fieldSize: 2 * MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 12 },
  }).single("file");

  const boardOf = (req: Request, user: StaffUser): string => {
    const uri = String(req.params["uri"]);
    if (!isBoardUri(uri)) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    if (!can(user, "manage_board", uri)) throw new DomainError("forbidden", "Your role does not allow this.");
    return uri;
  };

  // Blocks.
  page("/admin/domains", async (req, res, v) => {
    requireAdmin(v.user);
    const q = typeof req.query["q"] === "string" ? req.query["q"].trim().toLowerCase().slice(0, 253) : "";
    const all = await s.defederation.listBlocks();
    const matching = q ? all.filter((b) => b.domain.includes(q)) : all;
    const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    const n = Math.min(pageParam(req), pages);
    const shown = matching.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE);
    render(
      req,
      res,
      v,
      "Domain rules",
      blocksView(v, shown, { q, page: n, total: matching.length, allTotal: all.length }),
    );
  });

  post("/admin/domains", async (_req, res, v, body) => {
    requireAdmin(v.user);
    const input = blockInput(formFields(body, ["domain", ...BLOCK_FORM]), s.clock());
    await s.defederation.createBlock(input, actorOf(v.user));
    back(res, v, "domain_block_created");
  });

  page("/admin/domains/export.csv", async (_req, res, v) => {
    requireAdmin(v.user);
    res
      .type("text/csv; charset=utf-8")
      .setHeader("Content-Disposition", 'attachment; filename="domain_blocks.csv"')
      .send(await s.defederation.exportCsv());
  });

  page("/admin/domains/blocks/:id", async (req, res, v) => {
    requireAdmin(v.user);
    const b = await s.defederation.getBlock(String(req.params["id"]));
    render(req, res, v, `Rule on ${b.domain}`, blockEditView(v, b));
  });

  post("/admin/domains/blocks/:id", async (req, res, v, body) => {
    requireAdmin(v.user);
    const id = String(req.params["id"]);
    const current = await s.defederation.getBlock(id);
    await s.defederation.updateBlock(id, blockPatchFrom(body, s.clock(), current), actorOf(v.user));
    back(res, v, "domain_block_saved");
  });

  post("/admin/domains/blocks/:id/delete", async (req, res, v) => {
    requireAdmin(v.user);
    await s.defederation.deleteBlock(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_block_deleted");
  });

  post("/admin/domains/blocks/:id/confirm", async (req, res, v) => {
    requireAdmin(v.user);
    await s.defederation.confirmStaged(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_block_confirmed");
  });

  // Allows.
  page("/admin/domains/allows", async (req, res, v) => {
    requireAdmin(v.user);
    render(req, res, v, "Allowed domains", allowsView(v, await s.defederation.listAllows()));
  });

  post("/admin/domains/allows", async (_req, res, v, body) => {
    requireAdmin(v.user);
    await s.defederation.createAllow(allowInput(formFields(body, ["domain", "comment"])), actorOf(v.user));
    back(res, v, "domain_allow_created");
  });

  post("/admin/domains/allows/:id/delete", async (req, res, v) => {
    requireAdmin(v.user);
    await s.defederation.deleteAllow(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_allow_deleted");
  });

  // Import: upload or paste, preview, confirm.
  page("/admin/domains/import", async (req, res, v) => {
    requireAdmin(v.user);
    render(req, res, v, "Import domain blocks", importFormView(v));
  });

  postWith("/admin/domains/import/preview", [signedInFirst, upload], async (req, res, v, body) => {
    requireAdmin(v.user);
    const csv = csvOf(req, body);
    const preview = await s.defederation.previewImport(csv);
    render(req, res, { ...v, path: "/admin/domains/import" }, "Import preview", importPreviewView(v, preview, csv));
  });

  postWith("/admin/domains/import", [signedInFirst, upload], async (req, res, v, body) => {
    requireAdmin(v.user);
    const result = await s.defederation.importCsv(csvOf(req, body), actorOf(v.user));
    render(req, res, { ...v, path: "/admin/domains/import" }, "Import done", importResultView(v, result));
  });

  // Subscriptions and consensus.
  page("/admin/domains/subscriptions", async (req, res, v) => {
    requireAdmin(v.user);
    const [subs, consensus] = await Promise.all([s.defederation.listSubscriptions(), s.defederation.consensus()]);
    render(req, res, v, "Blocklist subscriptions", subscriptionsView(v, subs, consensus));
  });

  post("/admin/domains/subscriptions", async (_req, res, v, body) => {
    requireAdmin(v.user);
    const input = subscriptionInput(formFields(body, ["url", "format", "priority", "excludes", "draft"]));
    await s.defederation.addSubscription(input, actorOf(v.user));
    back(res, v, "subscription_created");
  });

  post("/admin/domains/subscriptions/:id/sync", async (req, res, v) => {
    requireAdmin(v.user);
    const result = await s.defederation.sync(String(req.params["id"]), actorOf(v.user));
    back(res, v, result.draft ? "subscription_synced_draft" : "subscription_synced");
  });

  post("/admin/domains/subscriptions/:id/apply", async (req, res, v) => {
    requireAdmin(v.user);
    await s.defederation.applyDraft(String(req.params["id"]), actorOf(v.user));
    back(res, v, "subscription_applied");
  });

  post("/admin/domains/subscriptions/:id/draft", async (req, res, v, body) => {
    requireAdmin(v.user);
    const patch = subscriptionFields(formFields(body, ["draft"]));
    await s.defederation.updateSubscription(String(req.params["id"]), patch, actorOf(v.user));
    back(res, v, "subscription_saved");
  });

  post("/admin/domains/subscriptions/:id/delete", async (req, res, v) => {
    requireAdmin(v.user);
    await s.defederation.removeSubscription(String(req.params["id"]), actorOf(v.user));
    back(res, v, "subscription_deleted");
  });

  post("/admin/domains/consensus", async (_req, res, v, body) => {
    requireAdmin(v.user);
    const settings = consensusFields(formFields(body, ["min_sources", "min_share", "merge", "stage_while_followed"]));
    await s.defederation.setConsensus(settings, actorOf(v.user));
    back(res, v, "consensus_saved");
  });

  // Audit log.
  page("/admin/domains/audit", async (req, res, v) => {
    requireAdmin(v.user);
    const domain = typeof req.query["domain"] === "string" ? req.query["domain"].trim().slice(0, 253) : "";
    const before =
      typeof req.query["before"] === "string" && /^[A-Za-z0-9_-]{1,100}$/.test(req.query["before"])
        ? req.query["before"]
        : undefined;
    const entries = await s.defederation.audit({
      limit: AUDIT_PAGE,
      ...(before !== undefined ? { before } : {}),
      ...(domain !== "" ? { domain } : {}),
    });
    const next = entries.length === AUDIT_PAGE ? (entries.at(-1)?.id ?? null) : null;
    render(req, res, v, "Domain audit log", auditView(v, entries, { domain, next }));
  });

  page("/admin/domains/audit.csv", async (_req, res, v) => {
    requireAdmin(v.user);
    res
      .type("text/csv; charset=utf-8")
      .setHeader("Content-Disposition", 'attachment; filename="domain_audit.csv"')
      .send(auditCsv(await s.defederation.auditExport()));
  });

  // A board's own rules: its owners and the admins.
  page("/admin/boards/:uri/domains", async (req, res, v) => {
    const board = boardOf(req, v.user);
    render(
      req,
      res,
      v,
      `Domain rules of /${board}/`,
      boardRulesView(v, board, await s.defederation.listBoardRules(board)),
    );
  });

  post("/admin/boards/:uri/domains", async (req, res, v, body) => {
    const board = boardOf(req, v.user);
    const input = boardRuleInput(formFields(body, ["domain", "severity", "reject_media", "comment"]));
    await s.defederation.createBoardRule(board, input, actorOf(v.user));
    back(res, v, "board_rule_created");
  });

  post("/admin/boards/:uri/domains/:id/delete", async (req, res, v) => {
    const board = boardOf(req, v.user);
    await s.defederation.deleteBoardRule(board, String(req.params["id"]), actorOf(v.user));
    back(res, v, "board_rule_deleted");
  });
}
