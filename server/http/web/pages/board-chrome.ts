import type { Board } from "../../../domain/board.js";
import { type MarkupContext, renderMarkup } from "../../../domain/markup.js";
import { type Html, html, trusted } from "../html.js";

/** The page title of a board page: `/b/ - Random`. */
export function boardTitle(board: Board): string {
  return `/${board.uri}/ - ${board.title}`;
}

export function boardHeader(board: Board): Html {
  return html`<div class="board-header">
${banner(board)}
<h1><a href="/${board.uri}/">${boardTitle(board)}</a></h1>
${board.description ? html`<p class="board-desc">${board.description}</p>` : ""}
</div>${announcement(board)}`;
}

/** Where a board's banner is served (server/http/media.ts): named by its hash, so it is cached for good. */
export function bannerPath(uri: string, file: string): string {
  return `/media/${uri}/banner/${file}`;
}

function banner(board: Board): Html | null {
  const file = board.settings.banner;
  return file ? html`<img class="board-banner" src="${bannerPath(board.uri, file)}" alt="">` : null;
}

/** What the announcement's markup may refer to: nothing, so a `>>N` in it stays plain. */
const NO_POSTS: MarkupContext = {
  board: "",
  threadOf: () => null,
  crossThreadOf: () => null,
  boardExists: () => false,
};

/**
 * The board owner's announcement under the header, in the comment markup (greentext, spoilers, code,
 * links; quotes of posts are not links), rendered escaped as comments are.
 */
function announcement(board: Board): Html {
  const text = board.settings.announcement;
  if (!text) return html``;
  return html`<div class="board-announcement" role="note">${trusted(renderMarkup(text, { ...NO_POSTS, board: board.uri }).html)}</div>`;
}

export type BoardSection = "index" | "catalog" | "archive" | "thread" | "search";

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
${position === "top" ? boardSearchBox(board, where) : ""}
</nav>`;
}

/** The search box of every board page: a plain GET form, so it works without JavaScript. */
function boardSearchBox(board: Board, where: BoardSection): Html {
  if (where === "search") return html``;
  return html`<form class="board-search" role="search" method="get" action="/${board.uri}/search">
<input type="search" name="q" maxlength="200" required placeholder="Search /${board.uri}/" aria-label="Search /${board.uri}/">
<button type="submit">Search</button>
</form>`;
}

export interface LimitedState {
  /** The reader has opted in to posts from limited servers. */
  showLimited: boolean;
  /** Something from a limited server was left out of this page. */
  limitedHidden: boolean;
  /** This page's path, to come back to after the toggle. */
  here: string;
}

/**
 * A line saying that posts from limited (silenced) servers are left out, with a button that shows
 * them (or, once shown, hides them again). A plain form, so it works without JavaScript. Nothing
 * when the page left nothing out and the reader has not opted in.
 */
export function limitedToggle(board: Board, state: LimitedState): Html {
  if (!state.showLimited && !state.limitedHidden) return html``;
  const text = state.showLimited
    ? "Showing posts from servers this instance has limited."
    : "Posts from servers this instance has limited are hidden.";
  const label = state.showLimited ? "Hide posts from limited servers" : "Show posts from limited servers";
  return html`<form class="limited-toggle" method="post" action="/${board.uri}/limited">
<input type="hidden" name="return" value="${state.here}">
<input type="hidden" name="show" value="${state.showLimited ? "0" : "1"}">
<span class="limited-text">${text}</span> <button type="submit" class="link-button">${label}</button>
</form>`;
}
