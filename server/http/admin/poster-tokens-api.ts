import { type Request, Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { HiddenPosterToken } from "../../domain/poster-token.js";
import type { Services } from "../../services/container.js";
import { API_ACTOR } from "../../services/staff.js";
import { adminBody } from "./body.js";
import { banDuration, banJson, jsonObject, optionalBoolean, optionalString } from "./json.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function hiddenPosterJson(h: HiddenPosterToken) {
  return { board: h.board, token: h.token, reason: h.reason, created_at: iso(h.createdAt), created_by: h.createdBy };
}

function boardParam(req: Request): string {
  const uri = String(req.params["uri"]);
  if (!isBoardUri(uri)) throw new DomainError("not_found", `Board /${String(uri).slice(0, 40)}/ does not exist.`);
  return uri;
}

/**
 * The admin API of poster tokens (behind the admin API's bearer check): on a board mirroring
 * another instance's, hiding a token's posts, listing and lifting; on the token's own board,
 * banning the poster behind it by address, which nobody sees.
 */
export function posterTokensApiRouter(s: Pick<Services, "posterTokens">): Router {
  const r = Router();
  const body = adminBody();
  const actor = API_ACTOR;

  r.get("/api/v1/admin/boards/:uri/hidden-posters", async (req, res) => {
    res.json((await s.posterTokens.list(actor, boardParam(req))).map(hiddenPosterJson));
  });

  r.post("/api/v1/admin/boards/:uri/hidden-posters", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["token", "reason"]);
    const hidden = await s.posterTokens.hide(actor, boardParam(req), fields["token"], fields["reason"]);
    res.status(201).json(hiddenPosterJson(hidden));
  });

  r.delete("/api/v1/admin/boards/:uri/hidden-posters/:token", async (req, res) => {
    await s.posterTokens.unhide(actor, boardParam(req), String(req.params["token"]));
    res.status(204).end();
  });

  r.post("/api/v1/admin/boards/:uri/poster-bans", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["token", "reason", "duration", "delete_posts"]);
    const { ban, removed } = await s.posterTokens.banPoster(actor, boardParam(req), fields["token"], {
      reason: optionalString(fields, "reason") ?? "",
      durationSeconds: banDuration(fields["duration"]),
      deletePosts: optionalBoolean(fields, "delete_posts"),
    });
    res.status(201).json({ ...banJson(ban), kind: "address", removed_posts: removed });
  });

  return r;
}
