import type { Services } from "../../../services/container.js";
import type { IndexPageView } from "../../../services/reader.js";
import { type Html, html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";
import { boardHeader, boardNav, boardTitle, limitedToggle } from "./board-chrome.js";
import { newThreadBox, postsForm } from "./forms.js";
import { renderThread } from "./post.js";

function pagination(view: IndexPageView): Html {
  const uri = view.board.uri;
  const href = (p: number) => (p === 1 ? `/${uri}/` : `/${uri}/${p}`);
  const pages: Html[] = [];
  for (let p = 1; p <= view.pageCount; p++) {
    pages.push(p === view.page ? html`<strong aria-current="page">${p}</strong>` : html`<a href="${href(p)}">${p}</a>`);
  }
  return html`<nav class="pagination" aria-label="Pages">
${view.page > 1 ? html`<a class="prev" href="${href(view.page - 1)}" rel="prev">Previous</a>` : html`<span class="prev disabled">Previous</span>`}
<span class="pages">${pages}</span>
${view.page < view.pageCount ? html`<a class="next" href="${href(view.page + 1)}" rel="next">Next</a>` : html`<span class="next disabled">Next</span>`}
<a class="catalog-link" href="/${uri}/catalog">Catalog</a>
</nav>`;
}

/** A page of the board index: the new-thread form, then each thread with its latest replies. */
export function indexPage(s: LayoutDeps & Pick<Services, "urls">, view: IndexPageView): string {
  const { board } = view;
  const threads =
    view.threads.length > 0
      ? view.threads.map((t) => html`${renderThread(s.urls, board, t, "index")}<hr>`)
      : html`<p class="empty">No threads yet. Start the first one.</p>`;
  const body = html`${boardHeader(board)}
${newThreadBox(s, board)}
${boardNav(board, "index", "top")}
${limitedToggle(board, {
  showLimited: view.showLimited,
  limitedHidden: view.limitedHidden,
  here: view.page === 1 ? `/${board.uri}/` : `/${board.uri}/${view.page}`,
})}
${postsForm(board, html`${threads}`)}
${pagination(view)}
${boardNav(board, "index", "bottom")}`;
  return layout(s, {
    title: view.page > 1 ? `${boardTitle(board)} - Page ${view.page}` : boardTitle(board),
    description: board.description || board.title,
    body,
    board,
    bodyClass: "board-index",
  });
}
