import {
  type BoardDomainRule,
  type DomainAllow,
  type DomainBlock,
  SEVERITIES,
} from "../../../domain/defederation/rules.js";
import { type Html, html } from "../../web/html.js";
import { actionForm, csrfField, type ViewContext } from "../views.js";
import { flagsOf, hiddenBack, localValue, plural, tabs, when } from "./page-parts.js";

/* The pages of the rules themselves: blocked domains (list and edit), allowed domains, board rules. */

/** Rules shown per page of the blocked domains. */
export const PAGE_SIZE = 100;

const EXPIRY_CHOICES: ReadonlyArray<[string, string]> = [
  ["", "never"],
  ["86400", "1 day"],
  ["604800", "1 week"],
  ["2592000", "30 days"],
  ["7776000", "90 days"],
  ["31536000", "1 year"],
];

const SEVERITY_LABELS: Record<DomainBlock["severity"], string> = {
  suspend: "Suspend: exchange nothing",
  silence: "Silence: hide from listings, hold new threads",
  noop: "None: only the flags below",
};

/** The fields of a block form, for adding (with the domain) and editing. */
function blockFormFields(b: DomainBlock | null): Html {
  const sev = b?.severity ?? "suspend";
  const box = (name: string, label: string, on: boolean) =>
    html`<label><input type="checkbox" name="${name}" value="1"${on ? html` checked` : null}> ${label}</label> `;
  return html`<p><label>Severity <select name="severity">${SEVERITIES.map(
    (s) => html`<option value="${s}"${s === sev ? html` selected` : null}>${SEVERITY_LABELS[s]}</option>`,
  )}</select></label></p>
<fieldset><legend>Also</legend>
${box("reject_media", "Reject media (do not store their files)", b?.rejectMedia ?? false)}
${box("reject_reports", "Reject reports from them", b?.rejectReports ?? false)}
${box("obfuscate", "Mask the domain in the public list", b?.obfuscate ?? false)}
</fieldset>
<p><label>Public reason <input name="public_comment" maxlength="1000" value="${b?.publicComment ?? ""}"></label></p>
<p><label>Private note (staff only) <textarea name="private_comment" maxlength="1000" rows="2">${b?.privateComment ?? ""}</textarea></label></p>
<p><label>Expires at (UTC) <input type="datetime-local" name="expires_at" value="${localValue(b?.expiresAt ?? null)}"></label>
<label>or after <select name="expires_in">${EXPIRY_CHOICES.map(([val, label]) => html`<option value="${val}">${label}</option>`)}</select></label></p>
<p><label>Evidence (a link) <input type="url" name="evidence_url" maxlength="2048" value="${b?.evidenceUrl ?? ""}"></label></p>`;
}

function severityCell(v: ViewContext, b: DomainBlock): Html {
  if (b.stagedSeverity === null) return html`${b.severity}`;
  return html`${b.severity} <span class="admin-tag">staged: ${b.stagedSeverity}</span>
${actionForm(v, `/admin/domains/blocks/${encodeURIComponent(b.id)}/confirm`, `Raise to ${b.stagedSeverity}`)}`;
}

export function blocksView(
  v: ViewContext,
  blocks: DomainBlock[],
  opts: { q: string; page: number; total: number; allTotal: number },
): Html {
  const rows = blocks.map(
    (b) => html`<tr>
  <td><a href="/admin/domains/blocks/${encodeURIComponent(b.id)}"><code>${b.domain}</code></a></td>
  <td>${severityCell(v, b)}</td>
  <td>${flagsOf(b)}</td>
  <td>${b.publicComment}</td>
  <td>${b.privateComment}</td>
  <td>${b.origin}</td>
  <td>${b.expiresAt === null ? "never" : when(b.expiresAt)}</td>
  <td>${b.evidenceUrl ? html`<a href="${b.evidenceUrl}" rel="noreferrer noopener">link</a>` : null}</td>
  <td><a href="/admin/domains/blocks/${encodeURIComponent(b.id)}">Edit</a>
  ${actionForm(v, `/admin/domains/blocks/${encodeURIComponent(b.id)}/delete`, "Delete", {}, "danger")}</td>
</tr>`,
  );
  const pages = Math.max(1, Math.ceil(opts.total / PAGE_SIZE));
  const pageLink = (n: number, label: string) => {
    const u = new URLSearchParams();
    if (opts.q) u.set("q", opts.q);
    if (n > 1) u.set("page", String(n));
    const qs = u.toString();
    return html`<a href="/admin/domains${qs ? `?${qs}` : ""}">${label}</a>`;
  };
  const nav =
    pages > 1
      ? html`<p>Page ${opts.page} of ${pages}. ${opts.page > 1 ? pageLink(opts.page - 1, "Previous") : null} ${
          opts.page < pages ? pageLink(opts.page + 1, "Next") : null
        }</p>`
      : null;
  return html`${tabs(v, "/admin/domains")}
<section><h2>Block a domain</h2>
<form method="post" action="/admin/domains" class="admin-form">
  ${csrfField(v.csrf)}${hiddenBack(v)}
  <p><label>Domain <input name="domain" required maxlength="253" placeholder="example.org"></label></p>
  <p class="admin-muted">A rule covers the domain's subdomains too.</p>
  ${blockFormFields(null)}
  <p><button type="submit">Add block</button></p>
</form></section>
<section><h2>Blocked domains</h2>
<form method="get" action="/admin/domains" class="admin-form">
  <p><label>Find <input name="q" maxlength="253" value="${opts.q}"></label> <button type="submit">Filter</button></p>
</form>
<p>${plural(opts.allTotal, "rule")}${opts.q ? html`, ${opts.total} matching` : null}.</p>
${
  blocks.length === 0
    ? html`<p>No rules${opts.q ? " match" : " yet"}.</p>`
    : html`<table class="admin-table"><thead><tr><th>Domain</th><th>Severity</th><th>Flags</th><th>Public reason</th><th>Private note</th><th>Origin</th><th>Expires</th><th>Evidence</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`
}
${nav}</section>`;
}

export function blockEditView(v: ViewContext, b: DomainBlock): Html {
  return html`${tabs(v, "")}
<p>Created ${when(b.createdAt)}, last changed ${when(b.updatedAt)}; origin: ${b.origin}${
    b.origin === "subscription" ? " (saving makes it a manual rule, which syncs never retract)" : ""
  }.</p>
${b.stagedSeverity !== null ? html`<p>Staged: ${severityCell(v, b)}</p>` : null}
<form method="post" action="/admin/domains/blocks/${encodeURIComponent(b.id)}" class="admin-form">
  ${csrfField(v.csrf)}${hiddenBack(v, "/admin/domains")}
  ${blockFormFields(b)}
  <p class="admin-muted">Clear the expiry field (and leave "or after" on never) for a rule that never expires.</p>
  <p><button type="submit">Save</button></p>
</form>
${actionForm({ ...v, path: "/admin/domains" }, `/admin/domains/blocks/${encodeURIComponent(b.id)}/delete`, "Delete this rule", {}, "danger")}`;
}

export function allowsView(v: ViewContext, allows: DomainAllow[]): Html {
  const rows = allows.map(
    (a) => html`<tr><td><code>${a.domain}</code></td><td>${a.comment}</td><td>${when(a.createdAt)}</td>
<td>${actionForm(v, `/admin/domains/allows/${encodeURIComponent(a.id)}/delete`, "Remove", {}, "danger")}</td></tr>`,
  );
  return html`${tabs(v, "/admin/domains/allows")}
${
  v.s.policy.mode === "allowlist"
    ? html`<p>Only the domains below (and their subdomains) may federate with this instance.</p>`
    : html`<p class="admin-muted">The instance is in blocklist mode (FEDERATION_MODE=blocklist): these entries take effect
once it runs in allowlist mode.</p>`
}
<section><h2>Allow a domain</h2>
<form method="post" action="/admin/domains/allows" class="admin-form">
  ${csrfField(v.csrf)}${hiddenBack(v)}
  <p><label>Domain <input name="domain" required maxlength="253" placeholder="example.org"></label></p>
  <p><label>Note <input name="comment" maxlength="1000"></label></p>
  <p><button type="submit">Allow</button></p>
</form></section>
<section><h2>Allowed domains</h2>${
    allows.length === 0
      ? html`<p>None.</p>`
      : html`<table class="admin-table"><thead><tr><th>Domain</th><th>Note</th><th>Since</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>`;
}

export function boardRulesView(v: ViewContext, board: string, rules: BoardDomainRule[]): Html {
  const rows = rules.map(
    (
      r,
    ) => html`<tr><td><code>${r.domain}</code></td><td>${r.severity}</td><td>${r.rejectMedia ? "reject media" : ""}</td>
<td>${r.comment}</td><td>${when(r.createdAt)}</td>
<td>${actionForm(v, `/admin/boards/${board}/domains/${encodeURIComponent(r.id)}/delete`, "Delete", {}, "danger")}</td></tr>`,
  );
  return html`<p>Rules of /${board}/ on top of the instance's: they can only limit more. <a href="/admin/boards/${board}">Board settings</a></p>
<section><h2>Add a rule</h2>
<form method="post" action="/admin/boards/${board}/domains" class="admin-form">
  ${csrfField(v.csrf)}${hiddenBack(v)}
  <p><label>Domain <input name="domain" required maxlength="253" placeholder="example.org"></label></p>
  <p><label>Severity <select name="severity">
    <option value="suspend">Suspend: nothing from it on this board</option>
    <option value="silence">Silence: hide from listings, hold new threads</option>
  </select></label></p>
  <p><label><input type="checkbox" name="reject_media" value="1"> Reject media</label></p>
  <p><label>Note <input name="comment" maxlength="1000"></label></p>
  <p><button type="submit">Add rule</button></p>
</form></section>
<section><h2>Rules</h2>${
    rules.length === 0
      ? html`<p>No rules for this board.</p>`
      : html`<table class="admin-table"><thead><tr><th>Domain</th><th>Severity</th><th>Flags</th><th>Note</th><th>Since</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>`;
}
