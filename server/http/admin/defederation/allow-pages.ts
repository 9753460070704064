import type { AdminPageKit } from "../page-kit.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { allowInput } from "./fields.js";
import { actorOf, formFields } from "./page-parts.js";
import { allowsView } from "./rule-views.js";

/* The instance's allowed domains (what allowlist mode federates with): the list, adding, removing. */

const ADMINS = { needs: "manage_instance" } as const;

export function allowPages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/domains/allows", ADMINS, async (req, res, v) => {
    render(req, res, v, "Allowed domains", allowsView(v, await s.defederation.listAllows()));
  });

  post("/admin/domains/allows", ADMINS, async (_req, res, v, body) => {
    await s.defederation.createAllow(allowInput(formFields(body, ["domain", "comment"])), actorOf(v.user));
    back(res, v, "domain_allow_created");
  });

  post("/admin/domains/allows/:id/delete", ADMINS, async (req, res, v) => {
    await s.defederation.deleteAllow(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_allow_deleted");
  });
}
