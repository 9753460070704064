import { type Request, Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { type FederationActions, followRequestJson, heldThreadJson } from "../../services/federation-actions.js";
import { API_ACTOR } from "../../services/staff.js";
import { heldPostJson } from "./filters-api.js";

function boardParam(req: Request): string {
  const uri = String(req.params["uri"]);
  if (!isBoardUri(uri)) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
  return uri;
}

function idParam(req: Request): string {
  const id = req.params["id"];
  if (typeof id !== "string" || id === "" || id.length > 4096) throw new DomainError("not_found", "No such id.");
  return id;
}

function federationOf(s: Pick<Services, "federation">): FederationActions {
  if (!s.federation) throw new DomainError("conflict", "Federation is off on this instance (FEDERATION=off).");
  return s.federation;
}

/**
 * What silence leaves to moderators, in the admin API (mounted behind its bearer check): follows of
 * a board from silenced domains, with Mastodon's verbs (`authorize`, `reject`), and new threads from
 * silenced domains held for approval. Ids are activity ids (URLs), percent-encoded in the path; a
 * follow request may also be named by the follower's actor id.
 */
export function followRequestsRouter(s: Pick<Services, "federation" | "heldPosts">): Router {
  const r = Router();

  r.get("/api/v1/admin/boards/:uri/follow_requests", async (req, res) => {
    const list = await federationOf(s).listFollowRequests(boardParam(req));
    res.json(list.map(followRequestJson));
  });

  r.post("/api/v1/admin/boards/:uri/follow_requests/:id/authorize", async (req, res) => {
    res.json(followRequestJson(await federationOf(s).authorizeFollowRequest(boardParam(req), idParam(req))));
  });

  r.post("/api/v1/admin/boards/:uri/follow_requests/:id/reject", async (req, res) => {
    res.json(followRequestJson(await federationOf(s).rejectFollowRequest(boardParam(req), idParam(req))));
  });

  // Local posts a word filter held come first, their ids starting with "local:"; federated ones
  // follow when federation is on.
  r.get("/api/v1/admin/held", async (req, res) => {
    const board = req.query["board"];
    if (board !== undefined && typeof board !== "string") throw new DomainError("invalid", "board: one board uri.");
    const one = board === undefined || board === "" ? undefined : board;
    const local = (await s.heldPosts.list(API_ACTOR, one)).map(heldPostJson);
    const remote = s.federation ? (await s.federation.listHeld(one)).map(heldThreadJson) : [];
    res.json([...local, ...remote]);
  });

  r.post("/api/v1/admin/held/:id/approve", async (req, res) => {
    const id = idParam(req);
    if (id.startsWith("local:")) {
      const { held, post } = await s.heldPosts.approve(API_ACTOR, id);
      return void res.json({
        ...heldPostJson(held),
        outcome: "accepted",
        detail: `Posted as /${post.board}/${post.no}.`,
      });
    }
    const { held, outcome, detail } = await federationOf(s).approveHeld(id);
    res.json({ ...heldThreadJson(held), outcome, detail });
  });

  r.post("/api/v1/admin/held/:id/reject", async (req, res) => {
    const id = idParam(req);
    if (id.startsWith("local:")) return void res.json(heldPostJson(await s.heldPosts.reject(API_ACTOR, id)));
    res.json(heldThreadJson(await federationOf(s).rejectHeld(id)));
  });

  return r;
}
