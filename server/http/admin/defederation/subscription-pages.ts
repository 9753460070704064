import type { AdminPageKit } from "../page-kit.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { consensusFields, subscriptionFields, subscriptionInput } from "./fields.js";
import { actorOf, formFields } from "./page-parts.js";
import { subscriptionsView } from "./subscription-views.js";

/* Blocklist subscriptions (add, sync, apply a draft, draft or live, remove) and the consensus settings. */

const ADMINS = { needs: "manage_instance" } as const;

export function subscriptionPages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/domains/subscriptions", ADMINS, async (req, res, v) => {
    const [subs, consensus] = await Promise.all([s.defederation.listSubscriptions(), s.defederation.consensus()]);
    render(req, res, v, "Blocklist subscriptions", subscriptionsView(v, subs, consensus));
  });

  post("/admin/domains/subscriptions", ADMINS, async (_req, res, v, body) => {
    const input = subscriptionInput(formFields(body, ["url", "format", "priority", "excludes", "draft"]));
    await s.defederation.addSubscription(input, actorOf(v.user));
    back(res, v, "subscription_created");
  });

  post("/admin/domains/subscriptions/:id/sync", ADMINS, async (req, res, v) => {
    const result = await s.defederation.sync(String(req.params["id"]), actorOf(v.user));
    back(res, v, result.draft ? "subscription_synced_draft" : "subscription_synced");
  });

  post("/admin/domains/subscriptions/:id/apply", ADMINS, async (req, res, v) => {
    await s.defederation.applyDraft(String(req.params["id"]), actorOf(v.user));
    back(res, v, "subscription_applied");
  });

  post("/admin/domains/subscriptions/:id/draft", ADMINS, async (req, res, v, body) => {
    const patch = subscriptionFields(formFields(body, ["draft"]));
    await s.defederation.updateSubscription(String(req.params["id"]), patch, actorOf(v.user));
    back(res, v, "subscription_saved");
  });

  post("/admin/domains/subscriptions/:id/delete", ADMINS, async (req, res, v) => {
    await s.defederation.removeSubscription(String(req.params["id"]), actorOf(v.user));
    back(res, v, "subscription_deleted");
  });

  post("/admin/domains/consensus", ADMINS, async (_req, res, v, body) => {
    const settings = consensusFields(formFields(body, ["min_sources", "min_share", "merge", "stage_while_followed"]));
    await s.defederation.setConsensus(settings, actorOf(v.user));
    back(res, v, "consensus_saved");
  });
}
