import { type Request, type Response, Router } from "express";
import type { Services } from "../../services/container.js";
import { OVERBOARD_CATALOG_THREADS, OVERBOARD_THREADS, overboardBoards } from "../../services/overboard.js";
import { INDEX_REPLIES } from "../../services/reader.js";
import { catalogThreadJson, paginate } from "../api/fourchan.js";
import { sendRendered } from "../respond.js";
import { variantKey, visibilityOf } from "./limited.js";
import { nsfwChoice } from "./nsfw-choice.js";
import { overboardCatalogPage, overboardPage } from "./pages/overboard-page.js";
import { loadSite } from "./site.js";

const HTML_TYPE = "text/html; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";
/** Threads per page of the overboard's catalog.json, as a board's default. */
const JSON_PER_PAGE = 15;

type OverboardDeps = Pick<Services, "reader" | "cache" | "urls" | "config" | "overboard">;

/**
 * The overboard: `/overboard` (the latest-bumped threads with their last replies),
 * `/overboard/catalog` and `/overboard/catalog.json` (4chan's catalog shape, `board` on each
 * thread), over listed boards, not-safe-for-work ones by the reader's choice (see nsfwChoice).
 * Cached per choice and per opt-in to limited servers, under a version that moves with every
 * included board, the board list and the domain rules.
 */
export function overboardRoutes(s: OverboardDeps): Router {
  const r = Router();

  const serve = async (
    req: Request,
    res: Response,
    kind: "index" | "catalog" | "json",
    build: (ctx: { boards: ReturnType<typeof overboardBoards>; nsfw: boolean }) => Promise<string>,
  ) => {
    const nsfw = nsfwChoice(req, res);
    const vis = visibilityOf(req);
    const site = await loadSite(s);
    const boards = overboardBoards(site.boards, nsfw);
    const stamp = await s.overboard.stamp(boards);
    const rendered = await s.cache.get(
      `overboard:${kind}:${nsfw ? "nsfw" : "sfw"}:${variantKey(vis)}`,
      `${stamp.version}:${site.version}`,
      kind === "json" ? JSON_TYPE : HTML_TYPE,
      () => build({ boards, nsfw }),
      stamp.modifiedAt,
    );
    if (kind === "json") res.setHeader("Access-Control-Allow-Origin", "*");
    sendRendered(req, res, rendered, "no-cache", ["Cookie"]);
  };

  r.get("/overboard", async (req, res) => {
    await serve(req, res, "index", async ({ boards, nsfw }) =>
      overboardPage(s, {
        threads: await s.overboard.threads(boards, OVERBOARD_THREADS, INDEX_REPLIES, visibilityOf(req)),
        nsfw,
        boardCount: boards.length,
      }),
    );
  });

  r.get("/overboard/catalog", async (req, res) => {
    await serve(req, res, "catalog", async ({ boards, nsfw }) =>
      overboardCatalogPage(s, {
        threads: await s.overboard.threads(boards, OVERBOARD_CATALOG_THREADS, 0, visibilityOf(req)),
        nsfw,
        boardCount: boards.length,
      }),
    );
  });

  r.get("/overboard/catalog.json", async (req, res) => {
    await serve(req, res, "json", async ({ boards }) => {
      const threads = await s.overboard.threads(boards, OVERBOARD_CATALOG_THREADS, INDEX_REPLIES, visibilityOf(req));
      return JSON.stringify(
        paginate(
          threads.map(({ board, thread }) => ({ ...catalogThreadJson(board, thread, s.urls), board: board.uri })),
          JSON_PER_PAGE,
        ),
      );
    });
  });

  return r;
}
