import type { SeveranceEvent, SeveredRelationship } from "../../../domain/severance.js";
import { limitParam, pagingId } from "../mastodon-paging.js";
import type { ApiKit } from "./api-kit.js";

/*
 * What suspensions severed, in the shape of Mastodon's RelationshipSeveranceEvent (one per rule
 * change and domain, with follower and following counts) plus the rule's severity, public reason
 * and origin; one event also lists its relationships (which board, which remote actor, which way).
 */

export function severanceJson(e: SeveranceEvent) {
  return {
    id: e.id,
    type: "domain_block",
    purged: false,
    target_name: e.domain,
    followers_count: e.followersLost,
    following_count: e.followingLost,
    created_at: new Date(e.at).toISOString(),
    severity: e.severity,
    public_comment: e.publicReason,
    origin: e.origin,
  };
}

export function severedRelationshipJson(r: SeveredRelationship) {
  return {
    board: r.board,
    direction: r.direction,
    state: r.state,
    account: r.remoteActor,
    domain: r.domain,
  };
}

export function severanceApi(k: ApiKit): void {
  k.r.get("/api/v1/admin/severed_relationships", async (req, res) => {
    const limit = limitParam(req, 40, 200);
    const before = pagingId(req, "before");
    const domain =
      typeof req.query["domain"] === "string" && req.query["domain"] !== "" ? req.query["domain"] : undefined;
    const events = await k.s.defederation.severances({
      limit,
      ...(before !== undefined ? { before } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
    const last = events.at(-1);
    if (last && events.length === limit) {
      const u = new URL(req.path, k.s.config.publicUrl);
      u.searchParams.set("limit", String(limit));
      if (domain !== undefined) u.searchParams.set("domain", domain);
      u.searchParams.set("before", last.id);
      res.setHeader("Link", `<${u.toString()}>; rel="next"`);
    }
    res.json(events.map(severanceJson));
  });

  k.r.get("/api/v1/admin/severed_relationships/:id", async (req, res) => {
    const { event, relationships } = await k.s.defederation.severance(String(req.params["id"]));
    res.json({ ...severanceJson(event), relationships: relationships.map(severedRelationshipJson) });
  });
}
