import { type DomainBlock, normalizeDomain, type Severity } from "../../../domain/defederation/rules.js";
import { DomainError } from "../../../domain/errors.js";
import type { BlockInput } from "../../../services/defederation/types.js";
import { requireSomeField, updateRoute } from "../body.js";
import { idParam, paginate } from "../mastodon-paging.js";
import { type ApiKit, CSV_TYPE } from "./api-kit.js";
import { blockFields, blockInput, queryFlag, validated, validation } from "./fields.js";
import { domainBlockJson, importJson } from "./representation.js";

/** What Mastodon's admin API gives a new block that names no severity. */
const MASTODON_SEVERITY: Severity = "silence";
/** What an update of a block may name. */
const BLOCK_FIELDS = [
  "domain",
  "severity",
  "reject_media",
  "reject_reports",
  "private_comment",
  "public_comment",
  "obfuscate",
  "expires_at",
  "expires_in",
  "evidence_url",
] as const;
/** Mastodon's own export is this big at the very most; a list cut short would drop blocks. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;

/** Mastodon's domain block endpoints, with the CSV export and import and staging's confirm. */
export function blockApi(k: ApiKit): void {
  k.r.get("/api/v1/admin/domain_blocks", async (req, res) => {
    res.json(paginate(req, res, k.s, await k.s.defederation.listBlocks()).map(domainBlockJson));
  });

  k.r.get("/api/v1/admin/domain_blocks/export.csv", async (_req, res) => {
    res
      .status(200)
      .type(CSV_TYPE)
      .setHeader("Content-Disposition", 'attachment; filename="domain_blocks.csv"')
      .send(await k.s.defederation.exportCsv());
  });

  k.r.post("/api/v1/admin/domain_blocks/import", k.csv, async (req, res) => {
    const dryRun = queryFlag(req, "dry_run");
    if (typeof req.body !== "string") {
      throw new DomainError("unsupported_media", "Send the list as text/csv, in Mastodon's export format.");
    }
    if (dryRun) {
      res.json(importJson(await k.s.defederation.previewImport(req.body), true));
      return;
    }
    res.json(importJson(await k.s.defederation.importCsv(req.body, k.actorOf(res)), false));
  });

  k.r.post("/api/v1/admin/domain_blocks", ...k.body, async (req, res) => {
    // Mastodon's API silences when no severity is given (the service's own default is suspend).
    const input: BlockInput = { severity: MASTODON_SEVERITY, ...blockInput(k.fields(req), k.s.clock()) };
    try {
      res.json(domainBlockJson(await validated(() => k.s.defederation.createBlock(input, k.actorOf(res)))));
    } catch (err) {
      // A rule on the domain, or one on a parent the new one is no stricter than: Mastodon's 422.
      if (!(err instanceof DomainError) || err.kind !== "conflict") throw err;
      const id = err.extra["existing_domain_block_id"];
      const existing = typeof id === "string" ? await k.s.defederation.getBlock(id).catch(() => null) : null;
      if (!existing) throw err;
      throw alreadyBlocked(normalizeDomain(input.domain) ?? input.domain, existing);
    }
  });

  k.r.get("/api/v1/admin/domain_blocks/:id", async (req, res) => {
    res.json(domainBlockJson(await k.s.defederation.getBlock(idParam(req, "domain block"))));
  });

  updateRoute(k.r, "/api/v1/admin/domain_blocks/:id", ...k.body, async (req, res) => {
    const id = idParam(req, "domain block");
    const f = k.fields(req);
    const current = await k.s.defederation.getBlock(id);
    requireSomeField(f, BLOCK_FIELDS);
    if (f["domain"] !== undefined && f["domain"] !== null && f["domain"] !== "") {
      if (typeof f["domain"] !== "string" || normalizeDomain(f["domain"]) !== current.domain) {
        throw validation("The domain of a block cannot change; delete it and create another.");
      }
    }
    const patch = blockFields(f, k.s.clock());
    res.json(domainBlockJson(await validated(() => k.s.defederation.updateBlock(id, patch, k.actorOf(res)))));
  });

  k.r.delete("/api/v1/admin/domain_blocks/:id", async (req, res) => {
    await k.s.defederation.deleteBlock(idParam(req, "domain block"), k.actorOf(res));
    res.json({});
  });

  k.r.post("/api/v1/admin/domain_blocks/:id/confirm", async (req, res) => {
    res.json(
      domainBlockJson(
        await validated(() => k.s.defederation.confirmStaged(idParam(req, "domain block"), k.actorOf(res))),
      ),
    );
  });
}

function alreadyBlocked(domain: string, existing: DomainBlock): DomainError {
  const what = existing.domain === domain ? domain : `${existing.domain}, which covers ${domain},`;
  return validation(`${what} is already blocked; edit that block instead.`, {
    existing_domain_block: domainBlockJson(existing),
  });
}
