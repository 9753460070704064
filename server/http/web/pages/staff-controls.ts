import { filesOf, type Post, type PostFile, type ThreadState } from "../../../domain/post.js";
import type { Role } from "../../../domain/staff.js";
import { type Html, html } from "../html.js";

/*
 * The moderation controls a signed-in moderator sees on each post of a board they moderate: plain
 * forms posting to the staff endpoints under /admin, each answered with a redirect back to the page
 * (`back`), so they work without scripts. Inside a closed <details>, they stay out of the way until
 * opened. Only the uncached staff variant of a page carries them (../staff-view.ts).
 */

/** What every control form carries: the session's form token and the page to come back to. */
export interface ControlContext {
  csrf: string;
  /** The page the controls are on (site-relative path). */
  back: string;
  board: string;
}

/** Ban lengths offered inline, in seconds ("" is permanent), as the ban page offers them. */
const BAN_LENGTHS: ReadonlyArray<[string, string]> = [
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["604800", "1 week"],
  ["2592000", "30 days"],
  ["", "Permanent"],
];

function hidden(ctx: ControlContext, back: string, extra: Record<string, string>): Html {
  const fields = { csrf: ctx.csrf, back, board: ctx.board, ...extra };
  return html`${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;
}

function flagForm(ctx: ControlContext, state: ThreadState, change: Partial<ThreadState>, label: string): Html {
  const next = { sticky: state.sticky, locked: state.locked, archived: state.archived, ...change };
  const flags: Record<string, string> = { no: String(state.no) };
  if (next.sticky) flags["sticky"] = "on";
  if (next.locked) flags["locked"] = "on";
  if (next.archived) flags["archived"] = "on";
  return html`<form method="post" action="/admin/threads/flags">${hidden(ctx, ctx.back, flags)}<button type="submit">${label}</button></form>`;
}

/** With several files, which one a file action takes (all of them unless one is chosen). */
function fileChoice(files: readonly PostFile[]): Html {
  if (files.length < 2) return html``;
  return html`<select name="tim" aria-label="Which file"><option value="">all files</option>${files.map(
    (f, i) => html`<option value="${String(f.tim)}">file ${String(i + 1)}: ${f.filename}${f.ext}</option>`,
  )}</select>`;
}

/** The controls of one post. `state` is its thread's; the thread's own flags are offered on the OP only. */
export function postControls(ctx: ControlContext, post: Post, state: ThreadState): Html {
  const op = post.no === post.threadNo;
  const no = String(post.no);
  // Deleting an OP removes its thread: the board index is then the page to come back to.
  const afterDelete = op ? `/${ctx.board}/` : ctx.back;
  const files = post.fileDeleted ? [] : filesOf(post);
  const remote = post.fediActor !== null;
  return html`<details class="staff-controls" data-no="${no}"><summary title="Staff controls for No. ${no}">Mod</summary>
<div class="staff-controls-body">
<form method="post" action="/admin/posts/delete">${hidden(ctx, afterDelete, { no })}<button type="submit" class="staff-delete">Delete</button></form>
${
  files.length > 0
    ? html`<form method="post" action="/admin/posts/delete">${hidden(ctx, ctx.back, { no, file_only: "on" })}${fileChoice(files)}<button type="submit" class="staff-delete-file">Delete file</button></form>
<form method="post" action="/admin/media-bans/post">${hidden(ctx, ctx.back, { no })}${fileChoice(files)}<input name="reason" maxlength="500" required placeholder="Reason (public)" aria-label="Reason for banning the file"><button type="submit" class="staff-ban-file">Delete and ban file</button></form>`
    : ""
}
<form method="post" action="/admin/bans" class="staff-ban">${hidden(ctx, afterDelete, { post: `${ctx.board}/${no}` })}
<input name="reason" maxlength="500" required placeholder="Ban reason" aria-label="Ban reason">
<select name="duration" aria-label="Ban length">${BAN_LENGTHS.map(([v, label]) => html`<option value="${v}">${label}</option>`)}</select>
<label class="inline"><input type="checkbox" name="delete_post" value="on"> and delete</label>
<button type="submit">${remote ? "Ban account" : "Ban"}</button></form>
${
  op
    ? html`${flagForm(ctx, state, { sticky: !state.sticky }, state.sticky ? "Unsticky" : "Sticky")}
${flagForm(ctx, state, { locked: !state.locked }, state.locked ? "Unlock" : "Lock")}
${state.archived ? "" : flagForm(ctx, state, { archived: true }, "Move to archive")}`
    : ""
}
</div>
</details>`;
}

/** The capcodes a role may post with, as the value posted and the label shown. */
export function capcodesFor(role: Role): Array<[string, string]> {
  switch (role) {
    case "admin":
      return [
        ["admin", "## Admin"],
        ["mod", "## Mod"],
      ];
    case "global_mod":
      return [["mod", "## Mod"]];
    case "board_owner":
      return [
        ["board owner", "## Board owner"],
        ["mod", "## Mod"],
      ];
    case "board_volunteer":
      return [["mod", "## Mod"]];
  }
}

/** The capcode choice added to a staff member's post form. */
export function capcodeRow(role: Role): Html {
  return html`<div class="form-row capcode-row"><label for="f-capcode">Capcode</label><div class="field"><select id="f-capcode" name="capcode"><option value="">None</option>${capcodesFor(
    role,
  ).map(([v, label]) => html`<option value="${v}">${label}</option>`)}</select></div></div>`;
}
