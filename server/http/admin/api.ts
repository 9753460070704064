import { type Request, Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { boardFollowJson, type FederationActions } from "../../services/federation-actions.js";
import { API_ACTOR } from "../../services/staff.js";
import { fileTim, positiveInt } from "../respond.js";
import { appealsApiRouter } from "./appeals-api.js";
import { bearerAuth } from "./auth.js";
import { adminBody, bodyKind, requireSomeField, updateRoute } from "./body.js";
import { defederationApiRouter } from "./defederation/api.js";
import { deliveryAdminRouter } from "./deliveries.js";
import { filtersApiRouter } from "./filters-api.js";
import { followRequestsRouter } from "./follow-requests.js";
import {
  banDuration,
  banJson,
  boardJson,
  formSettings,
  jsonObject,
  optionalBoolean,
  optionalString,
  reportJson,
  threadJson,
} from "./json.js";
import { measuresRouter } from "./measures.js";
import { mediaBanListsApiRouter } from "./media-ban-lists-api.js";
import { mediaBansApiRouter } from "./media-bans-api.js";
import { posterTokensApiRouter } from "./poster-tokens-api.js";
import { staffApiRouter } from "./public-names.js";
import { banRemoteAccount, federatedAuthor, liftBan, remoteBanJson } from "./remote-bans.js";

const BOARD_FIELDS = ["uri", "title", "description", "settings"] as const;
const BOARD_PATCH_FIELDS = ["title", "description", "settings"] as const;
const THREAD_FLAGS = ["sticky", "locked", "archived"] as const;

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
  | "appeals"
  | "boards"
  | "clock"
  | "config"
  | "defederation"
  | "probation"
  | "deliveries"
  | "federation"
  | "heldPosts"
  | "wordFilters"
  | "logger"
  | "mediaBans"
  | "mediaBanLists"
  | "mediaBanOffers"
  | "moderation"
  | "policy"
  | "posterTokens"
  | "remoteBans"
  | "staff"
  | "store"
  | "urls"
>;

export function adminApiRouter(s: AdminApiDeps): Router {
  const r = Router();
  const body = adminBody();
  const actor = API_ACTOR;

  r.use("/api/v1/admin", bearerAuth(s), (_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });

  r.get("/api/v1/admin/boards", async (_req, res) => {
    const boards = await s.boards.list();
    res.json(boards.map(boardJson));
  });

  r.post("/api/v1/admin/boards", ...body, async (req, res) => {
    const fields = jsonObject(req.body, BOARD_FIELDS);
    const board = await s.boards.create({
      uri: fields["uri"],
      title: fields["title"],
      description: fields["description"],
      settings: bodyKind(req) === "form" ? formSettings(fields["settings"]) : fields["settings"],
    });
    res.status(201).location(`/api/v1/admin/boards/${board.uri}`).json(boardJson(board));
  });

  r.get("/api/v1/admin/boards/:uri", async (req, res) => {
    res.json(boardJson(await s.boards.get(boardParam(req))));
  });

  updateRoute(r, "/api/v1/admin/boards/:uri", ...body, async (req, res) => {
    const uri = boardParam(req);
    const fields = jsonObject(req.body, BOARD_PATCH_FIELDS);
    requireSomeField(fields, BOARD_PATCH_FIELDS);
    const patch: { title?: unknown; description?: unknown; settings?: unknown } = {};
    if (fields["title"] !== undefined) patch.title = fields["title"];
    if (fields["description"] !== undefined) patch.description = fields["description"];
    if (fields["settings"] !== undefined)
      patch.settings = bodyKind(req) === "form" ? formSettings(fields["settings"]) : fields["settings"];
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

  r.post("/api/v1/admin/boards/:uri/follows", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["target"]);
    const follow = await federationOf(s).followBoard(boardParam(req), optionalString(fields, "target") ?? "");
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

  // The public reason may come in a JSON (or form) body or in the query, as DELETE bodies are not
  // sent by every client.
  r.delete("/api/v1/admin/boards/:uri/posts/:no", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["reason", "file_only", "tim"]);
    const fileOnly =
      truthyQuery(req.query["file_only"]) || fields["file_only"] === true || truthyQuery(fields["file_only"]);
    const reason = optionalString(fields, "reason") ?? queryReason(req.query["reason"]);
    const tim = fileTim(fields["tim"] ?? req.query["tim"]);
    await s.moderation.deletePost(actor, boardParam(req), postNoParam(req), {
      fileOnly,
      reason,
      ...(tim === undefined ? {} : { tim }),
    });
    res.status(204).end();
  });

  updateRoute(r, "/api/v1/admin/boards/:uri/threads/:no", ...body, async (req, res) => {
    const fields = jsonObject(req.body, [...THREAD_FLAGS, "reason"]);
    requireSomeField(fields, THREAD_FLAGS);
    const reason = optionalString(fields, "reason") ?? queryReason(req.query["reason"]);
    const thread = await s.moderation.setThreadFlags(
      actor,
      boardParam(req),
      postNoParam(req),
      {
        sticky: optionalBoolean(fields, "sticky"),
        locked: optionalBoolean(fields, "locked"),
        archived: optionalBoolean(fields, "archived"),
      },
      reason,
    );
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
    const local = (await s.moderation.listBans(actor)).map((b) => ({ ...banJson(b), kind: "address" }));
    const remote = (await s.remoteBans.list(actor)).map(remoteBanJson);
    res.json([...local, ...remote].sort((a, b) => (b.created_at ?? "").localeCompare(a.created_at ?? "")));
  });

  r.post("/api/v1/admin/bans", ...body, async (req, res) => {
    const fields = jsonObject(req.body, ["board", "post", "ip_hash", "reason", "duration", "actor", "delete_posts"]);
    const post = optionalString(fields, "post");
    const account = optionalString(fields, "actor");
    // An account is banned when named, or when the post came from the fediverse (it has no address).
    if (account !== undefined || (post !== undefined && (await federatedAuthor(s, actor, post)) !== null)) {
      if (fields["ip_hash"] !== undefined) throw new DomainError("invalid", "Give either actor or ip_hash, not both.");
      const { ban, removed } = await banRemoteAccount(s, actor, {
        actor: account,
        post,
        board: optionalString(fields, "board") ?? null,
        reason: optionalString(fields, "reason") ?? "",
        durationSeconds: banDuration(fields["duration"]),
        deletePosts: optionalBoolean(fields, "delete_posts"),
      });
      res.status(201).json({ ...remoteBanJson(ban), removed_posts: removed });
      return;
    }
    if (fields["delete_posts"] !== undefined) {
      throw new DomainError("invalid", "delete_posts: only for bans of fediverse accounts (actor).");
    }
    const ban = await s.moderation.ban(actor, {
      board: optionalString(fields, "board") ?? null,
      post,
      ipHash: optionalString(fields, "ip_hash"),
      reason: optionalString(fields, "reason") ?? "",
      durationSeconds: banDuration(fields["duration"]),
    });
    res.status(201).json(banJson(ban));
  });

  r.delete("/api/v1/admin/bans/:id", async (req, res) => {
    await liftBan(s, actor, String(req.params["id"]));
    res.status(204).end();
  });

  r.use(appealsApiRouter(s));
  r.use(posterTokensApiRouter(s));
  r.use(defederationApiRouter(s));
  r.use(filtersApiRouter(s));
  r.use(followRequestsRouter(s));
  r.use(deliveryAdminRouter(s));
  r.use(measuresRouter(s));
  r.use(mediaBansApiRouter(s));
  r.use(mediaBanListsApiRouter(s));
  r.use(staffApiRouter(s));
  return r;
}

/** A `?reason=` given once, as text; anything else is a 400. */
function queryReason(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new DomainError("invalid", "reason: give it once, as text.");
  return value;
}
