import type { RequestHandler } from "express";
import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import { can } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import { clientIp, postBodyParser, postInput } from "../post-input.js";
import { html } from "../web/html.js";
import { ADMIN_PATH, staffUser } from "./auth.js";
import type { AdminPageKit } from "./page-kit.js";
import { csrfField } from "./views.js";

/*
 * Starting a thread as staff: the form behind the staff session, for boards where only staff start
 * threads (the public form refuses everyone there). The post is an ordinary one, with no capcode.
 */

/** Only signed-in staff get their uploads read; anyone else goes to the sign-in page first. */
const signedInFirst: RequestHandler = (_req, res, next) => {
  if (staffUser(res)) next();
  else res.redirect(303, ADMIN_PATH);
};

function moderatedBoard(user: Parameters<typeof can>[0], uri: unknown): string {
  if (!isBoardUri(uri)) throw new DomainError("not_found", `Board /${String(uri)}/ does not exist.`);
  if (!can(user, "moderate", uri)) throw new DomainError("forbidden", "Your role does not allow this.");
  return uri;
}

export function staffThreadPages(s: Pick<Services, "posting" | "store" | "urls">, kit: AdminPageKit): void {
  const { page, postWith, render } = kit;

  page("/admin/boards/:board/thread", async (req, res, v) => {
    const uri = moderatedBoard(v.user, req.params["board"]);
    const board = await s.store.boards.get(uri);
    if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    render(
      req,
      res,
      v,
      `New thread on /${uri}/`,
      html`<form method="post" action="/admin/boards/${uri}/thread" enctype="multipart/form-data" class="admin-form">
  ${csrfField(v.csrf)}
  <p><label>Subject <input name="sub" maxlength="100"></label></p>
  <p><label>Comment <textarea name="com" rows="6" maxlength="${String(board.settings.maxCommentLength)}"></textarea></label></p>
  <p><label>File <input type="file" name="file"></label></p>
  <p><button type="submit">Start the thread</button></p>
</form>
${board.settings.postingRestrictedToMods ? html`<p>Only staff start threads on /${uri}/; anyone may reply.</p>` : null}`,
    );
  });

  postWith("/admin/boards/:board/thread", [signedInFirst, postBodyParser(s)], async (req, res, v) => {
    const uri = moderatedBoard(v.user, req.params["board"]);
    const board = await s.store.boards.get(uri);
    if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    const post = await s.posting.createThread({ ...postInput(req, board, clientIp(req)), byStaff: true });
    res.redirect(303, s.urls.thread(post.board, post.threadNo, post.no));
  });
}
