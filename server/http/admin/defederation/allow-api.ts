import { idParam, paginate } from "../mastodon-paging.js";
import type { ApiKit } from "./api-kit.js";
import { allowInput, validated } from "./fields.js";
import { domainAllowJson } from "./representation.js";

/** Mastodon's domain allow endpoints (FEDERATION_MODE=allowlist). */
export function allowApi(k: ApiKit): void {
  k.r.get("/api/v1/admin/domain_allows", async (req, res) => {
    res.json(paginate(req, res, k.s, await k.s.defederation.listAllows()).map(domainAllowJson));
  });

  k.r.post("/api/v1/admin/domain_allows", ...k.body, async (req, res) => {
    const input = allowInput(k.fields(req));
    res.json(domainAllowJson(await validated(() => k.s.defederation.createAllow(input, k.actorOf(res)))));
  });

  k.r.get("/api/v1/admin/domain_allows/:id", async (req, res) => {
    res.json(domainAllowJson(await k.s.defederation.getAllow(idParam(req, "domain allow"))));
  });

  k.r.delete("/api/v1/admin/domain_allows/:id", async (req, res) => {
    await k.s.defederation.deleteAllow(idParam(req, "domain allow"), k.actorOf(res));
    res.json({});
  });
}
