import type { AdminPageKit } from "../page-kit.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { auditView } from "./audit-view.js";
import { auditCsv } from "./representation.js";

/* The defederation audit log: a page at a time, newest first, filtered by domain, and all of it as CSV. */

const ADMINS = { needs: "manage_instance" } as const;
const AUDIT_PAGE = 50;

export function auditPages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, render } = kit;

  page("/admin/domains/audit", ADMINS, async (req, res, v) => {
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

  page("/admin/domains/audit.csv", ADMINS, async (_req, res) => {
    res
      .type("text/csv; charset=utf-8")
      .setHeader("Content-Disposition", 'attachment; filename="domain_audit.csv"')
      .send(auditCsv(await s.defederation.auditExport()));
  });
}
