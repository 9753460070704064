import { DomainError } from "../../../domain/errors.js";
import type { AdminPageKit } from "../page-kit.js";
import { field } from "../page-kit.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { actorOf } from "./page-parts.js";
import { probationView } from "./probation-view.js";

/* The hosts on probation (new peers), vouching for one, putting one back. Admins only. */

const ADMINS = { needs: "manage_instance" } as const;
const PATH = "/admin/domains/probation";

export function probationPages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page(PATH, ADMINS, async (req, res, v) => {
    const list = await s.probation.list();
    render(req, res, v, "Domains on probation", probationView(v, list, s.probation.days, s.probation.enabled));
  });

  post(PATH, ADMINS, async (_req, res, v, body) => {
    const domain = field(body, "domain") ?? "";
    const reason = (field(body, "reason") ?? "").slice(0, 1000);
    const action = field(body, "action");
    if (action === "vouch") await s.probation.vouch(domain, actorOf(v.user), reason);
    else if (action === "restart") await s.probation.restart(domain, actorOf(v.user), reason);
    else throw new DomainError("invalid", "Choose to vouch or to put the domain on probation.");
    back(res, v, action === "vouch" ? "domain_vouched" : "domain_probation_started");
  });

  post(`${PATH}/:domain/vouch`, ADMINS, async (req, res, v) => {
    await s.probation.vouch(String(req.params["domain"]), actorOf(v.user));
    back(res, v, "domain_vouched");
  });
}
