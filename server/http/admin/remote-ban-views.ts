import type { RemoteBan } from "../../domain/remote-bans.js";
import { can } from "../../domain/staff.js";
import { type Html, html } from "../web/html.js";
import { actionForm, BAN_DURATIONS, csrfField, type ViewContext } from "./views.js";

function when(ms: number): Html {
  const d = new Date(ms);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace("T", " ").slice(0, 16)} UTC</time>`;
}

/** The bans of fediverse accounts, under the address bans: a form to place one and the list in force. */
export function remoteBansView(v: ViewContext, bans: RemoteBan[]): Html {
  const instanceWide = can(v.user, "moderate", null);
  const boards = v.user.boards.filter((b) => can(v.user, "moderate", b));
  const rows = bans.map(
    (b) => html`<tr>
  <td>${b.board === null ? "all boards" : html`/${b.board}/`}</td>
  <td><a href="${b.actorId}" rel="noopener noreferrer">${b.handle ?? b.actorId}</a></td>
  <td>${b.reason}</td>
  <td>${when(b.createdAt)}</td>
  <td>${b.expiresAt === null ? "permanent" : when(b.expiresAt)}</td>
  <td>${b.createdBy}</td>
  <td>${b.deletePosts ? "removed" : "kept"}</td>
  <td>${can(v.user, "moderate", b.board) ? actionForm(v, `/admin/bans/${encodeURIComponent(b.id)}/lift`, "Lift") : null}</td>
</tr>`,
  );
  return html`<section>
  <h2>Ban a fediverse account</h2>
  <form method="post" action="/admin/account-bans" class="admin-form">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
    <p><label>Account <input name="actor" required maxlength="2048" placeholder="user@example.social or its URL"></label></p>
    <p><label>Board <select name="board">${instanceWide ? html`<option value="">all boards</option>` : null}${boards.map((b) => html`<option value="${b}">/${b}/</option>`)}</select></label></p>
    <p><label>Reason <input name="reason" required maxlength="500"></label></p>
    <p><label>Length <select name="duration">${BAN_DURATIONS.map(([val, label]) => html`<option value="${val}">${label}</option>`)}</select></label></p>
    <p><label><input type="checkbox" name="delete_posts" value="1"> also remove the account's posts here</label></p>
    <p><button type="submit">Ban account</button></p>
  </form>
</section>
<section>
  <h2>Fediverse accounts banned</h2>
  ${
    bans.length === 0
      ? html`<p>No account bans in force.</p>`
      : html`<table class="admin-table">
    <thead><tr><th>Board</th><th>Account</th><th>Reason</th><th>Placed</th><th>Expires</th><th>By</th><th>Posts</th><th></th></tr></thead>
    <tbody>${rows}</tbody>
  </table>`
  }
</section>`;
}
