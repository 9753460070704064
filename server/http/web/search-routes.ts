import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { overboardBoards } from "../../services/overboard.js";
import { clientIp } from "../post-input.js";
import { visibilityOf } from "./limited.js";
import { nsfwChoice } from "./nsfw-choice.js";
import { type SearchPageView, searchPage } from "./pages/search-page.js";
import { loadSite } from "./site.js";

type SearchDeps = Pick<Services, "reader" | "urls" | "config" | "search" | "limits">;

/** One query parameter as a string (the first of repeated ones), or undefined. */
export function param(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === "string" ? first : undefined;
}

/** Refuses a search beyond the address's search budget (a search costs more than a page). */
export function spendSearch(s: Pick<Services, "limits">, req: Request): void {
  const wait = s.limits.search(clientIp(req));
  if (wait > 0)
    throw new DomainError("rate_limited", `Too many searches; try again in ${wait} s.`, { retry_after: wait });
}

/**
 * The search pages: `/:board/search?q=` on one board and `/search?q=` across the listed boards
 * (not-safe-for-work ones by the reader's choice, as on the overboard). Without `q`, the form; a
 * refused query comes back as the form with the reason and a 400. Results are never cached.
 */
export function searchRoutes(s: SearchDeps): Router {
  const r = Router();

  const answer = async (req: Request, res: Response, board: Board | null, boards: readonly Board[], nsfw: boolean) => {
    const q = param(req, "q");
    const view: SearchPageView = { board, q: q ?? "", hits: null, next: null, error: null, nsfw };
    res.setHeader("Cache-Control", "private, no-store");
    if (q === undefined) return res.type("html").send(searchPage(s, view));
    spendSearch(s, req);
    try {
      const page = await s.search.search({
        q,
        board,
        boards,
        maxId: param(req, "max_id"),
        limit: param(req, "limit"),
        vis: visibilityOf(req),
      });
      res.type("html").send(searchPage(s, { ...view, hits: page.hits, next: page.next }));
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== "invalid") throw err;
      res
        .status(400)
        .type("html")
        .send(searchPage(s, { ...view, error: err.message }));
    }
  };

  r.get("/search", async (req, res) => {
    const nsfw = nsfwChoice(req, res);
    const site = await loadSite(s);
    await answer(req, res, null, overboardBoards(site.boards, nsfw), nsfw);
  });

  r.get("/:board/search", async (req, res, next) => {
    const uri = req.params["board"];
    if (!isBoardUri(uri)) return next();
    const board = await s.reader.getBoard(uri);
    if (!board) return next();
    await answer(req, res, board, [board], false);
  });

  return r;
}
