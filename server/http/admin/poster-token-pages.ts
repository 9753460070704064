import type { Store } from "../../domain/ports.js";
import type { HiddenPosterToken } from "../../domain/poster-token.js";
import type { Services } from "../../services/container.js";
import { type Html, html } from "../web/html.js";
import { durationOf } from "./ban-pages.js";
import { type AdminPageKit, checked, field } from "./page-kit.js";
import { actionForm, type HiddenSet, time, type ViewContext } from "./views.js";

/*
 * Poster tokens on the staff pages: hiding a mirrored post's poster (the control sits with the
 * post's actions), the list of hidden posters with a way to show them again, and banning the
 * poster behind a token a peer's report named (the control sits with the report).
 */

/** Every hidden token as `board/token`, for the post actions that offer to hide one. */
export async function hiddenSet(store: Store): Promise<HiddenSet> {
  return new Set((await store.hiddenTokens.list(null)).map((h) => `${h.board}/${h.token}`));
}

function hiddenPostersView(v: ViewContext, list: HiddenPosterToken[]): Html {
  if (list.length === 0) return html`<p>No poster is hidden on the boards you moderate.</p>`;
  return html`<p>Posts by these posters (named by the token their origin gave them) are hidden from readers.</p>
<table class="admin-table">
  <thead><tr><th>Board</th><th>Token</th><th>Reason</th><th>Hidden</th><th>By</th><th></th></tr></thead>
  <tbody>${list.map(
    (h) => html`<tr>
    <td>/${h.board}/</td><td><code>${h.token}</code></td><td>${h.reason}</td><td>${time(h.createdAt)}</td><td>${h.createdBy}</td>
    <td>${actionForm(v, "/admin/hidden-posters/show", "Show again", { board: h.board, token: h.token })}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

export function posterTokenPages(s: Pick<Services, "posterTokens">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  // The service lists and acts only on boards the user moderates.
  page("/admin/hidden-posters", { needs: "staff" }, async (req, res, v) => {
    render(req, res, v, "Hidden posters", hiddenPostersView(v, await s.posterTokens.list(v.user, null)));
  });

  post("/admin/hidden-posters", { needs: "staff" }, async (_req, res, v, body) => {
    await s.posterTokens.hide(v.user, field(body, "board") ?? "", field(body, "token"), field(body, "reason"));
    back(res, v, "poster_hidden");
  });

  post("/admin/hidden-posters/show", { needs: "staff" }, async (_req, res, v, body) => {
    await s.posterTokens.unhide(v.user, field(body, "board") ?? "", field(body, "token"));
    back(res, v, "poster_shown");
  });

  post("/admin/poster-bans", { needs: "staff" }, async (_req, res, v, body) => {
    await s.posterTokens.banPoster(v.user, field(body, "board") ?? "", field(body, "token"), {
      reason: field(body, "reason") ?? "",
      durationSeconds: durationOf(body),
      deletePosts: checked(body, "delete_posts"),
    });
    back(res, v, "poster_banned");
  });
}
