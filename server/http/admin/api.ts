import express, { type Request, Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { boardFollowJson, type FederationActions } from "../../services/federation-actions.js";
import { API_ACTOR } from "../../services/staff.js";
import { positiveInt } from "../respond.js";
import { bearerAuth } from "./auth.js";
import { defederationApiRouter } from "./defederation/api.js";
import { deliveryAdminRouter } from "./deliveries.js";
import { followRequestsRouter } from "./follow-requests.js";
import { banJson, boardJson, jsonObject, optionalBoolean, optionalString, reportJson, threadJson } from "./json.js";

const BOARD_FIELDS = ["uri", "title", "description", "settings"] as const;
const BOARD_PATCH_FIELDS = ["title", "description", "settings"] as const;

function boardParam(req: Request): string {
  const uri = String(req.params["uri"]);
  if (!isBoardUri(uri)) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
  return uri;
}

function postNoParam(req: Request): number {
  const no = positiveInt(req.params["no"]);
  if (no === null) throw new DomainError("not_found", `Post ${String(req.params["no"])} does not exist.`);
  return no;
}

/** The federation's operator actions; a 409 when this instance does not federate. */
function federationOf(s: Pick<Services, "federation">): FederationActions {
  if (!s.federation) throw new DomainError("conflict", "Federation is off on this instance (FEDERATION=off).");
  return s.federation;
}

function truthyQuery(v: unknown): boolean {
  return v === "1" || v === "true" || v === "on" || v === "yes";
}

/**
 * The admin API: boards and moderation, for `Authorization: Bearer` callers, who act as the
 * synthetic admin "api". Every path under /api/v1/admin needs the token, including those other
 * routers add later; this router answers only the paths it knows.
 */
/** What the admin API uses of the services, its parts' included. */
export type AdminApiDeps = Pick<
  Services,
  | "boards"
  | "clock"
  | "config"
  | "defederation"
  | "deliveries"
  | "federation"
  | "logger"
  | "moderation"
  | "policy"
  | "staff"
  | "store"
  | "urls"
>;

export function adminApiRouter(s: AdminApiDeps): Router {
  const r = Router();
  const json = express.json({ limit: "64kb" });
  const actor = API_ACTOR;

  r.use("/api/v1/admin", bearerAuth(s), (_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });

  r.get("/api/v1/admin/boards", async (_req, res) => {
    const boards = await s.boards.list();
    res.json(boards.map(boardJson));
  });

  r.post("/api/v1/admin/boards", json, async (req, res) => {
    const body = jsonObject(req.body, BOARD_FIELDS);
    const board = await s.boards.create({
      uri: body["uri"],
      title: body["title"],
      description: body["description"],
      settings: body["settings"],
    });
    res.status(201).location(`/api/v1/admin/boards/${board.uri}`).json(boardJson(board));
  });

  r.get("/api/v1/admin/boards/:uri", async (req, res) => {
    res.json(boardJson(await s.boards.get(boardParam(req))));
  });

  r.patch("/api/v1/admin/boards/:uri", json, async (req, res) => {
    const uri = boardParam(req);
    const body = jsonObject(req.body, BOARD_PATCH_FIELDS);
    const patch: { title?: unknown; description?: unknown; settings?: unknown } = {};
    if (body["title"] !== undefined) patch.title = body["title"];
    if (body["description"] !== undefined) patch.description = body["description"];
    if (body["settings"] !== undefined) patch.settings = body["settings"];
    res.json(boardJson(await s.boards.update(uri, patch)));
  });

  r.delete("/api/v1/admin/boards/:uri", async (req, res) => {
    await s.boards.delete(boardParam(req));
    res.status(204).end();
  });

  // A board following remote boards or groups (FEP-1b12 Group actors): the Follow and Undo are
  // queued for delivery, so following answers 202 with the follow, pending until the group accepts.
  r.get("/api/v1/admin/boards/:uri/follows", async (req, res) => {
    const follows = await federationOf(s).listFollows(boardParam(req));
    res.json(follows.map(boardFollowJson));
  });

  r.post("/api/v1/admin/boards/:uri/follows", json, async (req, res) => {
    const body = jsonObject(req.body, ["target"]);
    const follow = await federationOf(s).followBoard(boardParam(req), optionalString(body, "target") ?? "");
    res.status(202).json(boardFollowJson(follow));
  });

  r.delete("/api/v1/admin/boards/:uri/follows", async (req, res) => {
    const target = req.query["target"];
    if (typeof target !== "string" || target === "") {
      throw new DomainError("invalid", "Name the followed group: ?target=<actor URL or name@host>.");
    }
    await federationOf(s).unfollowBoard(boardParam(req), target);
    res.status(204).end();
  });

  r.delete("/api/v1/admin/boards/:uri/posts/:no", async (req, res) => {
    const fileOnly = truthyQuery(req.query["file_only"]);
    await s.moderation.deletePost(actor, boardParam(req), postNoParam(req), { fileOnly });
    res.status(204).end();
  });

  r.patch("/api/v1/admin/boards/:uri/threads/:no", json, async (req, res) => {
    const body = jsonObject(req.body, ["sticky", "locked", "archived"]);
    const thread = await s.moderation.setThreadFlags(actor, boardParam(req), postNoParam(req), {
      sticky: optionalBoolean(body, "sticky"),
      locked: optionalBoolean(body, "locked"),
      archived: optionalBoolean(body, "archived"),
    });
    res.json(threadJson(thread));
  });

  r.get("/api/v1/admin/reports", async (_req, res) => {
    const reports = await s.moderation.listReports(actor);
    const out = [];
    for (const report of reports)
      out.push(reportJson(report, await s.store.posts.getPost(report.board, report.postNo), s.urls));
    res.json(out);
  });

  r.post("/api/v1/admin/reports/:id/resolve", async (req, res) => {
    await s.moderation.resolveReport(actor, String(req.params["id"]));
    res.status(204).end();
  });

  r.get("/api/v1/admin/bans", async (_req, res) => {
    res.json((await s.moderation.listBans(actor)).map(banJson));
  });

  r.post("/api/v1/admin/bans", json, async (req, res) => {
    const body = jsonObject(req.body, ["board", "post", "ip_hash", "reason", "duration"]);
    const duration = body["duration"];
    if (duration !== undefined && duration !== null && typeof duration !== "number") {
      throw new DomainError("invalid", "duration: seconds as a number, or null for a permanent ban.");
    }
    const ban = await s.moderation.ban(actor, {
      board: optionalString(body, "board") ?? null,
      post: optionalString(body, "post"),
      ipHash: optionalString(body, "ip_hash"),
      reason: optionalString(body, "reason") ?? "",
      durationSeconds: duration ?? null,
    });
    res.status(201).json(banJson(ban));
  });

  r.delete("/api/v1/admin/bans/:id", async (req, res) => {
    await s.moderation.unban(actor, String(req.params["id"]));
    res.status(204).end();
  });

  r.use(defederationApiRouter(s));
  r.use(followRequestsRouter(s));
  r.use(deliveryAdminRouter(s));
  return r;
}
