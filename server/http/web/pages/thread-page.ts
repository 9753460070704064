import type { Board } from "../../../domain/board.js";
import { plainTextPreview } from "../../../domain/markup.js";
import type { Services } from "../../../services/container.js";
import type { ThreadView } from "../../../services/reader.js";
import { liveBar, liveScript } from "../../live/page-parts.js";
import { plural } from "../format.js";
import { type Html, html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";
import { boardHeader, boardNav, boardTitle, limitedToggle } from "./board-chrome.js";
import { postForm, postsForm } from "./forms.js";
import { renderThread } from "./post.js";

function notices(board: Board, view: ThreadView): Html {
  const { state } = view;
  const items: Html[] = [];
  if (view.limited) {
    items.push(
      html`<p class="notice notice-limited">This thread comes from a server that this instance's moderators have limited. It opens from a direct link, but the board's index, catalog and API leave it out unless you choose to show posts from limited servers.</p>`,
    );
  }
  if (state.archived) {
    items.push(
      html`<p class="notice notice-archived">This thread is archived: it is read-only and takes no more replies.</p>`,
    );
  } else if (state.locked) {
    items.push(html`<p class="notice notice-locked">This thread is closed: it takes no more replies.</p>`);
  }
  if (state.sticky)
    items.push(html`<p class="notice notice-sticky">This thread is pinned to the top of the board.</p>`);
  if (!state.archived && state.replyCount >= board.settings.bumpLimit) {
    items.push(html`<p class="notice">Bump limit reached: new replies no longer bump this thread.</p>`);
  }
  if (!state.archived && state.imageCount >= board.settings.imageLimit) {
    items.push(html`<p class="notice">Image limit reached: replies can no longer carry images.</p>`);
  }
  return items.length > 0 ? html`<div class="notices">${items}</div>` : html``;
}

/**
 * A thread page: the reply form while it takes replies (at the top, folded behind "[Post a Reply]"
 * as on 4chan; a `<details>`, so it opens without JavaScript), then every post and the thread's status.
 */
export function threadPage(
  s: LayoutDeps & Pick<Services, "urls">,
  board: Board,
  view: ThreadView,
  showLimited = false,
): string {
  const op = view.posts[0]?.post;
  const open = !view.state.archived && !view.state.locked;
  const label = op?.subject || plainTextPreview(op?.comment ?? "", 60) || `No. ${view.state.no}`;
  const stats = html`${plural(view.state.replyCount, "reply", "replies")} · ${plural(view.state.imageCount, "image", "images")}`;
  const body = html`${boardHeader(board)}
${boardNav(board, "thread", "top", stats)}
${notices(board, view)}
${limitedToggle(board, {
  showLimited,
  // A limited OP's notice speaks of the choice, so the switch is there too.
  limitedHidden: view.limitedHidden || view.limited,
  here: `/${board.uri}/thread/${view.state.no}`,
})}
${open ? html`<details class="form-box top-form" id="reply"><summary>[Post a Reply]</summary>${postForm(s, board, view.state)}</details>` : ""}
${liveBar(view, "top")}
${postsForm(board, renderThread(s.urls, board, view, "thread"))}
${liveBar(view, "bottom")}
${boardNav(board, "thread", "bottom", stats)}
${liveScript()}`;
  return layout(s, {
    title: `${boardTitle(board)} - ${label}`,
    description: plainTextPreview(op?.comment ?? "", 200) || board.title,
    body,
    board,
    bodyClass: `thread-page${open ? "" : " thread-closed"}`,
    alternates: op
      ? [
          { type: "application/activity+json", href: s.urls.apId(op) },
          { type: "application/rss+xml", href: s.urls.threadFeed(board.uri, op.no), title: label },
        ]
      : undefined,
  });
}
