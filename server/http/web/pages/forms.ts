import { type Board, captchaNeeded } from "../../../domain/board.js";
import type { ThreadState } from "../../../domain/post.js";
import type { Services } from "../../../services/container.js";
import { fileSize } from "../format.js";
import { type Html, html } from "../html.js";

const TYPE_NAMES: Record<string, string> = {
  "image/jpeg": "JPG",
  "image/png": "PNG",
  "image/gif": "GIF",
  "image/webp": "WEBP",
  "video/webm": "WEBM",
  "video/mp4": "MP4",
};

function captchaRow(s: Pick<Services, "config">, board: Board, reply: boolean): Html {
  if (!captchaNeeded(board, s.config.captcha, reply ? "reply" : "thread")) return html``;
  return html`<div class="form-row captcha-row">
<label for="f-captcha">Captcha</label>
<div class="field">
<img class="captcha" src="/captcha.png" width="200" height="64" alt="Captcha: type the characters shown">
<input id="f-captcha" name="captcha_answer" required autocomplete="off" autocapitalize="off" autocorrect="off" spellcheck="false" maxlength="32" placeholder="Type the characters above">
</div>
</div>`;
}

/**
 * The new-thread form (no `thread`) or the reply form of a thread. The same for every reader: the
 * captcha image and the deletion password cookie are per reader and arrive outside the page.
 */
export function postForm(s: Pick<Services, "config">, board: Board, thread?: ThreadState): Html {
  const set = board.settings;
  const reply = thread !== undefined;
  if (!reply && set.postingRestrictedToMods) {
    return html`<p class="staff-only-notice">Only staff start threads on /${board.uri}/; anyone may reply to a thread.
Staff start one from <a href="/admin/boards/${board.uri}/thread">the staff pages</a>.</p>`;
  }
  const action = reply ? `/${board.uri}/thread/${thread.no}/reply` : `/${board.uri}/post`;
  const needsFile = !reply && set.requireImageForThread;
  const types = set.allowedTypes.map((t) => TYPE_NAMES[t] ?? t).join(", ");
  return html`<form class="post-form" id="post-form" method="post" action="${action}" enctype="multipart/form-data">
<h2 class="form-title">${reply ? "Reply to this thread" : "Start a new thread"}</h2>
${
  set.forcedAnon
    ? ""
    : html`<div class="form-row"><label for="f-name">Name</label><div class="field"><input id="f-name" name="name" maxlength="100" placeholder="${set.defaultName}" autocomplete="off"></div></div>`
}
<div class="form-row"><label for="f-email">Options</label><div class="field"><input id="f-email" name="email" maxlength="100" placeholder="${reply ? "sage, nonoko" : "nonoko"}" autocomplete="off"></div></div>
${reply ? "" : html`<div class="form-row"><label for="f-sub">Subject</label><div class="field"><input id="f-sub" name="sub" maxlength="100" autocomplete="off"></div></div>`}
<div class="form-row"><label for="f-com">Comment</label><div class="field"><textarea id="f-com" name="com" rows="5" maxlength="${set.maxCommentLength}"></textarea></div></div>
<div class="form-row"><label for="f-file">File${needsFile ? html` <abbr title="required">*</abbr>` : ""}</label><div class="field">
<input id="f-file" type="file" name="file" accept="${set.allowedTypes.join(",")}"${set.maxFiles > 1 ? html` multiple` : ""}${needsFile ? html` required` : ""}>
<label class="inline"><input type="checkbox" name="spoiler" value="on"> Spoiler</label>
</div></div>
<div class="form-row"><label for="f-password">Password</label><div class="field"><input id="f-password" type="password" name="password" maxlength="128" autocomplete="off" placeholder="Optional: for deleting the post"></div></div>
${captchaRow(s, board, reply)}
<div class="form-row submit-row"><span></span><div class="field"><button type="submit">${reply ? "Post reply" : "Create thread"}</button></div></div>
<ul class="form-rules">
<li>${types} up to ${fileSize(set.maxFileSize)}${set.maxFiles > 1 ? ` each, ${set.maxFiles} files at most` : ""}.${needsFile ? " A new thread needs an image." : ""}</li>
<li>Markup: <code>&gt;</code> greentext, <code>&gt;&gt;123</code> quotes, <code>[spoiler]…[/spoiler]</code>, <code>[code]…[/code]</code>.</li>
<li>Leave the password empty to use the one this browser remembers. Read the <a href="/about/moderation">rules</a>.</li>
</ul>
</form>`;
}

/**
 * The new-thread form at the top of the index and the catalog, folded behind "[Start a New Thread]"
 * as on 4chan. A `<details>`, so it opens without JavaScript.
 */
export function newThreadBox(s: Pick<Services, "config">, board: Board): Html {
  return html`<details class="form-box top-form" id="new-thread"><summary>[Start a New Thread]</summary>${postForm(s, board)}</details>`;
}

/**
 * The bar under the posts: delete the checked posts with a password, or report them. The reason is a
 * one-line textarea because Enter in a text input would submit the form's first button, Delete.
 */
export function postActions(board: Board): Html {
  return html`<div class="post-actions" id="actions">
<fieldset>
<legend>Delete the selected posts</legend>
<input type="password" name="password" maxlength="128" autocomplete="off" placeholder="Password" aria-label="Deletion password (leave empty to use the one this browser remembers)" title="Leave empty to use the password this browser remembers">
<label class="inline"><input type="checkbox" name="file_only" value="on"> File only</label>
<button type="submit">Delete</button>
</fieldset>
<fieldset>
<legend>Report the selected posts</legend>
<select name="category" aria-label="What kind of problem">
<option value="">Kind (optional)</option>
<option value="spam">Spam</option>
<option value="illegal">Illegal content</option>
<option value="rule">Breaks a board rule</option>
<option value="other">Other</option>
</select>
<textarea class="one-line" name="reason" rows="1" maxlength="200" placeholder="Reason" aria-label="Report reason: which rule the posts break" title="Which rule the posts break"></textarea>
<button type="submit" formaction="/${board.uri}/report">Report</button>
</fieldset>
</div>`;
}

/** The form that wraps the posts of a page, so their checkboxes feed the delete and report bar. */
export function postsForm(board: Board, content: Html): Html {
  return html`<form class="posts-form" id="posts" method="post" action="/${board.uri}/delete">
${content}
${postActions(board)}
</form>`;
}
