import { limitParam, pagingId } from "../mastodon-paging.js";
import { type ApiKit, CSV_TYPE } from "./api-kit.js";
import { auditCsv, auditJson } from "./representation.js";

/** The audit log of rule changes, paged by `before` with a `Link` header, and whole as CSV. */
export function auditApi(k: ApiKit): void {
  k.r.get("/api/v1/admin/domain_audit", async (req, res) => {
    const limit = limitParam(req, 100, 1000);
    const before = pagingId(req, "before");
    const domain =
      typeof req.query["domain"] === "string" && req.query["domain"] !== "" ? req.query["domain"] : undefined;
    const entries = await k.s.defederation.audit({
      limit,
      ...(before !== undefined ? { before } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
    const last = entries.at(-1);
    if (last && entries.length === limit) {
      const u = new URL(req.path, k.s.config.publicUrl);
      u.searchParams.set("limit", String(limit));
      if (domain !== undefined) u.searchParams.set("domain", domain);
      u.searchParams.set("before", last.id);
      res.setHeader("Link", `<${u.toString()}>; rel="next"`);
    }
    res.json(entries.map(auditJson));
  });

  k.r.get("/api/v1/admin/domain_audit.csv", async (_req, res) => {
    res
      .status(200)
      .type(CSV_TYPE)
      .setHeader("Content-Disposition", 'attachment; filename="domain_audit.csv"')
      .send(auditCsv(await k.s.defederation.auditExport()));
  });
}
