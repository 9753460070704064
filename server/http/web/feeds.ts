import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { sendRendered } from "../respond.js";
import { listedThread, variantKey, visibilityOf } from "./limited.js";
import { boardFeed, FEED_ITEMS, RSS_TYPE, threadFeed } from "./rss.js";

/**
 * RSS 2.0 feeds: `/:board/index.rss` (the newest threads) and `/:board/thread/:no.rss` (a thread's
 * newest posts). They show what the JSON API shows: nothing from suspended servers, posts from
 * limited ones only for a reader who opts in (`?show_limited=1` or the pages' cookie). Cached like
 * the pages, with ETag and Last-Modified from the store's time of the last change.
 */
export function feedsRouter(s: Pick<Services, "reader" | "cache" | "urls">): Router {
  const r = Router();

  const board = async (req: Request): Promise<Board | null> => {
    const uri = req.params["board"];
    return isBoardUri(uri) ? s.reader.getBoard(uri) : null;
  };

  const send = async (
    req: Request,
    res: Response,
    key: string,
    version: string,
    modifiedAt: number,
    build: () => Promise<string>,
  ) => {
    const rendered = await s.cache.get(`rss:${key}`, version, RSS_TYPE, build, modifiedAt);
    res.setHeader("Access-Control-Allow-Origin", "*");
    sendRendered(req, res, rendered, "no-cache", ["Cookie"]);
  };

  r.get("/:board/index.rss", async (req, res, next) => {
    const b = await board(req);
    if (!b) return isBoardUri(req.params["board"]) ? notFound(req) : next();
    const vis = visibilityOf(req);
    const stamp = await s.reader.boardStamp(b);
    const version = `${stamp.version}:${s.reader.rulesVersion()}`;
    await send(req, res, `index:${b.uri}:${variantKey(vis)}`, version, stamp.modifiedAt, async () => {
      const view = await s.reader.catalog(b, "created", 0, vis);
      // Newest first by creation; the catalog puts stickies first, a feed does not.
      const ops = view.threads
        .flatMap((t) => (t.posts[0] ? [t.posts[0]] : []))
        .sort((x, y) => y.post.createdAt - x.post.createdAt || y.post.no - x.post.no)
        .slice(0, FEED_ITEMS);
      return boardFeed(b, ops, s.urls, stamp.modifiedAt);
    });
  });

  r.get("/:board/thread/:no.rss", async (req, res, next) => {
    const b = await board(req);
    if (!b) return isBoardUri(req.params["board"]) ? notFound(req) : next();
    const vis = visibilityOf(req);
    // As the thread's JSON: a limited server's thread only for a reader who opted in.
    const state = await listedThread(s, b, req.params["no"], vis);
    const missing = () => new DomainError("not_found", `Thread /${b.uri}/${state.no} does not exist.`);
    const fingerprint = (await s.reader.boardSnapshot()).fingerprints.get(b.uri);
    const version = `${state.version}:${fingerprint}:${s.reader.rulesVersion()}`;
    await send(req, res, `thread:${b.uri}:${state.no}:${variantKey(vis)}`, version, state.modifiedAt, async () => {
      const view = await s.reader.thread(b, state, vis);
      const op = view?.posts[0];
      if (!view || !op) throw missing();
      const newest = view.posts.slice(-FEED_ITEMS).reverse();
      return threadFeed(b, op.post, newest, s.urls, state.modifiedAt);
    });
  });

  return r;
}

function notFound(req: Request): never {
  throw new DomainError("not_found", `Board /${String(req.params["board"])}/ does not exist.`);
}
