import type { Board } from "../../../domain/board.js";
import { type Html, html } from "../html.js";

/** The page title of a board page: `/b/ - Random`. */
export function boardTitle(board: Board): string {
  return `/${board.uri}/ - ${board.title}`;
}

export function boardHeader(board: Board): Html {
  return html`<div class="board-header">
<h1><a href="/${board.uri}/">${boardTitle(board)}</a></h1>
${board.description ? html`<p class="board-desc">${board.description}</p>` : ""}
</div>`;
}

export type BoardSection = "index" | "catalog" | "archive" | "thread";

/** Links between a board's views; `where` says which one the reader is on. */
export function boardNav(board: Board, where: BoardSection, position: "top" | "bottom", extra?: Html): Html {
  const link = (section: BoardSection, href: string, label: string) =>
    section === where
      ? html`<span class="current" aria-current="page">${label}</span>`
      : html`<a href="${href}">${label}</a>`;
  const jump = position === "top" ? html`<a href="#bottom">Bottom</a>` : html`<a href="#top">Top</a>`;
  return html`<nav class="board-links ${position}" aria-label="Board views"${position === "bottom" ? html` id="bottom"` : ""}>
${where === "thread" ? html`<a href="/${board.uri}/">Return</a>` : link("index", `/${board.uri}/`, "Index")}
${link("catalog", `/${board.uri}/catalog`, "Catalog")}
${link("archive", `/${board.uri}/archive`, "Archive")}
${jump}
${extra ? html`<span class="nav-extra">${extra}</span>` : ""}
</nav>`;
}
