import { Router } from "express";
import { DomainError } from "../../domain/errors.js";
import type {
  ListPeerGrant,
  ListToken,
  MediaBanList,
  MediaBanListAudit,
} from "../../domain/media-safety/media-ban-lists.js";
import type { Services } from "../../services/container.js";
import type { MediaBanLists } from "../../services/media-ban-lists.js";
import { API_ACTOR } from "../../services/staff.js";
import { adminBody } from "./body.js";
import { jsonObject } from "./json.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A subscription as staff see it: whether it has a token, never the token. */
export function hashListJson(l: MediaBanList) {
  return {
    id: l.id,
    url: l.url,
    format: l.format,
    has_token: l.token !== null,
    excludes: l.excludes,
    source: `list:${l.id}`,
    created_at: iso(l.createdAt),
    created_by: l.createdBy,
    last_sync_at: iso(l.lastSyncAt),
    last_status: l.lastStatus,
    last_change: l.lastChange,
  };
}

export const listAuditJson = (a: MediaBanListAudit) => ({
  id: a.id,
  at: iso(a.at),
  actor: a.actor,
  action: a.action,
  list_id: a.listId,
  detail: a.detail,
});

const grantJson = (g: ListPeerGrant) => ({ domain: g.domain, granted_by: g.grantedBy, granted_at: iso(g.grantedAt) });
const tokenJson = (t: ListToken) => ({
  id: t.id,
  label: t.label,
  created_by: t.createdBy,
  created_at: iso(t.createdAt),
});

export function listsOf(s: Pick<Services, "mediaBanLists">): MediaBanLists {
  if (!s.mediaBanLists) throw new DomainError("conflict", "Hash lists are not available on this instance.");
  return s.mediaBanLists;
}

/**
 * The admin API of shared hash lists (behind the admin API's bearer check): subscriptions with their
 * syncs, excludes and audit trail; the peers and tokens this instance's own list is offered to.
 */
export function mediaBanListsApiRouter(s: Pick<Services, "mediaBanLists" | "mediaBanOffers">): Router {
  const r = Router();
  const body = adminBody();
  const actor = API_ACTOR;
  const id = (v: unknown) => String(v);

  r.get("/api/v1/admin/media_ban_lists", async (_req, res) => {
    res.json((await listsOf(s).list(actor)).map(hashListJson));
  });

  r.get("/api/v1/admin/media_ban_lists/audit", async (req, res) => {
    const limit = typeof req.query["limit"] === "string" ? Number(req.query["limit"]) || 200 : 200;
    res.json((await listsOf(s).auditTrail(actor, limit)).map(listAuditJson));
  });

  r.post("/api/v1/admin/media_ban_lists", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["url", "format", "token"]);
    const list = await listsOf(s).subscribe(actor, fields);
    res.status(201).location(`/api/v1/admin/media_ban_lists/${list.id}`).json(hashListJson(list));
  });

  r.get("/api/v1/admin/media_ban_lists/:id", async (req, res) => {
    res.json(hashListJson(await listsOf(s).get(actor, id(req.params["id"]))));
  });

  r.post("/api/v1/admin/media_ban_lists/:id/sync", async (req, res) => {
    const result = await listsOf(s).sync(actor, id(req.params["id"]));
    res.json(result);
  });

  r.post("/api/v1/admin/media_ban_lists/:id/excludes", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["hash"]);
    res.json(hashListJson(await listsOf(s).exclude(actor, id(req.params["id"]), fields["hash"])));
  });

  r.delete("/api/v1/admin/media_ban_lists/:id/excludes/:hash", async (req, res) => {
    res.json(hashListJson(await listsOf(s).include(actor, id(req.params["id"]), id(req.params["hash"]))));
  });

  r.delete("/api/v1/admin/media_ban_lists/:id", async (req, res) => {
    await listsOf(s).remove(actor, id(req.params["id"]));
    res.status(204).end();
  });

  r.get("/api/v1/admin/media_ban_list_peers", async (_req, res) => {
    res.json((await s.mediaBanOffers.grants(actor)).map(grantJson));
  });

  r.post("/api/v1/admin/media_ban_list_peers", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["domain"]);
    res.status(201).json(grantJson(await s.mediaBanOffers.grant(actor, fields["domain"])));
  });

  r.delete("/api/v1/admin/media_ban_list_peers/:domain", async (req, res) => {
    await s.mediaBanOffers.revoke(actor, id(req.params["domain"]));
    res.status(204).end();
  });

  r.get("/api/v1/admin/media_ban_list_tokens", async (_req, res) => {
    res.json((await s.mediaBanOffers.tokens(actor)).map(tokenJson));
  });

  r.post("/api/v1/admin/media_ban_list_tokens", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["label"]);
    const { token, record } = await s.mediaBanOffers.mint(actor, fields["label"]);
    res.status(201).json({ ...tokenJson(record), token });
  });

  r.delete("/api/v1/admin/media_ban_list_tokens/:id", async (req, res) => {
    await s.mediaBanOffers.revokeToken(actor, id(req.params["id"]));
    res.status(204).end();
  });

  return r;
}
