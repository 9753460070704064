import type { Board } from "../../domain/board.js";
import { filesOf, type Post, type ThreadState } from "../../domain/post.js";
import { type Ban, can, type Report, ROLES, type StaffUser } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import type { PublicStaffUser } from "../../services/staff.js";
import { type Html, html, trusted } from "../web/html.js";

/** What every admin view needs: the signed-in user and their form token. */
export interface ViewContext {
  /** The addresses views link to, and the rules in force (shown on the domain pages). */
  s: Pick<Services, "urls" | "policy">;
  user: StaffUser;
  csrf: string;
  /** The admin path the page lives at, so forms can come back to it. */
  path: string;
}

export const NOTICES: Readonly<Record<string, string>> = {
  deleted: "Post deleted.",
  file_deleted: "File deleted.",
  file_banned: "File deleted and banned.",
  media_banned: "Media ban placed.",
  two_factor_off: "Two-factor sign-in is off.",
  banner_saved: "Banner saved.",
  banner_removed: "Banner removed.",
  two_factor_cancelled: "Two-factor set-up cancelled.",
  media_ban_lifted: "Media ban lifted.",
  list_subscribed: "Subscribed to the hash list.",
  list_synced: "Hash list synced.",
  list_excluded: "Hash excluded from the list.",
  list_included: "Hash no longer excluded; it is banned again from the next sync.",
  list_deleted: "Unsubscribed; the list's bans are lifted.",
  list_peer_granted: "The domain's instance actor may now fetch the list.",
  list_peer_revoked: "The domain may no longer fetch the list.",
  list_token_revoked: "Token revoked: it no longer opens the list.",
  banned: "Ban placed.",
  banned_deleted: "Ban placed and post deleted.",
  dismissed: "Report dismissed.",
  lifted: "Ban lifted.",
  poster_hidden: "The poster's posts are hidden on the board.",
  poster_shown: "The poster's posts show again on the board.",
  poster_banned: "The poster behind the token is banned.",
  filter_added: "Filter added.",
  filter_saved: "Filter saved.",
  filter_removed: "Filter removed.",
  held_approved: "Post approved and published.",
  held_rejected: "Held post rejected.",
  held_thread_approved: "Thread approved and posted.",
  held_thread_not_posted: "The thread could not be posted; see the log.",
  held_thread_rejected: "Held thread rejected.",
  appeal_accepted: "Appeal accepted; the ban is lifted.",
  appeal_rejected: "Appeal rejected; the ban stays.",
  board_created: "Board created.",
  board_deleted: "Board deleted.",
  board_saved: "Board settings saved.",
  volunteer_added: "Volunteer added to the board.",
  volunteer_removed: "Volunteer taken off the board.",
  user_created: "Staff account created.",
  user_deleted: "Staff account deleted.",
  public_name_saved: "Public name saved.",
  token_deleted: "Token deleted.",
  thread_saved: "Thread updated.",
  domain_block_created: "Domain block added.",
  domain_block_saved: "Domain block saved.",
  domain_block_deleted: "Domain block deleted.",
  domain_block_confirmed: "Staged rule raised.",
  domain_allow_created: "Domain allowed.",
  domain_allow_deleted: "Domain no longer allowed.",
  domain_vouched: "Vouched for the domain: its probation is over.",
  domain_probation_started: "The domain is on probation.",
  subscription_created: "Subscribed to the list.",
  subscription_saved: "Subscription saved.",
  subscription_synced: "List synced; the rules are in line with it.",
  subscription_synced_draft: "List synced as a draft: see what it would change, then apply it.",
  subscription_applied: "Draft applied.",
  subscription_deleted: "Subscription deleted; rules only it carried were retracted.",
  consensus_saved: "Consensus settings saved.",
  board_rule_created: "Board rule added.",
  board_rule_deleted: "Board rule deleted.",
  delivery_replayed: "Delivery queued again.",
  deliveries_replayed: "Dropped deliveries queued again; those for suspended domains stay dropped.",
  inbound_replayed: "Tried again within a few seconds.",
};

export const BAN_DURATIONS: ReadonlyArray<[string, string]> = [
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["259200", "3 days"],
  ["604800", "1 week"],
  ["2592000", "30 days"],
  ["31536000", "1 year"],
  ["", "Permanent"],
];

const ROLE_NAMES: Record<StaffUser["role"], string> = {
  admin: "Administrator",
  global_mod: "Global moderator",
  board_owner: "Board owner",
  board_volunteer: "Board volunteer",
};

export function roleName(role: StaffUser["role"]): string {
  return ROLE_NAMES[role];
}

export function time(ms: number | null): Html {
  if (ms === null) return html`never`;
  const d = new Date(ms);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace("T", " ").slice(0, 16)} UTC</time>`;
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

/** A one-button form: the way to act without JavaScript. */
export function actionForm(
  v: ViewContext,
  action: string,
  label: string,
  fields: Record<string, string> = {},
  cls = "",
): Html {
  const hidden = Object.entries(fields).map(([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`);
  return html`<form method="post" action="${action}" class="admin-inline">${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">${hidden}<button type="submit"${cls ? html` class="${cls}"` : null}>${label}</button></form>`;
}

export function loginPage(csrf: string, message: string | null, username = ""): Html {
  return html`<section class="admin-login">
  <h1>Staff sign-in</h1>
  ${message ? html`<p class="admin-error" role="alert">${message}</p>` : null}
  <form method="post" action="/admin/login">
    <input type="hidden" name="csrf" value="${csrf}">
    <p><label>Username <input name="username" autocomplete="username" required maxlength="32" value="${username}"></label></p>
    <p><label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label></p>
    <p><button type="submit">Sign in</button></p>
  </form>
</section>`;
}

/** The frame of every signed-in page: navigation by role, the notice of the last action, sign-out. */
export function shell(v: ViewContext, heading: string, body: Html, notice: string | null): Html {
  const u = v.user;
  const links: Array<[string, string]> = [
    ["/admin", "Reports"],
    ["/admin/bans", "Bans"],
    ["/admin/appeals", "Appeals"],
    ["/admin/hidden-posters", "Hidden posters"],
    ["/admin/filters", "Word filters"],
    ["/admin/held", "Held"],
    ["/admin/threads", "Posts & threads"],
    ["/admin/account", "Your account"],
  ];
  if (can(u, "moderate", null)) links.push(["/admin/media-bans", "Media bans"]);
  if (u.role === "admin" || u.role === "board_owner") links.push(["/admin/boards", "Boards"]);
  if (can(u, "manage_instance", null)) {
    links.push(
      ["/admin/domains", "Domains"],
      ["/admin/deliveries", "Deliveries"],
      ["/admin/federation", "Federation"],
      ["/admin/users", "Staff"],
      ["/admin/tokens", "API tokens"],
    );
  }
  return html`<div class="admin">
  <nav class="admin-nav" aria-label="Administration">
    <ul>${links.map(([href, label]) => html`<li><a href="${href}"${href === v.path ? html` aria-current="page"` : null}>${label}</a></li>`)}</ul>
    <p class="admin-who">Signed in as <strong>${u.username}</strong> (${roleName(u.role)}${
      u.boards.length > 0 && (u.role === "board_owner" || u.role === "board_volunteer")
        ? html`: ${u.boards.map((b, i) => html`${i > 0 ? ", " : ""}/${b}/`)}`
        : null
    })</p>
    <form method="post" action="/admin/logout" class="admin-inline">${csrfField(v.csrf)}<button type="submit">Sign out</button></form>
  </nav>
  <div class="admin-main">
    <h1>${heading}</h1>
    ${notice ? html`<p class="admin-notice" role="status">${notice}</p>` : null}
    ${body}
  </div>
</div>`;
}

/** A post as moderators see it: name, subject, comment, thumbnail, where it lives. */
export function postPreview(s: Pick<Services, "urls">, post: Post): Html {
  const url = s.urls.thread(post.board, post.threadNo, post.no);
  const file = post.file;
  return html`<div class="admin-post">
  <p class="admin-post-head"><a href="${url}">/${post.board}/ No.${post.no}</a>${
    post.no === post.threadNo ? html` <span class="admin-tag">thread</span>` : html` in thread ${post.threadNo}`
  } · <span class="name">${post.name}</span>${post.trip ? html` <span class="trip">${post.trip}</span>` : null}${
    post.subject ? html` · <span class="subject">${post.subject}</span>` : null
  } · ${time(post.createdAt)}</p>
  ${
    file
      ? html`<a href="${s.urls.file(post.board, file)}"><img src="${s.urls.thumb(post.board, file)}" width="${file.thumbWidth}" height="${file.thumbHeight}" alt="${file.filename}${file.ext}" loading="lazy"></a>`
      : post.fileDeleted
        ? html`<p class="admin-muted">File deleted</p>`
        : null
  }
  ${post.posterToken ? html`<p class="admin-muted">Poster token <code>${post.posterToken}</code></p>` : null}
  <blockquote class="postMessage">${trusted(post.html)}</blockquote>
</div>`;
}

/** Hiding a mirrored post's poster (by the token its origin gave) on the board here. */
function hidePosterForm(v: ViewContext, post: Post, token: string): Html {
  return html`<form method="post" action="/admin/hidden-posters" class="admin-ban">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
    <input type="hidden" name="board" value="${post.board}"><input type="hidden" name="token" value="${token}">
    <label>Public reason <input name="reason" maxlength="500"></label>
    <button type="submit">Hide this poster on /${post.board}/</button>
  </form>`;
}

/** Banning, by address, the poster behind a token a peer's report named (the address is never shown). */
function tokenBanForm(v: ViewContext, board: string, token: string): Html {
  return html`<form method="post" action="/admin/poster-bans" class="admin-ban">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
    <input type="hidden" name="board" value="${board}"><input type="hidden" name="token" value="${token}">
    <label>Reason <input name="reason" required maxlength="500"></label>
    <label>Length <select name="duration">${BAN_DURATIONS.map(([val, label]) => html`<option value="${val}"${val === "86400" ? html` selected` : null}>${label}</option>`)}</select></label>
    <label><input type="checkbox" name="delete_posts" value="1"> also delete the token's posts</label>
    <button type="submit">Ban the poster behind this token</button>
  </form>`;
}

/** Delete, delete file, ban: the actions on one post. */
/** The hidden poster tokens as `board/token`, for the staff views that offer to hide one. */
export type HiddenSet = ReadonlySet<string>;
const NONE_HIDDEN: HiddenSet = new Set();

export function postActions(v: ViewContext, post: Post, hidden: HiddenSet = NONE_HIDDEN): Html {
  const ref = { board: post.board, no: String(post.no) };
  const global = can(v.user, "moderate", null);
  return html`<div class="admin-actions">
  ${actionForm(v, "/admin/posts/delete", post.no === post.threadNo ? "Delete thread" : "Delete post", ref, "danger")}
  ${post.file ? actionForm(v, "/admin/posts/delete", post.extraFiles.length > 0 ? "Delete all files" : "Delete file", { ...ref, file_only: "1" }) : null}
  ${post.extraFiles.length > 0 ? filesOf(post).map((f, i) => actionForm(v, "/admin/posts/delete", `Delete file ${i + 1} (${f.filename}${f.ext})`, { ...ref, tim: String(f.tim) })) : null}
  ${post.file ? actionForm(v, "/admin/media-bans/post", "Delete and ban this file", ref, "danger") : null}
  ${
    post.ipHash
      ? html`<form method="post" action="/admin/bans" class="admin-ban">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
    <input type="hidden" name="post" value="${post.board}/${post.no}">
    <label>Reason <input name="reason" required maxlength="500"></label>
    <label>Length <select name="duration">${BAN_DURATIONS.map(([val, label]) => html`<option value="${val}"${val === "86400" ? html` selected` : null}>${label}</option>`)}</select></label>
    <label>Scope <select name="board">
      <option value="${post.board}">/${post.board}/ only</option>
      ${global ? html`<option value="">All boards</option>` : null}
    </select></label>
    <label><input type="checkbox" name="delete_post" value="1"> also delete the post</label>
    <button type="submit">Ban poster</button>
  </form>`
      : html`<p class="admin-muted">From the fediverse: no address to ban.</p>`
  }
  ${
    post.posterToken && post.apId !== null
      ? hidden.has(`${post.board}/${post.posterToken}`)
        ? html`<p class="admin-muted">This poster's posts are hidden on /${post.board}/ (see <a href="/admin/hidden-posters">Hidden posters</a>).</p>`
        : hidePosterForm(v, post, post.posterToken)
      : null
  }
</div>`;
}

export function reportsView(
  v: ViewContext,
  items: Array<{ report: Report; post: Post | null }>,
  hidden: HiddenSet = NONE_HIDDEN,
): Html {
  if (items.length === 0) return html`<p>No open reports. All clear.</p>`;
  return html`<p>${items.length} open report${items.length === 1 ? "" : "s"}, newest first.</p>
${items.map(
  ({ report, post }) => html`<article class="admin-report">
  <header><strong>Report on /${report.board}/ No.${report.postNo}</strong> · ${time(report.createdAt)}${
    report.origin
      ? html` · <span class="admin-origin">from the fediverse: ${report.origin}${report.flag ? " (answered when resolved)" : ""}</span>`
      : null
  }
    <p class="admin-reason">${report.category ? html`Category: ${report.category}. ` : ""}Reason: ${report.reason}</p>${
      report.posterToken
        ? html`<p class="admin-origin">The reporting server names the poster's token <code>${report.posterToken}</code>.</p>`
        : null
    }</header>
  ${post ? html`${postPreview(v.s, post)}${postActions(v, post, hidden)}` : html`<p class="admin-muted">The post no longer exists.</p>`}
  ${report.posterToken ? tokenBanForm(v, report.board, report.posterToken) : null}
  ${actionForm(v, `/admin/reports/${encodeURIComponent(report.id)}/dismiss`, "Dismiss report")}
</article>`,
)}`;
}

export function bansView(v: ViewContext, bans: Ban[]): Html {
  const rows = bans.map(
    (b) => html`<tr>
  <td>${b.board === null ? "all boards" : html`/${b.board}/`}</td>
  <td>${b.reason}</td>
  <td>${time(b.createdAt)}</td>
  <td>${b.expiresAt === null ? "permanent" : time(b.expiresAt)}</td>
  <td>${b.createdBy}</td>
  <td>${b.postRef ?? ""}</td>
  <td><code title="${b.ipHash}">${b.ipHash.slice(0, 10)}…</code></td>
  <td>${can(v.user, "moderate", b.board) ? actionForm(v, `/admin/bans/${encodeURIComponent(b.id)}/lift`, "Lift") : null}</td>
</tr>`,
  );
  return html`<section>
  <h2>Ban a poster</h2>
  <form method="post" action="/admin/bans" class="admin-form">
    ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
    <p><label>Post <input name="post" required placeholder="b/123" pattern="[a-z0-9]{1,30}/[1-9][0-9]*"></label></p>
    <p><label>Reason <input name="reason" required maxlength="500"></label></p>
    <p><label>Length <select name="duration">${BAN_DURATIONS.map(([val, label]) => html`<option value="${val}">${label}</option>`)}</select></label></p>
    ${
      can(v.user, "moderate", null)
        ? html`<p><label><input type="checkbox" name="board_only" value="1" checked> only on the post's board</label></p>`
        : html`<input type="hidden" name="board_only" value="1"><p class="admin-muted">The ban applies on the post's board.</p>`
    }
    <p><button type="submit">Ban</button></p>
  </form>
</section>
<section>
  <h2>Bans in force</h2>
  ${
    bans.length === 0
      ? html`<p>No bans in force.</p>`
      : html`<table class="admin-table">
    <thead><tr><th>Board</th><th>Reason</th><th>Placed</th><th>Expires</th><th>By</th><th>Post</th><th>Address</th><th></th></tr></thead>
    <tbody>${rows}</tbody>
  </table>`
  }
</section>`;
}

export function threadsView(
  v: ViewContext,
  query: { board: string; no: string },
  found: { post: Post; thread: ThreadState | null } | null,
  hidden: HiddenSet = NONE_HIDDEN,
): Html {
  const lookup = html`<form method="get" action="/admin/threads" class="admin-form">
  <p><label>Board <input name="board" required maxlength="30" value="${query.board}" pattern="[a-z0-9]{1,30}"></label>
  <label>Post number <input name="no" required inputmode="numeric" pattern="[1-9][0-9]*" value="${query.no}"></label>
  <button type="submit">Look up</button></p>
</form>`;
  if (!found) return lookup;
  const { post, thread } = found;
  const flags = thread
    ? html`<form method="post" action="/admin/threads/flags" class="admin-form">
  ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
  <input type="hidden" name="board" value="${thread.board}"><input type="hidden" name="no" value="${String(thread.no)}">
  <p>Thread No.${thread.no}: ${thread.replyCount} replies, ${thread.imageCount} images, last bumped ${time(thread.bumpedAt)}.</p>
  <p><label><input type="checkbox" name="sticky" value="1"${thread.sticky ? html` checked` : null}> Sticky</label>
  <label><input type="checkbox" name="locked" value="1"${thread.locked ? html` checked` : null}> Locked</label>
  <label><input type="checkbox" name="archived" value="1"${thread.archived ? html` checked` : null}> Archived</label>
  <label>Public reason <input name="reason" maxlength="500"></label>
  <button type="submit">Save thread</button></p>
</form>`
    : null;
  return html`${lookup}${postPreview(v.s, post)}${postActions(v, post, hidden)}${flags}`;
}

export function usersView(v: ViewContext, users: PublicStaffUser[], boards: Board[]): Html {
  const rows = users.map(
    (
      u,
    ) => html`<tr><td>${u.username}</td><td>${roleName(u.role)}</td><td>${u.boards.map((b) => `/${b}/`).join(" ")}</td><td>${time(u.createdAt)}</td>
  <td><a href="/admin/users/${encodeURIComponent(u.username)}/public-name">${u.publicName ?? html`<span class="admin-muted">by role</span>`}</a></td>
  <td>${u.username === v.user.username ? html`<span class="admin-muted">you</span>` : actionForm(v, `/admin/users/${u.username}/delete`, "Delete", {}, "danger")}</td></tr>`,
  );
  return html`<section><h2>New staff account</h2>
  <form method="post" action="/admin/users" class="admin-form">
    ${csrfField(v.csrf)}
    <p><label>Username <input name="username" required pattern="[a-z0-9_]{2,32}" maxlength="32" autocomplete="off"></label></p>
    <p><label>Password <input name="password" type="password" required minlength="10" maxlength="1024" autocomplete="new-password"></label></p>
    <p><label>Role <select name="role">${ROLES.map((r) => html`<option value="${r}"${r === "board_volunteer" ? html` selected` : null}>${roleName(r)}</option>`)}</select></label></p>
    <fieldset><legend>Boards (for board owners and volunteers)</legend>${
      boards.length === 0
        ? html`<p class="admin-muted">No boards yet.</p>`
        : boards.map((b) => html`<label><input type="checkbox" name="boards" value="${b.uri}"> /${b.uri}/</label> `)
    }</fieldset>
    <p><button type="submit">Create account</button></p>
  </form></section>
<section><h2>Staff</h2>
  <table class="admin-table"><thead><tr><th>Name</th><th>Role</th><th>Boards</th><th>Since</th><th>Public name</th><th></th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

export function tokensView(
  v: ViewContext,
  tokens: Array<{ id: string; label: string; createdAt: number }>,
  minted: string | null,
): Html {
  const rows = tokens.map(
    (
      t,
    ) => html`<tr><td>${t.label || html`<span class="admin-muted">(no label)</span>`}</td><td><code>${t.id}</code></td><td>${time(t.createdAt)}</td>
  <td>${actionForm(v, `/admin/tokens/${encodeURIComponent(t.id)}/delete`, "Delete", {}, "danger")}</td></tr>`,
  );
  return html`${
    minted
      ? html`<section class="admin-minted"><h2>New token</h2>
  <p>Copy it now: it is shown only this once.</p>
  <p><code class="admin-token">${minted}</code></p>
  <p>Use it as <code>Authorization: Bearer …</code> with the admin API.</p></section>`
      : null
  }
<section><h2>Create a token</h2>
  <form method="post" action="/admin/tokens" class="admin-form">
    ${csrfField(v.csrf)}
    <p><label>Label <input name="label" maxlength="100" placeholder="what uses it"></label> <button type="submit">Create token</button></p>
  </form></section>
<section><h2>Tokens</h2>${
    tokens.length === 0
      ? html`<p>No tokens.</p>`
      : html`<table class="admin-table"><thead><tr><th>Label</th><th>Id</th><th>Created</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>`;
}
