import { isBoardUri } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Services } from "../../services/container.js";
import { fileTim, positiveInt } from "../respond.js";
import { type Html, html } from "../web/html.js";
import { type AdminPageKit, checked, type FormBody, field } from "./page-kit.js";
import { hiddenSet } from "./poster-token-pages.js";
import { threadsView } from "./views.js";

/*
 * Post and thread moderation: looking a post up, a thread's flags (sticky, locked, archived), and
 * deleting a post or only its file. The service checks that the user moderates the post's board.
 */

function postRef(body: FormBody): { board: string; no: number } {
  const board = field(body, "board") ?? "";
  const no = positiveInt(field(body, "no"));
  if (!isBoardUri(board) || no === null) throw new DomainError("invalid", "Name a board and a post number.");
  return { board, no };
}

export function threadPages(s: Pick<Services, "moderation" | "store">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  post("/admin/posts/delete", { needs: "staff" }, async (_req, res, v, body) => {
    const { board, no } = postRef(body);
    const fileOnly = checked(body, "file_only");
    const tim = fileTim(field(body, "tim"));
    await s.moderation.deletePost(v.user, board, no, {
      fileOnly,
      reason: field(body, "reason"),
      ...(tim === undefined ? {} : { tim }),
    });
    back(res, v, fileOnly || tim !== undefined ? "file_deleted" : "deleted");
  });

  page("/admin/threads", { needs: "staff" }, async (req, res, v) => {
    const board = typeof req.query["board"] === "string" ? req.query["board"].trim() : "";
    const noText = typeof req.query["no"] === "string" ? req.query["no"].trim() : "";
    let found: Awaited<ReturnType<typeof s.moderation.inspect>> | null = null;
    let message: Html | null = null;
    if (board !== "" || noText !== "") {
      const no = positiveInt(noText);
      try {
        if (!isBoardUri(board) || no === null) throw new DomainError("invalid", "Name a board and a post number.");
        found = await s.moderation.inspect(v.user, board, no);
      } catch (err) {
        // A lookup that finds nothing stays on the search form; a refusal is the kit's error page.
        if (!(err instanceof DomainError) || err.kind === "forbidden") throw err;
        message = html`<p class="admin-error" role="alert">${err.message}</p>`;
      }
    }
    render(
      req,
      res,
      v,
      "Posts & threads",
      html`${message}${threadsView(v, { board, no: noText }, found, await hiddenSet(s.store))}`,
    );
  });

  post("/admin/threads/flags", { needs: "staff" }, async (_req, res, v, body) => {
    const { board, no } = postRef(body);
    await s.moderation.setThreadFlags(
      v.user,
      board,
      no,
      { sticky: checked(body, "sticky"), locked: checked(body, "locked"), archived: checked(body, "archived") },
      field(body, "reason"),
    );
    back(res, v, "thread_saved");
  });
}
