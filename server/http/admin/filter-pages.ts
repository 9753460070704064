import {
  FILTER_ACTIONS,
  FILTER_SCOPES,
  type FilterAuditEntry,
  type HeldPost,
  type WordFilter,
} from "../../domain/word-filters.js";
import type { Services } from "../../services/container.js";
import { type Html, html } from "../web/html.js";
import { type AdminPageKit, checked, type FormBody, field } from "./page-kit.js";
import { actionForm, csrfField, time, type ViewContext } from "./views.js";

/*
 * Word filters on the staff pages: the filters the user may manage (instance staff all, a board's
 * owner the board's), each editable in place, a form to add one, the local posts filters hold with
 * approve and reject, and the audit trail of changes.
 */

function options(values: readonly string[], selected: string): Html[] {
  return values.map((o) => html`<option value="${o}"${o === selected ? html` selected` : null}>${o}</option>`);
}

function filterForm(v: ViewContext, action: string, f: Partial<WordFilter>, submit: string): Html {
  return html`<form method="post" action="${action}" class="admin-inline filter-form">${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
  <label>Pattern <input name="pattern" required maxlength="500" value="${f.pattern ?? ""}"></label>
  <label><input type="checkbox" name="regex"${f.regex ? html` checked` : null}> Regular expression</label>
  <label>Board <input name="board" maxlength="16" placeholder="all boards" value="${f.board ?? ""}"></label>
  <label>Action <select name="action">${options(FILTER_ACTIONS, f.action ?? "reject")}</select></label>
  <label>Replacement <input name="replacement" maxlength="100" placeholder="[filtered]" value="${f.replacement ?? ""}"></label>
  <label>Scope <select name="scope">${options(FILTER_SCOPES, f.scope ?? "both")}</select></label>
  <button type="submit">${submit}</button></form>`;
}

function filtersView(v: ViewContext, filters: WordFilter[], held: HeldPost[], audit: FilterAuditEntry[]): Html {
  return html`<h2>Held posts</h2>
${
  held.length === 0
    ? html`<p>No local post waits for a moderator.</p>`
    : html`<table class="admin-table"><thead><tr><th>Board</th><th>Thread</th><th>Post</th><th>Reason</th><th>Held</th><th></th></tr></thead>
<tbody>${held.map(
        (h) => html`<tr><td>/${h.board}/</td><td>${h.threadNo === null ? "new thread" : `No. ${h.threadNo}`}</td>
<td>${h.post.subject ? html`<strong>${h.post.subject}</strong> ` : null}${h.post.comment.slice(0, 300)}${h.post.file ? html` <em>(with a file)</em>` : null}</td>
<td>${h.reason}</td><td>${time(h.heldAt)}</td>
<td>${actionForm(v, "/admin/held-posts/approve", "Approve", { id: h.id })} ${actionForm(v, "/admin/held-posts/reject", "Reject", { id: h.id }, "danger")}</td></tr>`,
      )}</tbody></table>`
}
<h2>Filters</h2>
<p>Words match whole words after folding case, accents, look-alike letters, zero-width characters and
leetspeak; regular expressions (RE2 syntax) match the folded text, without leetspeak folding.</p>
${
  filters.length === 0
    ? html`<p>No filter you manage.</p>`
    : html`<ul class="admin-list">${filters.map(
        (f) =>
          html`<li>${filterForm(v, `/admin/filters/${f.id}`, f, "Save")} ${actionForm(v, `/admin/filters/${f.id}/delete`, "Remove", {}, "danger")}</li>`,
      )}</ul>`
}
<h3>Add a filter</h3>
${filterForm(v, "/admin/filters", {}, "Add")}
<h2>Changes</h2>
${
  audit.length === 0
    ? html`<p>No change yet.</p>`
    : html`<table class="admin-table"><thead><tr><th>When</th><th>Who</th><th>Change</th><th>Filter</th></tr></thead>
<tbody>${audit.map(
        (e) => html`<tr><td>${time(e.at)}</td><td>${e.by}</td><td>${e.action}</td>
<td><code>${e.filter.pattern}</code> ${e.filter.regex ? "(regex) " : ""}${e.filter.action}, ${e.filter.scope}, ${e.filter.board === null ? "all boards" : `/${e.filter.board}/`}</td></tr>`,
      )}</tbody></table>`
}`;
}

/** The filter members of a staff form: an empty board is every board, an unticked box no regex. */
function formInput(body: FormBody) {
  const board = field(body, "board")?.trim();
  const replacement = field(body, "replacement");
  return {
    pattern: field(body, "pattern"),
    regex: checked(body, "regex"),
    board: board ? board : null,
    action: field(body, "action"),
    replacement: replacement ? replacement : null,
    scope: field(body, "scope"),
  };
}

export function filterPages(s: Pick<Services, "wordFilters" | "heldPosts">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/filters", { needs: "staff" }, async (req, res, v) => {
    const [filters, held, audit] = await Promise.all([
      s.wordFilters.list(v.user),
      s.heldPosts.list(v.user),
      s.wordFilters.auditTrail(v.user, 50),
    ]);
    render(req, res, v, "Word filters", filtersView(v, filters, held, audit));
  });

  post("/admin/filters", { needs: "staff" }, async (_req, res, v, body) => {
    await s.wordFilters.create(v.user, formInput(body));
    back(res, v, "filter_added");
  });

  post("/admin/filters/:id", { needs: "staff" }, async (req, res, v, body) => {
    await s.wordFilters.update(v.user, String(req.params["id"]), formInput(body));
    back(res, v, "filter_saved");
  });

  post("/admin/filters/:id/delete", { needs: "staff" }, async (req, res, v) => {
    await s.wordFilters.remove(v.user, String(req.params["id"]));
    back(res, v, "filter_removed");
  });

  post("/admin/held-posts/approve", { needs: "staff" }, async (_req, res, v, body) => {
    await s.heldPosts.approve(v.user, field(body, "id") ?? "");
    back(res, v, "held_approved");
  });

  post("/admin/held-posts/reject", { needs: "staff" }, async (_req, res, v, body) => {
    await s.heldPosts.reject(v.user, field(body, "id") ?? "");
    back(res, v, "held_rejected");
  });
}
