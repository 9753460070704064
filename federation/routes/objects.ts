import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../server/domain/board.js";
import type { Services } from "../../server/services/container.js";
import type { FederationIds } from "../ids.js";
import { buildAtollContext } from "../jsonld/contexts/atoll.js";
import type { LocalKeys } from "../keys.js";
import { boardActor, instanceActor } from "../mapping/board-actor.js";
import { AS_CONTEXT, SECURITY_CONTEXT } from "../mapping/context.js";
import { createActivity } from "../mapping/create-activity.js";
import { postObject } from "../mapping/post-object.js";

export const AP_CONTENT_TYPE = "application/activity+json; charset=utf-8";
const PAGE_SIZE = 20;

/** Whether the client prefers ActivityPub JSON over HTML (Mastodon's search, Lemmy, any AP fetch). */
export function prefersActivityJson(req: Request): boolean {
  const accept = req.headers.accept ?? "";
  const ap = accept.search(/application\/(activity|ld)\+json/i);
  if (ap < 0) return false;
  // Browsers never ask for ActivityPub; a client naming both gets what it names first.
  const html = accept.search(/text\/html/i);
  return html < 0 || ap < html;
}

function send(res: Response, doc: unknown): void {
  res.setHeader("Vary", "Accept, Accept-Encoding");
  res.setHeader("Cache-Control", "public, max-age=60");
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.type(AP_CONTENT_TYPE).send(JSON.stringify(doc));
}

function notFound(res: Response): void {
  res
    .status(404)
    .type("application/problem+json")
    .send(JSON.stringify({ type: "about:blank", title: "Not found", status: 404, detail: "No such object." }));
}

function pageParam(req: Request): number | null {
  const p = req.query["page"];
  if (p === undefined) return null;
  return typeof p === "string" && /^[1-9][0-9]{0,5}$/.test(p) ? Number(p) : 0;
}

/**
 * Every local ActivityPub id dereferences: actors, collections (paginated), and posts. Thread and
 * reply URLs answer ActivityPub content negotiation; browsers fall through to the HTML pages.
 */
export function objectsRouter(s: Services, ids: FederationIds, keys: LocalKeys): Router {
  const r = Router();
  const ctx = { urls: s.urls, ids, anonymousActor: ids.anonymousActor() };
  const board = async (uri: unknown): Promise<Board | null> => (isBoardUri(uri) ? s.reader.getBoard(uri) : null);

  const atollContext = JSON.stringify(buildAtollContext(s.config.publicUrl));
  r.get("/ns/atoll.jsonld", (_req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Cache-Control", "public, max-age=86400");
    res.type("application/ld+json").send(atollContext);
  });

  r.get("/ap/actor", async (_req, res) => {
    send(res, instanceActor((await keys.keyOf(ids.instanceActor())).publicKeyPem, ids));
  });

  r.get("/ap/anonymous", async (_req, res) => {
    const id = ids.anonymousActor();
    const key = await keys.keyOf(id);
    send(res, {
      "@context": [AS_CONTEXT, SECURITY_CONTEXT],
      id,
      type: "Person",
      preferredUsername: "anonymous",
      name: "Anonymous",
      summary: "<p>Anonymous posters of this imageboard.</p>",
      url: s.config.publicUrl,
      inbox: ids.sharedInbox(),
      endpoints: { sharedInbox: ids.sharedInbox() },
      publicKey: { id: ids.keyId(id), owner: id, publicKeyPem: key.publicKeyPem },
    });
  });

  r.get("/ap/boards/:board", async (req, res) => {
    const b = await board(req.params["board"]);
    if (!b) return notFound(res);
    send(res, boardActor(b, (await keys.keyOf(ids.board(b.uri))).publicKeyPem, ids, s.urls));
  });

  r.get("/ap/boards/:board/outbox", async (req, res) => {
    const b = await board(req.params["board"]);
    const page = pageParam(req);
    if (!b || page === 0) return notFound(res);
    const id = ids.boardOutbox(b.uri);
    const total = await s.store.posts.countThreads(b.uri, false);
    if (page === null) {
      return send(res, {
        "@context": AS_CONTEXT,
        id,
        type: "OrderedCollection",
        totalItems: total,
        first: `${id}?page=1`,
        last: `${id}?page=${Math.max(1, Math.ceil(total / PAGE_SIZE))}`,
      });
    }
    const threads = await s.store.posts.listThreads(b.uri, {
      archived: false,
      order: "created",
      offset: (page - 1) * PAGE_SIZE,
      limit: PAGE_SIZE,
    });
    const items = threads.map(({ op }) => createActivity(b, op, s, ids));
    send(res, {
      "@context": [AS_CONTEXT, ids.context()],
      id: `${id}?page=${page}`,
      type: "OrderedCollectionPage",
      partOf: id,
      totalItems: total,
      orderedItems: items,
      ...(page * PAGE_SIZE < total ? { next: `${id}?page=${page + 1}` } : {}),
      ...(page > 1 ? { prev: `${id}?page=${page - 1}` } : {}),
    });
  });

  r.get("/ap/boards/:board/followers", async (req, res) => {
    const b = await board(req.params["board"]);
    const page = pageParam(req);
    if (!b || page === 0) return notFound(res);
    const id = ids.boardFollowers(b.uri);
    const followers = await s.store.federation.follows.followersOf(b.uri);
    if (page === null)
      return send(res, {
        "@context": AS_CONTEXT,
        id,
        type: "OrderedCollection",
        totalItems: followers.length,
        first: `${id}?page=1`,
      });
    const slice = followers.slice((page - 1) * 50, page * 50).map((f) => f.actorId);
    send(res, {
      "@context": AS_CONTEXT,
      id: `${id}?page=${page}`,
      type: "OrderedCollectionPage",
      partOf: id,
      totalItems: followers.length,
      orderedItems: slice,
      ...(page * 50 < followers.length ? { next: `${id}?page=${page + 1}` } : {}),
    });
  });

  r.get("/ap/boards/:board/following", async (req, res) => {
    const b = await board(req.params["board"]);
    if (!b) return notFound(res);
    const following = await s.store.federation.follows.followingOf(b.uri);
    send(res, {
      "@context": AS_CONTEXT,
      id: ids.boardFollowing(b.uri),
      type: "OrderedCollection",
      totalItems: following.length,
      orderedItems: following.map((f) => f.objectId),
    });
  });

  r.get("/ap/boards/:board/moderators", async (req, res) => {
    const b = await board(req.params["board"]);
    if (!b) return notFound(res);
    send(res, {
      "@context": AS_CONTEXT,
      id: ids.boardModerators(b.uri),
      type: "OrderedCollection",
      totalItems: 1,
      orderedItems: [ids.instanceActor()],
    });
  });

  r.get("/ap/boards/:board/threads/:no/replies", async (req, res) => {
    const b = await board(req.params["board"]);
    const no =
      typeof req.params["no"] === "string" && /^[1-9][0-9]{0,14}$/.test(req.params["no"])
        ? Number(req.params["no"])
        : null;
    const page = pageParam(req);
    if (!b || no === null || page === 0) return notFound(res);
    const state = await s.store.posts.getThread(b.uri, no);
    if (!state) return notFound(res);
    const id = ids.threadReplies(b.uri, no);
    if (page === null)
      return send(res, {
        "@context": AS_CONTEXT,
        id,
        type: "OrderedCollection",
        totalItems: state.replyCount,
        first: `${id}?page=1`,
      });
    const posts = (await s.store.posts.getThreadPosts(b.uri, no)).slice(1);
    const slice = posts.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    send(res, {
      "@context": AS_CONTEXT,
      id: `${id}?page=${page}`,
      type: "OrderedCollectionPage",
      partOf: id,
      totalItems: posts.length,
      orderedItems: slice.map((p) => s.urls.apId(p)),
      ...(page * PAGE_SIZE < posts.length ? { next: `${id}?page=${page + 1}` } : {}),
    });
  });

  // Content negotiation on the HTML URLs of threads and replies.
  const negotiate = (kind: "thread" | "post") => async (req: Request, res: Response, next: () => void) => {
    if (!prefersActivityJson(req)) return next();
    const b = await board(req.params["board"]);
    const raw = req.params["no"];
    const no = typeof raw === "string" && /^[1-9][0-9]{0,14}$/.test(raw) ? Number(raw) : null;
    if (!b || no === null) return notFound(res);
    const post = await s.store.posts.getPost(b.uri, no);
    const isOp = post !== null && post.no === post.threadNo;
    if (!post || (kind === "thread") !== isOp) return notFound(res);
    const thread = isOp ? null : await s.store.posts.getPost(b.uri, post.threadNo);
    const doc = postObject(b, post, ctx, thread);
    if (isOp) doc["replies"] = ids.threadReplies(b.uri, post.no);
    send(res, doc);
  };
  r.get("/:board/thread/:no", negotiate("thread"));
  r.get("/:board/post/:no", negotiate("post"));

  return r;
}
