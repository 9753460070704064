import type { Board } from "../../../domain/board.js";
import type { Services } from "../../../services/container.js";
import type { SearchHit } from "../../../services/search.js";
import { type Html, html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";
import { boardHeader, boardNav } from "./board-chrome.js";
import { searchBox } from "./overboard-page.js";
import { renderPost, threadPath } from "./post.js";

export interface SearchPageView {
  /** The board searched, or null for the search across boards. */
  board: Board | null;
  /** What the reader typed ("" before a search). */
  q: string;
  hits: SearchHit[] | null;
  /** `max_id` of the next page, when there is one. */
  next: string | null;
  /** Why the query was refused, shown above the form. */
  error: string | null;
  /** Across boards: whether boards not marked safe for work are included. */
  nsfw: boolean;
}

function hitBlock(s: Pick<Services, "urls">, hit: SearchHit, across: boolean): Html {
  const { post } = hit.view;
  const where = html`<p class="search-where">${across ? html`<a href="/${hit.board.uri}/">/${hit.board.uri}/</a> · ` : ""}<a href="${threadPath(hit.board.uri, post.threadNo)}">Thread No.${post.threadNo}</a></p>`;
  return html`<li class="search-hit">${where}${renderPost({ urls: s.urls, board: hit.board, state: hit.state, mode: "index" }, hit.view)}</li>`;
}

/** A search page: the form, then the results newest first, with a link to the older ones. */
export function searchPage(s: LayoutDeps & Pick<Services, "urls">, view: SearchPageView): string {
  const action = view.board ? `/${view.board.uri}/search` : "/search";
  const scope = view.board ? `/${view.board.uri}/` : "every listed board";
  const older = view.next
    ? html`<nav class="pagination" aria-label="Pages"><a class="next" rel="next" href="${action}?q=${encodeURIComponent(view.q)}&amp;max_id=${encodeURIComponent(view.next)}">Older results</a></nav>`
    : "";
  const results =
    view.hits === null
      ? ""
      : view.hits.length > 0
        ? html`<ol class="search-results">${view.hits.map((h) => hitBlock(s, h, view.board === null))}</ol>${older}`
        : html`<p class="empty">No posts hold every one of these words.</p>`;
  const rating =
    view.board === null
      ? html`<p class="search-scope">${
          view.nsfw
            ? html`Searching every listed board. <a href="/search?nsfw=0${view.q ? `&q=${encodeURIComponent(view.q)}` : ""}" rel="nofollow">Safe-for-work boards only</a>`
            : html`Searching safe-for-work boards. <a href="/search?nsfw=1${view.q ? `&q=${encodeURIComponent(view.q)}` : ""}" rel="nofollow">Include not-safe-for-work boards</a>`
        }</p>`
      : "";
  const top = view.board
    ? html`${boardHeader(view.board)}
${boardNav(view.board, "search", "top")}`
    : html`<div class="board-header"><h1>Search</h1></div>
<nav class="board-links top" aria-label="Overboard views"><a href="/overboard">Overboard</a> <a href="/overboard/catalog">Catalog</a></nav>`;
  const body = html`${top}
<section class="search-page">
<h2>Search ${scope}</h2>
${view.error ? html`<p class="error search-error" role="alert">${view.error}</p>` : ""}
${searchBox(action, `Search ${scope}`, view.q)}
${rating}
<p class="search-help">Posts whose subject or comment holds every word, newest first. Case and accents do not matter; quotes and other signs are ignored.</p>
${results}
</section>`;
  const title = view.q ? `Search: ${view.q}` : "Search";
  return layout(s, {
    title: view.board ? `/${view.board.uri}/ - ${title}` : title,
    body,
    ...(view.board ? { board: view.board } : {}),
    bodyClass: "search",
  });
}
