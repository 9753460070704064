import type { Services } from "../../../services/container.js";
import type { OverboardThread } from "../../../services/overboard.js";
import { type Html, html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";
import { catalogCard } from "./catalog-page.js";
import { renderThread } from "./post.js";

export interface OverboardPageView {
  threads: OverboardThread[];
  /** The reader chose to see boards not marked safe for work. */
  nsfw: boolean;
  /** How many boards are covered. */
  boardCount: number;
}

type Section = "index" | "catalog";

/** The overboard's links: its two views, the rating switch, and the search across boards. */
function overboardNav(view: OverboardPageView, where: Section): Html {
  const here = where === "index" ? "/overboard" : "/overboard/catalog";
  const link = (section: Section, href: string, label: string) =>
    section === where
      ? html`<span class="current" aria-current="page">${label}</span>`
      : html`<a href="${href}">${label}</a>`;
  return html`<nav class="board-links top" aria-label="Overboard views">
${link("index", "/overboard", "Index")}
${link("catalog", "/overboard/catalog", "Catalog")}
<span class="nav-extra">${
    view.nsfw
      ? html`Showing every listed board. <a href="${here}?nsfw=0" rel="nofollow">Safe-for-work boards only</a>`
      : html`Safe-for-work boards only. <a href="${here}?nsfw=1" rel="nofollow">Show not-safe-for-work boards too</a>`
  }</span>
</nav>
${searchBox("/search", "Search every listed board")}`;
}

/** A plain GET form: search works without JavaScript. */
export function searchBox(action: string, label: string, q = ""): Html {
  return html`<form class="search-box" role="search" method="get" action="${action}">
<label><span class="visually-hidden">${label}</span><input type="search" name="q" value="${q}" maxlength="200" placeholder="${label}" required></label>
<button type="submit">Search</button>
</form>`;
}

function header(view: OverboardPageView, title: string): Html {
  return html`<div class="board-header">
<h1><a href="/overboard">${title}</a></h1>
<p class="board-desc">The latest threads of ${view.boardCount} ${view.boardCount === 1 ? "board" : "boards"}.</p>
</div>`;
}

function boardLabel(t: OverboardThread): Html {
  return html`<p class="overboard-board"><a href="/${t.board.uri}/">/${t.board.uri}/ - ${t.board.title}</a></p>`;
}

/** The overboard index: the latest-bumped threads across boards, each under its board's name. */
export function overboardPage(s: LayoutDeps & Pick<Services, "urls">, view: OverboardPageView): string {
  const threads =
    view.threads.length > 0
      ? view.threads.map((t) => html`${boardLabel(t)}${renderThread(s.urls, t.board, t.thread, "index")}<hr>`)
      : html`<p class="empty">No threads yet.</p>`;
  const body = html`${header(view, "Overboard")}
${overboardNav(view, "index")}
<div class="overboard">${threads}</div>`;
  return layout(s, {
    title: "Overboard",
    description: "The latest threads across boards",
    body,
    bodyClass: "board-index overboard-index",
  });
}

/** The overboard catalog: the same threads as cards, each naming its board. */
export function overboardCatalogPage(s: LayoutDeps & Pick<Services, "urls">, view: OverboardPageView): string {
  const body = html`${header(view, "Overboard catalog")}
${overboardNav(view, "catalog")}
${
  view.threads.length > 0
    ? html`<div class="catalog">${view.threads.map((t) => catalogCard(s, t.board, t.thread, boardLabel(t)))}</div>`
    : html`<p class="empty">No threads yet.</p>`
}`;
  return layout(s, {
    title: "Overboard catalog",
    description: "The latest threads across boards",
    body,
    bodyClass: "board-catalog overboard-catalog",
  });
}
