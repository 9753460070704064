import type { ProbationView } from "../../../services/defederation/probation.js";
import { type Html, html } from "../../web/html.js";
import { actionForm, csrfField, type ViewContext } from "../views.js";
import { hiddenBack, tabs, when } from "./page-parts.js";

/** A host's probation as the admin API shows it: snake_case, ISO 8601 times. */
export function probationJson(p: ProbationView) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    domain: p.domain,
    on_probation: p.onProbation,
    first_seen_at: iso(p.firstSeenAt),
    since: iso(p.since),
    until: iso(p.until),
    ended_by: p.endedBy,
  };
}

/** The probation page: which hosts are on probation, since and until when, with vouch and put-back forms. */
export function probationView(v: ViewContext, list: ProbationView[], days: number, enabled: boolean): Html {
  const rows = list.map(
    (p) => html`<tr><td><code>${p.domain}</code></td><td>${when(p.since)}</td><td>${when(p.until)}</td>
<td>${actionForm(v, `/admin/domains/probation/${encodeURIComponent(p.domain)}/vouch`, "Vouch")}</td></tr>`,
  );
  return html`${tabs(v, "/admin/domains/probation")}
${
  enabled
    ? html`<p>A domain this instance never federated with before is on probation for ${days} days from when it first
appears: its media is not fetched, and its new threads wait in the held queue for a moderator (replies are taken).
Vouching for it ends its probation now.</p>`
    : html`<p class="admin-muted">Probation is off (PEER_PROBATION_DAYS=0, or allowlist mode, where every allowed domain
counts as vouched for).</p>`
}
<section><h2>On probation</h2>${
    list.length === 0
      ? html`<p>None.</p>`
      : html`<table class="admin-table"><thead><tr><th>Domain</th><th>Since</th><th>Until</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>
<section><h2>Vouch for a domain, or put it back on probation</h2>
<form method="post" action="/admin/domains/probation" class="admin-form">
  ${csrfField(v.csrf)}${hiddenBack(v)}
  <p><label>Domain <input name="domain" required maxlength="253" placeholder="example.org"></label></p>
  <p><label>Reason <input name="reason" maxlength="1000"></label></p>
  <p><button type="submit" name="action" value="vouch">Vouch</button>
  <button type="submit" name="action" value="restart">Put on probation</button></p>
</form></section>`;
}
