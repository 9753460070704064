import {
  BANNER_MAX_HEIGHT,
  BANNER_MAX_WIDTH,
  type Board,
  type BoardSettings,
  CAPTCHA_MODES,
  MAX_ANNOUNCEMENT,
  MEDIA_TYPES,
} from "../../domain/board.js";
import { formatSize } from "../../domain/sizes.js";
import { can } from "../../domain/staff.js";
import type { PublicStaffUser } from "../../services/staff.js";
import { type Html, html } from "../web/html.js";
import { bannerPath } from "../web/pages/board-chrome.js";
import { actionForm, csrfField, time, type ViewContext } from "./views.js";

/* The staff pages' board views: the list of boards, a board's settings, its volunteers. */

const NUMBER_SETTINGS: ReadonlyArray<[keyof BoardSettings, string]> = [
  ["bumpLimit", "Bump limit (replies)"],
  ["maxThreads", "Live threads kept"],
  ["imageLimit", "Image limit per thread"],
  ["threadsPerPage", "Threads per index page"],
  ["maxFileSize", "Largest file (bytes)"],
  ["maxFiles", "Files per post"],
  ["maxVideoDuration", "Longest video (seconds)"],
  ["maxCommentLength", "Longest comment (characters)"],
  ["threadCooldown", "Seconds between new threads from one address"],
  ["replyCooldown", "Seconds between replies from one address"],
];

const BOOLEAN_SETTINGS: ReadonlyArray<[keyof BoardSettings, string]> = [
  ["requireImageForThread", "New threads need an image"],
  ["posterIds", "Poster IDs"],
  ["forcedAnon", "Forced anonymity"],
  ["sfw", "Safe for work"],
  ["postingRestrictedToMods", "Only staff start threads"],
  ["listed", "Listed on the overboard and in search across boards"],
];

const CAPTCHA_LABELS: Record<(typeof CAPTCHA_MODES)[number], string> = {
  default: "As the instance's CAPTCHA setting says",
  off: "Off",
  threads: "New threads only",
  all: "All posts",
};

export const SETTINGS_FORM = { numbers: NUMBER_SETTINGS.map(([k]) => k), booleans: BOOLEAN_SETTINGS.map(([k]) => k) };

export function boardSettingsView(v: ViewContext, board: Board): Html {
  const st = board.settings;
  return html`<form method="post" action="/admin/boards/${board.uri}/settings" class="admin-form">
  ${csrfField(v.csrf)}
  <p><label>Title <input name="title" required maxlength="100" value="${board.title}"></label></p>
  <p><label>Description <textarea name="description" maxlength="1000" rows="3">${board.description}</textarea></label></p>
  <p><label>Default name <input name="defaultName" required maxlength="100" value="${st.defaultName}"></label></p>
  ${NUMBER_SETTINGS.map(
    ([key, label]) =>
      html`<p><label>${label} <input name="${key}" type="number" min="0" required value="${String(st[key])}"></label>${
        key === "maxFileSize"
          ? html` <span class="admin-muted">Now ${formatSize(st.maxFileSize)} (1 MB = 1048576 bytes).</span>`
          : null
      }</p>`,
  )}
  <fieldset><legend>Options</legend>${BOOLEAN_SETTINGS.map(
    ([key, label]) =>
      html`<label><input type="checkbox" name="${key}" value="1"${st[key] ? html` checked` : null}> ${label}</label> `,
  )}</fieldset>
  <fieldset><legend>Accepted file types</legend>${MEDIA_TYPES.map(
    (t) =>
      html`<label><input type="checkbox" name="allowedTypes" value="${t}"${st.allowedTypes.includes(t) ? html` checked` : null}> ${t}</label> `,
  )}</fieldset>
  <p><label>Captcha <select name="captchaMode">${CAPTCHA_MODES.map(
    (m) => html`<option value="${m}"${st.captchaMode === m ? html` selected` : null}>${CAPTCHA_LABELS[m]}</option>`,
  )}</select></label></p>
  <p><label>Announcement, shown under the board's header (greentext, spoilers, code and links as in comments) <textarea name="announcement" maxlength="${MAX_ANNOUNCEMENT}" rows="3">${st.announcement}</textarea></label></p>
  <p><button type="submit">Save settings</button></p>
</form>
${bannerForms(v, board)}`;
}

/** The banner atop the board's pages: the current one, a form to upload another, a button to remove it. */
function bannerForms(v: ViewContext, board: Board): Html {
  const current = board.settings.banner;
  return html`<h2 id="banner">Banner</h2>
${current ? html`<p><img class="board-banner" src="${bannerPath(board.uri, current)}" alt="The current banner"></p>` : html`<p>No banner.</p>`}
<form method="post" action="/admin/boards/${board.uri}/banner" enctype="multipart/form-data" class="admin-form">
  ${csrfField(v.csrf)}
  <p><label>Image (JPEG, PNG, GIF or WebP; at most ${String(BANNER_MAX_WIDTH)}×${String(BANNER_MAX_HEIGHT)} pixels and 500 KB)
  <input type="file" name="banner" accept="image/jpeg,image/png,image/gif,image/webp" required></label></p>
  <p><button type="submit">Upload banner</button></p>
</form>
${current ? actionForm(v, `/admin/boards/${board.uri}/banner/remove`, "Remove the banner", {}, "danger") : null}`;
}

/**
 * A board's volunteers, for whoever manages the board: who they are, taking one off, and adding
 * one (a new volunteer account, or an existing volunteer of another board by name).
 */
export function volunteersView(v: ViewContext, board: Board, volunteers: PublicStaffUser[]): Html {
  const rows = volunteers.map(
    (
      u,
    ) => html`<tr><td>${u.username}</td><td>${u.boards.map((b) => `/${b}/`).join(" ")}</td><td>${time(u.createdAt)}</td>
  <td>${actionForm(v, `/admin/boards/${board.uri}/volunteers/${u.username}/remove`, "Take off this board", {}, "danger")}</td></tr>`,
  );
  return html`<section id="volunteers"><h2>Volunteers</h2>
  ${
    volunteers.length === 0
      ? html`<p class="admin-muted">/${board.uri}/ has no volunteers yet.</p>`
      : html`<table class="admin-table"><thead><tr><th>Name</th><th>Boards</th><th>Since</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
  }
  <form method="post" action="/admin/boards/${board.uri}/volunteers" class="admin-form">
    ${csrfField(v.csrf)}
    <p>Volunteers moderate this board: delete posts and files, ban, lock and sticky threads, handle its reports.</p>
    <p><label>Username <input name="username" required pattern="[a-z0-9_]{2,32}" maxlength="32" autocomplete="off"></label></p>
    <p><label>Password, for a new account <input name="password" type="password" minlength="10" maxlength="1024" autocomplete="new-password"></label></p>
    <p><button type="submit">Add volunteer</button></p>
  </form></section>`;
}

export function boardsView(v: ViewContext, boards: Board[]): Html {
  const admin = can(v.user, "manage_instance", null);
  const rows = boards.map(
    (b) => html`<tr>
  <td><a href="${v.s.urls.board(b.uri)}">/${b.uri}/</a></td><td>${b.title}</td><td>${b.settings.sfw ? "SFW" : "NSFW"}</td>
  <td><a href="/admin/boards/${b.uri}">Settings</a> · <a href="/admin/boards/${b.uri}/domains">Domain rules</a></td>
  <td>${
    admin
      ? html`<form method="post" action="/admin/boards/${b.uri}/delete" class="admin-inline">${csrfField(v.csrf)}<label><input type="checkbox" name="confirm" value="yes" required> delete with all posts</label> <button type="submit" class="danger">Delete</button></form>`
      : null
  }</td>
</tr>`,
  );
  return html`${
    admin
      ? html`<section><h2>New board</h2>
  <form method="post" action="/admin/boards" class="admin-form">
    ${csrfField(v.csrf)}
    <p><label>Name <input name="uri" required maxlength="30" pattern="[a-z0-9]{1,30}" placeholder="b"></label></p>
    <p><label>Title <input name="title" required maxlength="100"></label></p>
    <p><label>Description <input name="description" maxlength="1000"></label></p>
    <p><label><input type="checkbox" name="sfw" value="1" checked> Safe for work</label></p>
    <p><button type="submit">Create board</button></p>
  </form></section>`
      : null
  }
<section><h2>Boards</h2>${
    boards.length === 0
      ? html`<p>No boards yet.</p>`
      : html`<table class="admin-table"><thead><tr><th>Board</th><th>Title</th><th>Rating</th><th></th><th></th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>`;
}
