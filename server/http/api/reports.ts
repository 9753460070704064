import express, { Router } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { clientIp } from "../post-input.js";
import { positiveInt } from "../respond.js";

/**
 * Readers report posts to the board's staff. JSON `{reason, category?}` answers 202; a plain HTML form
 * (urlencoded, from a browser) is sent back to the post with a 303, so it works without JavaScript.
 */
export function reportsApiRouter(s: Pick<Services, "moderation" | "store" | "urls">): Router {
  const r = Router();
  const json = express.json({ limit: "4kb" });
  const form = express.urlencoded({ extended: false, limit: "4kb", parameterLimit: 10 });

  r.post("/api/v1/boards/:board/posts/:no/report", json, form, async (req, res) => {
    const board = String(req.params["board"]);
    const no = positiveInt(req.params["no"]);
    if (no === null || !isBoardUri(board)) throw new DomainError("not_found", "No such post.");
    const body: unknown = req.body ?? {};
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new DomainError("invalid", "The request body must be an object with a reason.");
    }
    const reason = (body as Record<string, unknown>)["reason"];
    if (typeof reason !== "string") throw new DomainError("invalid", "reason: say why the post breaks the rules.");
    const category = (body as Record<string, unknown>)["category"];
    await s.moderation.report({ board, postNo: no, reason, category, ip: clientIp(req) });
    if (req.is("application/x-www-form-urlencoded") && req.accepts(["json", "html"]) === "html") {
      const post = await s.store.posts.getPost(board, no);
      const to = post ? s.urls.thread(board, post.threadNo, post.no) : s.urls.board(board);
      res.redirect(303, to);
      return;
    }
    res.status(202).json({ status: "received" });
  });

  return r;
}
