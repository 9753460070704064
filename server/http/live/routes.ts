import { type Request, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { ThreadState } from "../../domain/post.js";
import type { Services } from "../../services/container.js";
import { positiveInt, sendRendered } from "../respond.js";
import { variantKey, visibilityOf } from "../web/limited.js";
import { renderPost } from "../web/pages/post.js";
import { StreamRefused, type ThreadHub } from "./thread-hub.js";

const HTML_TYPE = "text/html; charset=utf-8";

export type LiveRouteDeps = Pick<Services, "reader" | "store" | "cache" | "urls">;

/**
 * The live thread routes:
 *   GET /:board/thread/:no/events          the thread's event stream (thread-hub.ts)
 *   GET /:board/thread/:no/posts?after=N   the replies after N as the thread page renders them, so the
 *                                          page script inserts the server's own markup
 *   GET /:board/thread/:no?since=N         the "Update" link without JavaScript: the thread page at
 *                                          the first reply after N (at N when there is none yet)
 */
export function liveRouter(s: LiveRouteDeps, hub: ThreadHub): Router {
  const r = Router();

  /** The board and thread of the URL as the thread page opens them; undefined when not a board path. */
  const threadOf = async (req: Request): Promise<{ board: Board; state: ThreadState } | undefined> => {
    const uri = req.params["board"];
    if (!isBoardUri(uri)) return undefined;
    const board = await s.reader.getBoard(uri);
    if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    const no = positiveInt(req.params["no"]);
    const state = no === null ? null : await s.reader.getThreadState(board.uri, no);
    // As the thread page: a suspended server's thread is one that does not exist.
    if (!state || (await s.reader.threadReach(board, state)) === "hidden")
      throw new DomainError("not_found", `Thread /${board.uri}/${String(req.params["no"])} does not exist.`);
    return { board, state };
  };

  r.get("/:board/thread/:no/events", async (req, res, next) => {
    const found = await threadOf(req);
    if (!found) return next();
    const after = postNumber(req.headers["last-event-id"]) ?? postNumber(req.query["last_event_id"]);
    try {
      await hub.open(res, req.ip ?? "", found.board, found.state.no, visibilityOf(req), after);
    } catch (err) {
      if (err instanceof StreamRefused) throw new DomainError("rate_limited", err.message);
      throw err;
    }
  });

  r.get("/:board/thread/:no/posts", async (req, res, next) => {
    const found = await threadOf(req);
    if (!found) return next();
    const { board, state } = found;
    const after = postNumber(req.query["after"]) ?? 0;
    const vis = visibilityOf(req);
    const { version } = await s.reader.boardSnapshot();
    const build = async () => {
      const view = await s.reader.thread(board, state, vis);
      if (!view) throw new DomainError("not_found", `Thread /${board.uri}/${state.no} does not exist.`);
      const ctx = { urls: s.urls, board, state: view.state, mode: "thread" as const };
      return view.posts
        .filter((v) => v.post.no > after && v.post.no !== state.no)
        .map((v) => renderPost(ctx, v).value)
        .join("\n");
    };
    const rendered = await s.cache.get(
      `html:live-posts:${board.uri}:${state.no}:${after}:${variantKey(vis)}`,
      `${state.version}:${version}:${s.reader.rulesVersion()}`,
      HTML_TYPE,
      build,
      state.modifiedAt,
    );
    res.setHeader("X-Robots-Tag", "noindex");
    sendRendered(req, res, rendered, "no-cache", ["Cookie"]);
  });

  r.get("/:board/thread/:no", async (req, res, next) => {
    if (req.query["since"] === undefined) return next();
    const found = await threadOf(req);
    if (!found) return next();
    const { board, state } = found;
    const since = postNumber(req.query["since"]) ?? 0;
    const view = await s.reader.thread(board, state, visibilityOf(req));
    const nos = (view?.posts ?? []).map((v) => v.post.no);
    const next_ = nos.find((n) => n > since);
    const at = next_ ?? nos.filter((n) => n <= since).pop() ?? state.no;
    res.setHeader("Cache-Control", "no-store");
    res.redirect(303, `/${board.uri}/thread/${state.no}#p${at}`);
  });

  return r;
}

/** A post number from a header or query value; null when absent or malformed. */
function postNumber(value: unknown): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "string" ? positiveInt(v.trim()) : null;
}
