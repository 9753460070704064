import type { Request } from "express";
import type { DomainBlock } from "../../../domain/defederation/rules.js";
import type { BlockPatch } from "../../../services/defederation/types.js";
import type { AdminPageKit, FormBody } from "../page-kit.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { blockFields, blockInput } from "./fields.js";
import { actorOf, formFields, localValue } from "./page-parts.js";
import { blockEditView, blocksView, PAGE_SIZE } from "./rule-views.js";

/* The instance's domain blocks: the searchable list, adding one, editing, deleting, confirming a staged one. */

const ADMINS = { needs: "manage_instance" } as const;

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

function pageParam(req: Request): number {
  const v = req.query["page"];
  return typeof v === "string" && /^[1-9][0-9]{0,6}$/.test(v) ? Number(v) : 1;
}

export function blockPages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/domains", ADMINS, async (req, res, v) => {
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

  post("/admin/domains", ADMINS, async (_req, res, v, body) => {
    const input = blockInput(formFields(body, ["domain", ...BLOCK_FORM]), s.clock());
    await s.defederation.createBlock(input, actorOf(v.user));
    back(res, v, "domain_block_created");
  });

  page("/admin/domains/blocks/:id", ADMINS, async (req, res, v) => {
    const b = await s.defederation.getBlock(String(req.params["id"]));
    render(req, res, v, `Rule on ${b.domain}`, blockEditView(v, b));
  });

  post("/admin/domains/blocks/:id", ADMINS, async (req, res, v, body) => {
    const id = String(req.params["id"]);
    const current = await s.defederation.getBlock(id);
    await s.defederation.updateBlock(id, blockPatchFrom(body, s.clock(), current), actorOf(v.user));
    back(res, v, "domain_block_saved");
  });

  post("/admin/domains/blocks/:id/delete", ADMINS, async (req, res, v) => {
    await s.defederation.deleteBlock(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_block_deleted");
  });

  post("/admin/domains/blocks/:id/confirm", ADMINS, async (req, res, v) => {
    await s.defederation.confirmStaged(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_block_confirmed");
  });
}
