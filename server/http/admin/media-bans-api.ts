import { Router } from "express";
import { DomainError } from "../../domain/errors.js";
import type { MediaBan } from "../../domain/media-safety/media-bans.js";
import type { Services } from "../../services/container.js";
import { API_ACTOR } from "../../services/staff.js";
import { fileTim } from "../respond.js";
import { adminBody } from "./body.js";
import { jsonObject } from "./json.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function mediaBanJson(b: MediaBan) {
  return {
    id: b.id,
    kind: b.kind,
    hash: b.hash,
    distance: b.distance,
    reason: b.reason,
    source: b.source,
    created_at: iso(b.createdAt),
    created_by: b.createdBy,
  };
}

/** A distance as JSON sends it, or as a form does (digits). */
function distanceField(v: unknown): unknown {
  return typeof v === "string" && /^[0-9]{1,3}$/.test(v) ? Number(v) : v === "" ? undefined : v;
}

/**
 * The admin API of media bans (behind the admin API's bearer check): listing, banning a hash or a
 * post's file ("delete and ban this file"), lifting a ban, and the export of this instance's list.
 */
export function mediaBansApiRouter(s: Pick<Services, "mediaBans">): Router {
  const r = Router();
  const body = adminBody();
  const actor = API_ACTOR;

  r.get("/api/v1/admin/media_bans", async (_req, res) => {
    res.json((await s.mediaBans.list(actor)).map(mediaBanJson));
  });

  r.get("/api/v1/admin/media_bans/export", async (_req, res) => {
    res.type("text/plain; charset=utf-8").send(await s.mediaBans.exportText(actor));
  });

  r.post("/api/v1/admin/media_bans", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["sha256", "pdq", "post", "tim", "reason", "distance"]);
    if (fields["post"] !== undefined) {
      if (fields["sha256"] !== undefined || fields["pdq"] !== undefined || fields["distance"] !== undefined) {
        throw new DomainError("invalid", 'Give exactly one of "sha256", "pdq" or "post".');
      }
      const tim = fileTim(fields["tim"]);
      const bans = await s.mediaBans.banPostFile(actor, fields["post"], fields["reason"], tim);
      res.status(201).json({
        post: fields["post"],
        ...(tim === undefined ? {} : { tim }),
        file_deleted: true,
        bans: bans.map(mediaBanJson),
      });
      return;
    }
    if (fields["tim"] !== undefined) throw new DomainError("invalid", '"tim" names a file of the "post" given.');
    const ban = await s.mediaBans.create(actor, {
      sha256: fields["sha256"],
      pdq: fields["pdq"],
      reason: fields["reason"],
      distance: distanceField(fields["distance"]),
    });
    res.status(201).location(`/api/v1/admin/media_bans/${ban.id}`).json(mediaBanJson(ban));
  });

  r.delete("/api/v1/admin/media_bans/:id", async (req, res) => {
    await s.mediaBans.remove(actor, String(req.params["id"]));
    res.status(204).end();
  });

  return r;
}
