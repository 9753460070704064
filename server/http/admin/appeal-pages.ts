import type { Appeal } from "../../domain/appeal.js";
import { MAX_APPEAL_ANSWER } from "../../services/appeals.js";
import type { Services } from "../../services/container.js";
import { type Html, html } from "../web/html.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { csrfField, time, type ViewContext } from "./views.js";

/* Ban appeals: the open ones with a form to answer each, and those already answered. */

export function appealPages(s: Pick<Services, "appeals">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/appeals", { needs: "staff" }, async (req, res, v) => {
    render(req, res, v, "Appeals", appealsView(v, await s.appeals.list(v.user, { all: true })));
  });

  post("/admin/appeals/:id/accept", { needs: "staff" }, async (req, res, v, body) => {
    await s.appeals.accept(v.user, String(req.params["id"]), field(body, "reason") ?? "");
    back(res, v, "appeal_accepted");
  });

  post("/admin/appeals/:id/reject", { needs: "staff" }, async (req, res, v, body) => {
    await s.appeals.reject(v.user, String(req.params["id"]), field(body, "reason") ?? "");
    back(res, v, "appeal_rejected");
  });
}

function scope(a: Appeal): Html {
  return a.board === null ? html`all boards` : html`/${a.board}/`;
}

function answerForm(v: ViewContext, a: Appeal): Html {
  const id = encodeURIComponent(a.id);
  const form = (action: "accept" | "reject", label: string) =>
    html`<form method="post" action="/admin/appeals/${id}/${action}" class="admin-inline">
      ${csrfField(v.csrf)}<input type="hidden" name="back" value="${v.path}">
      <input name="reason" required maxlength="${String(MAX_APPEAL_ANSWER)}" placeholder="Answer the poster reads" aria-label="Answer to the poster">
      <button type="submit">${label}</button>
    </form>`;
  return html`${form("accept", "Accept and lift the ban")} ${form("reject", "Reject")}`;
}

function appealsView(v: ViewContext, appeals: Appeal[]): Html {
  const open = appeals.filter((a) => a.status === "open");
  const answered = appeals.filter((a) => a.status !== "open");
  return html`<section>
  <h2>Waiting for an answer</h2>
  ${
    open.length === 0
      ? html`<p>No appeals are waiting.</p>`
      : html`<table class="admin-table">
    <thead><tr><th>Received</th><th>Ban</th><th>Ban reason</th><th>Appeal</th><th>Answer</th></tr></thead>
    <tbody>${open.map(
      (a) => html`<tr>
      <td>${time(a.createdAt)}</td><td>${scope(a)}</td><td>${a.banReason}</td><td>${a.text}</td>
      <td>${answerForm(v, a)}</td>
    </tr>`,
    )}</tbody>
  </table>`
  }
</section>
<section>
  <h2>Answered</h2>
  ${
    answered.length === 0
      ? html`<p>None yet.</p>`
      : html`<table class="admin-table">
    <thead><tr><th>Received</th><th>Ban</th><th>Appeal</th><th>Outcome</th><th>Answer</th><th>By</th><th>When</th></tr></thead>
    <tbody>${answered.map(
      (a) => html`<tr>
      <td>${time(a.createdAt)}</td><td>${scope(a)}</td><td>${a.text}</td><td>${a.status}</td>
      <td>${a.decisionReason ?? ""}</td><td>${a.decidedBy ?? ""}</td><td>${time(a.decidedAt)}</td>
    </tr>`,
    )}</tbody>
  </table>`
  }
</section>`;
}
