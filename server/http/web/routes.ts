import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { parseOrder } from "../api/read.js";
import { positiveInt, sendRendered } from "../respond.js";
import { formRoutes } from "./form-routes.js";
import { aboutPage, moderationPage } from "./pages/about-pages.js";
import { archivePage } from "./pages/archive-page.js";
import { catalogPage } from "./pages/catalog-page.js";
import { homePage } from "./pages/home-page.js";
import { indexPage } from "./pages/index-page.js";
import { threadPath } from "./pages/post.js";
import { threadPage } from "./pages/thread-page.js";
import { loadSite, type Site } from "./site.js";

const HTML_TYPE = "text/html; charset=utf-8";

/**
 * The public web interface: server-rendered pages that work without JavaScript, and the forms that
 * post, delete and report. Every page is the same for every reader and is rendered once per version
 * of what it shows (the store's change counters plus the board list), then served from the cache
 * with its ETag.
 */
export function webRouter(s: Services): Router {
  const r = Router();

  const send = async (req: Request, res: Response, key: string, version: string, build: () => Promise<string>) => {
    sendRendered(req, res, await s.cache.get(`html:${key}`, version, HTML_TYPE, build));
  };

  /** The board named in the URL; undefined when the segment cannot be a board (the route passes). */
  const boardOf = (site: Site, uri: unknown): Board | undefined => {
    if (!isBoardUri(uri)) return undefined;
    const board = site.boards.find((b) => b.uri === uri);
    if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    return board;
  };

  r.get("/", async (req, res) => {
    const site = await loadSite(s);
    const versions = await Promise.all(site.boards.map((b) => s.store.boards.version(b.uri)));
    await send(req, res, "home", `${site.version}:${versions.join(",")}`, async () => {
      const listing = [];
      for (const board of site.boards)
        listing.push({ board, threads: await s.store.posts.countThreads(board.uri, false) });
      return homePage(s, listing, await s.store.posts.countPosts());
    });
  });

  r.get("/about", async (req, res) => {
    const site = await loadSite(s);
    await send(req, res, "about", site.version, async () => aboutPage(s));
  });

  r.get("/about/moderation", async (req, res) => {
    const site = await loadSite(s);
    await send(req, res, "moderation", site.version, async () => moderationPage(s));
  });

  r.use(formRoutes(s));

  r.get("/:board/catalog", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const order = parseOrder(req.query["sort"]);
    await send(
      req,
      res,
      `catalog:${board.uri}:${order}`,
      `${await s.reader.boardVersion(board)}:${site.version}`,
      async () => catalogPage(s, await s.reader.catalog(board, order, 0)),
    );
  });

  r.get("/:board/archive", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    await send(req, res, `archive:${board.uri}`, `${await s.reader.boardVersion(board)}:${site.version}`, async () =>
      archivePage(s, board, await s.reader.archive(board)),
    );
  });

  r.get("/:board/thread/:no", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const no = positiveInt(req.params["no"]);
    const state = no === null ? null : await s.reader.getThreadState(board.uri, no);
    if (!state) throw new DomainError("not_found", `Thread /${board.uri}/${String(req.params["no"])} does not exist.`);
    // The thread's own counter, not the board's: a thread page stays cached while other threads change.
    await send(req, res, `thread:${board.uri}:${state.no}`, `${state.version}:${site.version}`, async () =>
      threadPage(s, board, await s.reader.thread(board, state)),
    );
  });

  // A reply's ActivityPub id: browsers land on the reply in its thread.
  r.get("/:board/post/:no", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const no = positiveInt(req.params["no"]);
    const post = no === null ? null : await s.store.posts.getPost(board.uri, no);
    if (!post) throw new DomainError("not_found", `Post /${board.uri}/${String(req.params["no"])} does not exist.`);
    res.redirect(302, threadPath(board.uri, post.threadNo, post.no));
  });

  r.get("/:board/", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    if (!req.path.endsWith("/")) return res.redirect(301, `/${board.uri}/`);
    await sendIndex(req, res, site, board, 1);
  });

  r.get("/:board/:page", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const page = positiveInt(req.params["page"]);
    if (page === null)
      throw new DomainError("not_found", `There is no page "${String(req.params["page"])}" on /${board.uri}/.`);
    if (page === 1) return res.redirect(301, `/${board.uri}/`);
    await sendIndex(req, res, site, board, page);
  });

  const sendIndex = async (req: Request, res: Response, site: Site, board: Board, page: number) => {
    await send(
      req,
      res,
      `index:${board.uri}:${page}`,
      `${await s.reader.boardVersion(board)}:${site.version}`,
      async () => {
        const view = await s.reader.indexPage(board, page);
        if (!view) throw new DomainError("not_found", `Page ${page} of /${board.uri}/ does not exist.`);
        return indexPage(s, view);
      },
    );
  };

  return r;
}
