import { type Request, type Response, Router } from "express";
import { type Board, isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { ModerationAction, ModerationLogEntry } from "../../domain/moderation-log.js";
import type { Services } from "../../services/container.js";
import { problemType, sendProblem } from "../problem-document.js";
import { displayDate, isoDate } from "./format.js";
import { html } from "./html.js";
import { layout } from "./layout.js";

/** Entries on one page of the log; older ones follow `?before=`. */
const PAGE = 100;

const ACTION_WORDS: Record<ModerationAction, string> = {
  delete: "Deleted a post",
  delete_file: "Deleted a file",
  ban: "Banned a poster",
  lock: "Closed a thread",
  unlock: "Reopened a thread",
  sticky: "Made a thread sticky",
  unsticky: "Unstuck a thread",
  archive: "Moved a thread to the archive",
  unarchive: "Brought a thread back from the archive",
  remote_removal: "Removal received from the thread's origin",
  hide_poster: "Hid an anonymous poster's posts",
  unhide_poster: "Showed an anonymous poster's posts again",
};

/**
 * The public moderation log of each board: `/:board/log` (HTML) and `/:board/log.json`, newest
 * first, a page at a time (`?before=<ms>` for older entries). Staff appear by role, never by login.
 */
export function moderationLogRoutes(s: Pick<Services, "config" | "reader" | "moderation">): Router {
  const r = Router();

  const read = async (req: Request): Promise<{ board: Board; entries: ModerationLogEntry[]; next: number | null }> => {
    const uri = req.params["board"];
    const board = isBoardUri(uri) ? await s.reader.getBoard(uri) : null;
    if (!board) throw new DomainError("not_found", `Board /${String(uri).slice(0, 40)}/ does not exist.`);
    const raw = req.query["before"];
    let before: number | undefined;
    if (raw !== undefined) {
      if (typeof raw !== "string" || !/^[1-9][0-9]{0,15}$/.test(raw)) {
        throw new DomainError("invalid", "before: a time in milliseconds since 1970.");
      }
      before = Number(raw);
    }
    const entries = await s.moderation.log(board.uri, { before, limit: PAGE + 1 });
    const page = entries.slice(0, PAGE);
    const last = page.at(-1);
    return { board, entries: page, next: entries.length > PAGE && last ? last.createdAt : null };
  };

  r.get("/:board/log.json", async (req: Request, res: Response, next: () => void) => {
    if (!isBoardUri(req.params["board"])) return next();
    let log: Awaited<ReturnType<typeof read>>;
    try {
      log = await read(req);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const status = err.kind === "not_found" ? 404 : 400;
      return sendProblem(res, {
        type: problemType(status === 404 ? "not-found" : "invalid"),
        title: status === 404 ? "Not found" : "Bad request",
        status,
        detail: err.message,
      });
    }
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.json({
      board: log.board.uri,
      entries: log.entries.map((e) => ({
        time: isoDate(e.createdAt),
        action: e.action,
        post: e.postNo,
        reason: e.reason,
        by: e.by,
      })),
      next: log.next === null ? null : `${s.config.publicUrl}/${log.board.uri}/log.json?before=${log.next}`,
    });
  });

  r.get("/:board/log", async (req: Request, res: Response, next: () => void) => {
    if (!isBoardUri(req.params["board"])) return next();
    const { board, entries, next: older } = await read(req);
    const rows = entries.map(
      (e) => html`<tr>
<td><time datetime="${isoDate(e.createdAt)}">${displayDate(e.createdAt)}</time></td>
<td>${ACTION_WORDS[e.action]}</td>
<td>${e.postNo === null ? "" : html`No. ${String(e.postNo)}`}</td>
<td>${e.reason}</td>
<td>${e.by}</td>
</tr>`,
    );
    const body = html`<section class="message-page moderation-log">
<h1>Moderation log of /${board.uri}/</h1>
<p>Every action staff took on this board, and every removal its followed groups sent, with the public reason. Staff appear by role.</p>
${
  entries.length === 0
    ? html`<p>Nothing has been done here yet.</p>`
    : html`<table class="log">
<thead><tr><th>When</th><th>Action</th><th>Post</th><th>Reason</th><th>By</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`
}
${older === null ? "" : html`<p><a href="/${board.uri}/log?before=${String(older)}">Older entries</a></p>`}
<p class="back-links"><a href="/${board.uri}/">Back to /${board.uri}/</a> · <a href="/${board.uri}/log.json">JSON</a></p>
</section>`;
    res.setHeader("Cache-Control", "no-cache");
    res.type("text/html; charset=utf-8").send(layout(s, { title: `/${board.uri}/ moderation log`, body, board }));
  });

  return r;
}
