import { createHash } from "node:crypto";
import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { parseOrder } from "../api/read.js";
import { htmlKey, pageSlots } from "../read-keys.js";
import { positiveInt, sendRendered } from "../respond.js";
import { feedsRouter } from "./feeds.js";
import { type FormRoutesDeps, formRoutes } from "./form-routes.js";
import { limitedRoutes, variantKey, visibilityOf } from "./limited.js";
import { aboutPage, domainRulesSection, moderationPage } from "./pages/about-pages.js";
import { archivePage } from "./pages/archive-page.js";
import { catalogPage } from "./pages/catalog-page.js";
import { homePage } from "./pages/home-page.js";
import { indexPage } from "./pages/index-page.js";
import { threadPath } from "./pages/post.js";
import { threadPage } from "./pages/thread-page.js";
import { loadSite, type Site } from "./site.js";
import { StaffView, type StaffViewDeps, sendStaffPage } from "./staff-view.js";

const HTML_TYPE = "text/html; charset=utf-8";

/**
 * The public web interface: server-rendered pages that work without JavaScript, and the forms that
 * post, delete and report. A page is the same for every reader who made the same choice about posts
 * from limited servers, and is rendered once per version of what it shows (the store's change
 * counters, the board list and the domain rules) and per such choice, then served from the cache
 * with its ETag.
 */
/** Every collaborator of the public pages, the forms they mount included. */
export type WebDeps = FormRoutesDeps & StaffViewDeps & Pick<Services, "cache" | "urls" | "policy" | "defederation">;

export function webRouter(s: WebDeps): Router {
  const r = Router();
  const staffView = new StaffView(s);

  /**
   * `modifiedAt`: the store's time of the last change the page shows (0 for pages with none). The
   * pages vary with the opt-in cookie; each variant is its own entry, with its own ETag.
   */
  const send = async (
    req: Request,
    res: Response,
    key: string,
    version: string,
    build: () => Promise<string>,
    modifiedAt = 0,
    board?: string,
  ) => {
    // A moderator of the board gets the page with its staff controls, built for them alone.
    const viewer = board === undefined ? null : await staffView.moderatorOf(req, board);
    if (viewer && board !== undefined) {
      sendStaffPage(res, await staffView.decorate(await build(), board, viewer, req.path));
      return;
    }
    sendRendered(req, res, await s.cache.get(htmlKey(key), version, HTML_TYPE, build, modifiedAt), "no-cache", [
      "Cookie",
    ]);
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
    const stamps = await Promise.all(site.boards.map((b) => s.store.boards.stamp(b.uri)));
    const versions = stamps.map((t) => t?.version ?? 0);
    const modifiedAt = Math.max(0, ...stamps.map((t) => t?.modifiedAt ?? 0));
    await send(
      req,
      res,
      "home",
      `${site.version}:${versions.join(",")}`,
      async () => {
        const listing = [];
        for (const board of site.boards)
          listing.push({ board, threads: await s.store.posts.countThreads(board.uri, false) });
        return homePage(s, listing, await s.store.posts.countPosts());
      },
      modifiedAt,
    );
  });

  r.get("/about", async (req, res) => {
    const site = await loadSite(s);
    await send(req, res, "about", site.version, async () => aboutPage(s));
  });

  r.get("/about/moderation", async (req, res) => {
    const site = await loadSite(s);
    // Severances are recorded just after the rules change, so their total is part of the page's version.
    const lost = new Map<string, number>();
    let total = 0;
    for (const { domain, follows } of await s.defederation.followsLost()) {
      lost.set(createHash("sha256").update(domain).digest("hex"), follows);
      total += follows;
    }
    await send(req, res, "moderation", `${site.version}:${s.policy.version}:${total}`, async () =>
      moderationPage(s, [
        domainRulesSection(s.policy.mode, await s.defederation.publicBlocks(), await s.defederation.listAllows(), lost),
      ]),
    );
  });

  r.use(formRoutes(s));
  r.use(limitedRoutes(s));
  r.use(feedsRouter(s));

  r.get("/:board/catalog", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const order = parseOrder(req.query["sort"]);
    const vis = visibilityOf(req);
    const stamp = await s.reader.boardStamp(board);
    const slot = pageSlots.catalog(board, order, stamp, site.version, s.reader.rulesVersion(), variantKey(vis));
    await send(
      req,
      res,
      slot.key,
      slot.version,
      async () => catalogPage(s, await s.reader.catalog(board, order, 0, vis)),
      slot.modifiedAt,
      board.uri,
    );
  });

  r.get("/:board/archive", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const vis = visibilityOf(req);
    const stamp = await s.reader.boardStamp(board);
    const slot = pageSlots.archive(board, stamp, site.version, s.reader.rulesVersion(), variantKey(vis));
    await send(
      req,
      res,
      slot.key,
      slot.version,
      async () => archivePage(s, await s.reader.archive(board, vis)),
      slot.modifiedAt,
    );
  });

  r.get("/:board/thread/:no", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const no = positiveInt(req.params["no"]);
    const state = no === null ? null : await s.reader.getThreadState(board.uri, no);
    const missing = () =>
      new DomainError("not_found", `Thread /${board.uri}/${String(req.params["no"])} does not exist.`);
    if (!state && no !== null) {
      // A reply's number in a thread's place: the reply in its thread, as 4chan answers.
      const post = await s.store.posts.getPost(board.uri, no);
      if (post && post.no !== post.threadNo && s.reader.postReach(board, post) !== "hidden") {
        return res.redirect(302, threadPath(board.uri, post.threadNo, post.no));
      }
    }
    // A suspended server's thread answers exactly as one that does not exist; a limited server's
    // thread still opens from its address, as its own page says.
    if (!state || (await s.reader.threadReach(board, state)) === "hidden") throw missing();
    const vis = visibilityOf(req);
    // The thread's own counter, not the board's: a thread page stays cached while other threads change.
    const slot = pageSlots.thread(board, state, site.version, s.reader.rulesVersion(), variantKey(vis));
    await send(
      req,
      res,
      slot.key,
      slot.version,
      async () => {
        const view = await s.reader.thread(board, state, vis);
        if (!view) throw missing();
        return threadPage(s, board, view, vis.showLimited);
      },
      slot.modifiedAt,
      board.uri,
    );
  });

  // A reply's ActivityPub id: browsers land on the reply in its thread.
  r.get("/:board/post/:no", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    const no = positiveInt(req.params["no"]);
    const post = no === null ? null : await s.store.posts.getPost(board.uri, no);
    if (!post || s.reader.postReach(board, post) === "hidden")
      throw new DomainError("not_found", `Post /${board.uri}/${String(req.params["no"])} does not exist.`);
    res.redirect(302, threadPath(board.uri, post.threadNo, post.no));
  });

  r.get("/:board/", async (req, res, next) => {
    const site = await loadSite(s);
    const board = boardOf(site, req.params["board"]);
    if (!board) return next();
    if (!req.path.endsWith("/")) {
      // An ActivityPub client asking the same address gets the Group instead (federation/routes).
      res.setHeader("Vary", "Accept");
      return res.redirect(301, `/${board.uri}/`);
    }
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
    const vis = visibilityOf(req);
    const stamp = await s.reader.boardStamp(board);
    const slot = pageSlots.index(board, page, stamp, site.version, s.reader.rulesVersion(), variantKey(vis));
    await send(
      req,
      res,
      slot.key,
      slot.version,
      async () => {
        const view = await s.reader.indexPage(board, page, vis);
        if (!view) throw new DomainError("not_found", `Page ${page} of /${board.uri}/ does not exist.`);
        return indexPage(s, view);
      },
      slot.modifiedAt,
      board.uri,
    );
  };

  return r;
}
