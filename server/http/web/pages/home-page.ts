import type { Board } from "../../../domain/board.js";
import { html } from "../html.js";
import { instanceName, type LayoutDeps, layout } from "../layout.js";

export interface BoardListing {
  board: Board;
  threads: number;
}

/** What an empty instance says: how its operator makes the first board. */
const noBoards = html`<div class="empty no-boards">
<p>There are no boards yet.</p>
<p>The operator creates one on the command line, for example
<code>npx atoll board create b --title "Random"</code>,
or in the <a href="/admin">admin pages</a> (Boards, signed in as an admin).</p>
</div>`;

/** The front page: what this instance is and its boards. */
export function homePage(s: LayoutDeps, boards: BoardListing[], posts: number | null): string {
  const name = instanceName(s);
  const rows = boards.map(
    ({ board, threads }) => html`<li class="board-card">
<a class="board-card-link" href="/${board.uri}/"><span class="uri">/${board.uri}/</span> <span class="title">${board.title}</span></a>
<span class="badge ${board.settings.sfw ? "badge-sfw" : "badge-nsfw"}">${board.settings.sfw ? "SFW" : "NSFW"}</span>
${board.description ? html`<p class="desc">${board.description}</p>` : ""}
<p class="counts">${threads} ${threads === 1 ? "thread" : "threads"} · <a href="/${board.uri}/catalog">Catalog</a></p>
</li>`,
  );
  const body = html`<section class="home-intro">
<h1>${name}</h1>
${s.config.instanceDescription ? html`<p class="home-description">${s.config.instanceDescription}</p>` : ""}
<p>An imageboard on the fediverse: post anonymously here, and follow its boards from Mastodon and other fediverse software.</p>
${posts !== null ? html`<p class="stats">${posts} ${posts === 1 ? "post" : "posts"} on ${boards.length} ${boards.length === 1 ? "board" : "boards"}.</p>` : ""}
</section>
<section class="home-boards">
<h2>Boards</h2>
<p class="home-overboard"><a href="/overboard">Overboard</a>: the latest threads of every listed board · <a href="/overboard/catalog">Catalog</a> · <a href="/search">Search</a></p>
${boards.length > 0 ? html`<ul class="board-list">${rows}</ul>` : noBoards}
</section>
<section class="home-more">
<p><a href="/about">About this instance</a> · <a href="/about/moderation">Rules and moderation</a></p>
</section>`;
  return layout(s, { title: "Home", description: `${name}: an imageboard on the fediverse`, body, bodyClass: "home" });
}
