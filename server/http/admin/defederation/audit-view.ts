import type { AuditEntry } from "../../../domain/defederation-ports.js";
import { type Html, html } from "../../web/html.js";
import type { ViewContext } from "../views.js";
import { tabs, when } from "./page-parts.js";

/* The page of the domain audit log: newest first, filtered by domain, paged by entry id. */

export function auditView(v: ViewContext, entries: AuditEntry[], opts: { domain: string; next: string | null }): Html {
  const rows = entries.map(
    (e) => html`<tr>
  <td>${when(e.at)}</td>
  <td>${e.actor.kind}${e.actor.id ? html`: ${e.actor.id}` : null}</td>
  <td>${e.action}</td>
  <td>${e.domain ? html`<a href="/admin/domains/audit?domain=${encodeURIComponent(e.domain)}"><code>${e.domain}</code></a>` : null}</td>
  <td>${e.reason}</td>
  <td>${e.subscriptionId ?? ""}</td>
  <td>${
    e.before !== null || e.after !== null
      ? html`<details><summary>Details</summary><pre>${JSON.stringify({ before: e.before, after: e.after }, null, 1)}</pre></details>`
      : null
  }</td>
</tr>`,
  );
  const qs = (extra: Record<string, string>) => {
    const u = new URLSearchParams();
    if (opts.domain) u.set("domain", opts.domain);
    for (const [k, val] of Object.entries(extra)) u.set(k, val);
    const s = u.toString();
    return s ? `?${s}` : "";
  };
  return html`${tabs(v, "/admin/domains/audit")}
<form method="get" action="/admin/domains/audit" class="admin-form">
  <p><label>Domain <input name="domain" maxlength="253" value="${opts.domain}"></label> <button type="submit">Filter</button>
  ${opts.domain ? html`<a href="/admin/domains/audit">All</a>` : null}</p>
</form>
<p>Newest first. <a href="/admin/domains/audit.csv">Download the whole log as CSV</a>.</p>
${
  entries.length === 0
    ? html`<p>No entries.</p>`
    : html`<table class="admin-table"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Domain</th><th>Reason</th><th>Subscription</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
}
${opts.next ? html`<p><a href="/admin/domains/audit${qs({ before: opts.next })}">Older entries</a></p>` : null}`;
}
