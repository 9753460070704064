import type { Board } from "../../../domain/board.js";
import { plainTextPreview } from "../../../domain/markup.js";
import type { ThreadOrder } from "../../../domain/ports.js";
import type { Services } from "../../../services/container.js";
import type { CatalogView, ThreadView } from "../../../services/reader.js";
import { type Html, html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";
import { boardHeader, boardNav, boardTitle, limitedToggle } from "./board-chrome.js";
import { newThreadBox } from "./forms.js";
import { LIMITED_TITLE, threadPath, thumbnail } from "./post.js";

const ORDERS: ReadonlyArray<[ThreadOrder, string]> = [
  ["bump", "Bump order"],
  ["created", "Creation date"],
  ["replies", "Reply count"],
];

const TEASER_LENGTH = 160;

/** One thread as a catalog card; `label` goes above its stats (the overboard names the board there). */
export function catalogCard(s: Pick<Services, "urls">, board: Board, thread: ThreadView, label?: Html): Html {
  const op = thread.posts[0]?.post;
  if (!op) return html``;
  const { state } = thread;
  const href = threadPath(board.uri, state.no);
  const f = op.file;
  const image = f
    ? thumbnail(s.urls, board.uri, f, op.subject ?? `Thread ${state.no}`)
    : html`<span class="no-image">${op.fileDeleted ? "File deleted" : "No image"}</span>`;
  const teaser = plainTextPreview(op.comment, TEASER_LENGTH);
  return html`<article class="catalog-thread${state.sticky ? " sticky" : ""}${thread.limited ? " from-limited" : ""}" id="c${state.no}">
<a class="catalog-thumb${f?.spoiler ? " spoilered" : ""}" href="${href}">${image}</a>
${label ?? ""}<p class="catalog-stats" title="Replies / Images"><span>R: <b>${state.replyCount}</b></span> / <span>I: <b>${state.imageCount}</b></span>${
    state.sticky ? html` <span class="badge badge-sticky">Sticky</span>` : ""
  }${state.locked ? html` <span class="badge badge-locked">Closed</span>` : ""}${
    thread.limited ? html` <span class="badge badge-limited" title="${LIMITED_TITLE}">Limited</span>` : ""
  }</p>
<p class="catalog-teaser">${op.subject ? html`<a class="subject" href="${href}">${op.subject}</a>${teaser ? ": " : ""}` : ""}${teaser}</p>
</article>`;
}

/** The catalog: every live thread as a card, in the chosen order. */
export function catalogPage(s: LayoutDeps & Pick<Services, "urls" | "config">, view: CatalogView): string {
  const { board } = view;
  const sort = ORDERS.map(([order, label]) =>
    order === view.order
      ? html`<strong aria-current="true">${label}</strong>`
      : html`<a href="/${board.uri}/catalog${order === "bump" ? "" : `?sort=${order}`}">${label}</a>`,
  );
  const body = html`${boardHeader(board)}
${newThreadBox(s, board)}
${boardNav(board, "catalog", "top")}
<div class="catalog-tools">
<p class="sort">Sort by: ${sort}</p>
</div>
${limitedToggle(board, {
  showLimited: view.showLimited,
  limitedHidden: view.limitedHidden,
  here: `/${board.uri}/catalog${view.order === "bump" ? "" : `?sort=${view.order}`}`,
})}
${
  view.threads.length > 0
    ? html`<div class="catalog">${view.threads.map((t) => catalogCard(s, board, t))}</div>`
    : html`<p class="empty">No threads yet.</p>`
}
${boardNav(board, "catalog", "bottom")}`;
  return layout(s, {
    title: `${boardTitle(board)} - Catalog`,
    description: board.description || board.title,
    body,
    board,
    bodyClass: "board-catalog",
  });
}
