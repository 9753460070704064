import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../server/domain/board.js";
import { isDomainError } from "../../server/domain/errors.js";
import { problemType, sendProblem } from "../../server/http/problem-document.js";
import type { Services } from "../../server/services/container.js";
import type { ApexEngine } from "../apex/engine.js";
import { anonymousPerson, boardActor, instanceActor } from "../documents/actors.js";
import { staffPerson } from "../documents/moderation.js";
import { deletedNote, postObject } from "../documents/note.js";
import type { FederationIds } from "../ids.js";
import { buildAtollContext } from "../jsonld/contexts/atoll.js";
import type { LocalKeys } from "../keys.js";
import type { StaffActors } from "../staff-actors.js";
import type { SignedReads } from "./authorized-fetch.js";

export const AP_CONTENT_TYPE = "application/activity+json; charset=utf-8";

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
  const signed = res.locals["signedRead"] === true;
  res.setHeader("Vary", signed ? "Accept, Accept-Encoding, Signature" : "Accept, Accept-Encoding");
  res.setHeader("Cache-Control", signed ? "private, max-age=60" : "public, max-age=60");
  res.setHeader("Access-Control-Allow-Origin", "*");
  res.type(AP_CONTENT_TYPE).send(JSON.stringify(doc));
}

function notFound(res: Response): void {
  sendProblem(res, { type: problemType("not-found"), title: "Not found", status: 404, detail: "No such object." });
}

/** 410 with a Tombstone, so a peer that cached the post learns it was deleted. */
function gone(res: Response, id: string): void {
  res.setHeader("Access-Control-Allow-Origin", "*");
  res
    .status(410)
    .type(AP_CONTENT_TYPE)
    .send(JSON.stringify(deletedNote(id)));
}

function badRequest(res: Response, detail: string): void {
  sendProblem(res, { type: problemType("invalid"), title: "Bad request", status: 400, detail });
}

/**
 * Every local ActivityPub id dereferences: actors, collections (paginated), and posts. Thread and
 * reply URLs answer ActivityPub content negotiation; browsers fall through to the HTML pages.
 */
export function objectsRouter(
  s: Pick<Services, "config" | "reader" | "store" | "urls">,
  ids: FederationIds,
  keys: LocalKeys,
  apex: ApexEngine,
  reads?: SignedReads,
  staff?: Pick<StaffActors, "find">,
): Router {
  const r = Router();
  // With authorized fetch, every ActivityPub GET but the instance actor's (which peers need to
  // check our own signed fetches) and the JSON-LD context must be signed.
  const admit = (req: Request, res: Response, board: string | null = null): Promise<boolean> | boolean =>
    reads ? reads.admit(req, res, board) : true;
  const boardArg = (req: Request): string | null => (isBoardUri(req.params["board"]) ? req.params["board"] : null);
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

  r.get("/ap/anonymous", async (req, res) => {
    if (!(await admit(req, res))) return;
    send(res, anonymousPerson((await keys.keyOf(ids.anonymousActor())).publicKeyPem, ids));
  });

  r.get("/ap/boards/:board", async (req, res) => {
    if (!(await admit(req, res, boardArg(req)))) return;
    const b = await board(req.params["board"]);
    if (!b) return notFound(res);
    send(res, boardActor(b, (await keys.keyOf(ids.board(b.uri))).publicKeyPem, ids, s.urls));
  });

  // The board's page (`/b/`, the Group's `url` and the address people copy) answers an ActivityPub
  // request with the Group itself, as the actor's id does. Anything that is not an existing board
  // falls through to the other routes (`/about`, `/admin`…), HTML stays the default.
  r.get("/:board/", async (req, res, next) => {
    if (!prefersActivityJson(req) || !isBoardUri(req.params["board"])) return next();
    const b = await board(req.params["board"]);
    if (!b) return next();
    if (!(await admit(req, res, b.uri))) return;
    send(res, boardActor(b, (await keys.keyOf(ids.board(b.uri))).publicKeyPem, ids, s.urls));
  });

  // Collections are built by the instance's apex engine over Atoll's stores; pages are cursors
  // (`?page=true` for the first, then the `next` links), as Mastodon pages its collections.
  const collection = (id: (req: Request) => string | null) => async (req: Request, res: Response) => {
    if (!(await admit(req, res, boardArg(req)))) return;
    const page = req.query["page"];
    if (page !== undefined && typeof page !== "string") return badRequest(res, "The page parameter is not valid.");
    const collectionId = id(req);
    if (collectionId === null) return notFound(res);
    try {
      send(res, await apex.collection(collectionId, page));
    } catch (err) {
      if (isDomainError(err) && err.kind === "not_found") return notFound(res);
      if (isDomainError(err) && err.kind === "invalid") return badRequest(res, err.message);
      throw err;
    }
  };
  const boardParam = (req: Request): string | null => (isBoardUri(req.params["board"]) ? req.params["board"] : null);
  const boardCollection = (name: "outbox" | "followers" | "following" | "moderators" | "featured") =>
    collection((req) => {
      const b = boardParam(req);
      return b === null ? null : `${ids.board(b)}/${name}`;
    });
  r.get("/ap/boards/:board/outbox", boardCollection("outbox"));
  r.get("/ap/boards/:board/followers", boardCollection("followers"));
  r.get("/ap/boards/:board/following", boardCollection("following"));
  r.get("/ap/boards/:board/moderators", boardCollection("moderators"));
  r.get("/ap/boards/:board/featured", boardCollection("featured"));
  // A staff member of the board as a `Person`: the moderators collection lists them.
  r.get("/ap/boards/:board/staff/:key", async (req, res) => {
    if (!(await admit(req, res, boardArg(req)))) return;
    const b = await board(req.params["board"]);
    const found = b && staff ? await staff.find(b.uri, String(req.params["key"])) : null;
    if (!b || !found) return notFound(res);
    send(res, staffPerson(ids, b.uri, found, (await keys.keyOf(found.id)).publicKeyPem));
  });
  r.get(
    "/ap/boards/:board/threads/:no/replies",
    collection((req) => {
      const b = boardParam(req);
      const no = req.params["no"];
      return b === null || typeof no !== "string" || !/^[1-9][0-9]{0,14}$/.test(no)
        ? null
        : ids.threadReplies(b, Number(no));
    }),
  );

  // Content negotiation on the HTML URLs of threads and replies.
  const negotiate = (kind: "thread" | "post") => async (req: Request, res: Response, next: () => void) => {
    if (!prefersActivityJson(req)) return next();
    if (!(await admit(req, res, boardArg(req)))) return;
    const b = await board(req.params["board"]);
    const raw = req.params["no"];
    const no = typeof raw === "string" && /^[1-9][0-9]{0,14}$/.test(raw) ? Number(raw) : null;
    if (!b || no === null) return notFound(res);
    const post = await s.store.posts.getPost(b.uri, no);
    if (!post) {
      // Numbers are never reused: one the board has given out and no longer holds was deleted.
      const last = await s.store.boards.lastNumber(b.uri);
      if (last !== null && no <= last) return gone(res, `${s.config.publicUrl}/${b.uri}/${kind}/${no}`);
      return notFound(res);
    }
    const isOp = post.no === post.threadNo;
    if ((kind === "thread") !== isOp) return notFound(res);
    const thread = isOp ? null : await s.store.posts.getPost(b.uri, post.threadNo);
    const doc = postObject(b, post, ctx, thread);
    if (isOp) doc["replies"] = ids.threadReplies(b.uri, post.no);
    send(res, doc);
  };
  r.get("/:board/thread/:no", negotiate("thread"));
  r.get("/:board/post/:no", negotiate("post"));

  return r;
}
