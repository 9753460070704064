import { Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { overboardBoards } from "../../services/overboard.js";
import { visibilityOf } from "../web/limited.js";
import { nsfwChoice } from "../web/nsfw-choice.js";
import { param, spendSearch } from "../web/search-routes.js";
import { postJson } from "./fourchan.js";

/**
 * `GET /api/v1/search?q=&board=&max_id=&limit=`: `{"posts": [...], "next_max_id": ...}`, each post
 * as in the thread JSON plus `board`. With `board`, that board's posts by number (`max_id` a post
 * number); without, the listed boards by time (`max_id` = `{ms}-{board}-{no}`, the `next_max_id`
 * of the previous page). Not-safe-for-work boards join the search across boards with `nsfw=1`.
 */
export function searchApiRouter(s: Pick<Services, "reader" | "urls" | "search" | "limits">): Router {
  const r = Router();
  r.get("/api/v1/search", async (req, res) => {
    const uri = param(req, "board");
    let board = null;
    if (uri !== undefined && uri !== "") {
      board = isBoardUri(uri) ? await s.reader.getBoard(uri) : null;
      if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    }
    const nsfw = nsfwChoice(req, res);
    const boards = board ? [board] : overboardBoards(await s.reader.listBoards(), nsfw);
    spendSearch(s, req);
    const page = await s.search.search({
      q: param(req, "q"),
      board,
      boards,
      maxId: param(req, "max_id"),
      limit: param(req, "limit"),
      vis: visibilityOf(req),
    });
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Cache-Control", "private, no-store");
    res.json({
      posts: page.hits.map((h) => ({ ...postJson(h.board, h.view, h.state, s.urls), board: h.board.uri })),
      next_max_id: page.next,
    });
  });
  return r;
}
