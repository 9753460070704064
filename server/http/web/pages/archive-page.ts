import { plainTextPreview } from "../../../domain/markup.js";
import type { ArchiveView } from "../../../services/reader.js";
import { displayDate, isoDate } from "../format.js";
import { html } from "../html.js";
import { type LayoutDeps, layout } from "../layout.js";
import { boardHeader, boardNav, boardTitle, limitedToggle } from "./board-chrome.js";
import { threadPath } from "./post.js";

/** The archive: threads that fell off the board, read-only, newest archived first. */
export function archivePage(s: LayoutDeps, view: ArchiveView): string {
  const { board, threads } = view;
  const rows = threads.map((t) => {
    const op = t.posts[0]?.post;
    const when = t.state.archivedAt ?? t.state.bumpedAt;
    const excerpt = op ? plainTextPreview(op.comment, 120) : "";
    return html`<tr>
<td class="num"><a href="${threadPath(board.uri, t.state.no)}">${t.state.no}</a></td>
<td class="excerpt">${op?.subject ? html`<b class="subject">${op.subject}</b>${excerpt ? ": " : ""}` : ""}${excerpt}</td>
<td class="num">${t.state.replyCount}</td>
<td class="date"><time datetime="${isoDate(when)}">${displayDate(when)}</time></td>
<td><a href="${threadPath(board.uri, t.state.no)}">View</a></td>
</tr>`;
  });
  const body = html`${boardHeader(board)}
${boardNav(board, "archive", "top")}
${limitedToggle(board, { showLimited: view.showLimited, limitedHidden: view.limitedHidden, here: `/${board.uri}/archive` })}
<h2 class="page-title">Archived threads</h2>
${
  threads.length > 0
    ? html`<div class="table-wrap"><table class="archive">
<thead><tr><th>No.</th><th>Excerpt</th><th>Replies</th><th>Archived</th><th></th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
    : html`<p class="empty">No archived threads yet.</p>`
}
${boardNav(board, "archive", "bottom")}`;
  return layout(s, { title: `${boardTitle(board)} - Archive`, body, board, bodyClass: "board-archive" });
}
