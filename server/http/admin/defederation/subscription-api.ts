import { requireSomeField, updateRoute } from "../body.js";
import { idParam } from "../mastodon-paging.js";
import type { ApiKit } from "./api-kit.js";
import { consensusFields, subscriptionFields, subscriptionInput, validated, validation } from "./fields.js";
import { consensusJson, subscriptionJson, syncResultJson } from "./representation.js";

/** Blocklist subscriptions and the consensus settings. */
export function subscriptionApi(k: ApiKit): void {
  k.r.get("/api/v1/admin/domain_subscriptions", async (_req, res) => {
    res.json((await k.s.defederation.listSubscriptions()).map(subscriptionJson));
  });

  k.r.post("/api/v1/admin/domain_subscriptions", ...k.body, async (req, res) => {
    const input = subscriptionInput(k.fields(req));
    const sub = await validated(() => k.s.defederation.addSubscription(input, k.actorOf(res)));
    res.status(201).location(`/api/v1/admin/domain_subscriptions/${sub.id}`).json(subscriptionJson(sub));
  });

  k.r.get("/api/v1/admin/domain_subscriptions/consensus", async (_req, res) => {
    res.json(consensusJson(await k.s.defederation.consensus()));
  });

  updateRoute(k.r, "/api/v1/admin/domain_subscriptions/consensus", ...k.body, async (req, res) => {
    const f = k.fields(req);
    requireSomeField(f, ["min_sources", "min_share", "merge", "stage_while_followed"]);
    const settings = consensusFields(f);
    res.json(consensusJson(await validated(() => k.s.defederation.setConsensus(settings, k.actorOf(res)))));
  });

  k.r.get("/api/v1/admin/domain_subscriptions/:id", async (req, res) => {
    res.json(subscriptionJson(await k.s.defederation.getSubscription(idParam(req, "subscription"))));
  });

  updateRoute(k.r, "/api/v1/admin/domain_subscriptions/:id", ...k.body, async (req, res) => {
    const id = idParam(req, "subscription");
    const f = k.fields(req);
    await k.s.defederation.getSubscription(id);
    requireSomeField(f, ["url", "format", "priority", "excludes", "excludes[]", "draft"]);
    if (f["url"] !== undefined) throw validation("The url of a subscription cannot change; add another.");
    const patch = subscriptionFields(f);
    res.json(subscriptionJson(await validated(() => k.s.defederation.updateSubscription(id, patch, k.actorOf(res)))));
  });

  k.r.delete("/api/v1/admin/domain_subscriptions/:id", async (req, res) => {
    res.json(syncResultJson(await k.s.defederation.removeSubscription(idParam(req, "subscription"), k.actorOf(res))));
  });

  k.r.post("/api/v1/admin/domain_subscriptions/:id/sync", async (req, res) => {
    res.json(syncResultJson(await k.s.defederation.sync(idParam(req, "subscription"), k.actorOf(res))));
  });

  k.r.post("/api/v1/admin/domain_subscriptions/:id/apply", async (req, res) => {
    res.json(syncResultJson(await k.s.defederation.applyDraft(idParam(req, "subscription"), k.actorOf(res))));
  });
}
