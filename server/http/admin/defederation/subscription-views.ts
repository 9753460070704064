import {
  BLOCKLIST_FORMATS,
  type BlocklistSubscription,
  type ConsensusSettings,
} from "../../../domain/defederation-ports.js";
import { type Html, html } from "../../web/html.js";
import { actionForm, csrfField, type ViewContext } from "../views.js";
import { hiddenBack, tabs, when } from "./page-parts.js";

/* The page of blocklist subscriptions and the consensus they are merged by. */

function changeSummary(change: Record<string, unknown> | null): string {
  if (change === null) return "";
  const n = (k: string) => (typeof change[k] === "number" ? (change[k] as number) : 0);
  const parts = [`${n("created")} created`, `${n("updated")} updated`, `${n("removed")} removed`];
  if (n("staged") > 0) parts.push(`${n("staged")} staged`);
  if (n("errors") > 0) parts.push(`${n("errors")} lines skipped`);
  return `${change["draft"] === true ? "would change: " : ""}${parts.join(", ")}`;
}

function changedDomains(change: Record<string, unknown> | null): Html {
  const d = change?.["domains"];
  if (typeof d !== "object" || d === null) return html``;
  const lists = d as Record<string, unknown>;
  const part = (k: string) => {
    const list = Array.isArray(lists[k]) ? (lists[k] as unknown[]).map(String) : [];
    return list.length > 0 ? html`<li>${k}: ${list.slice(0, 50).join(", ")}${list.length > 50 ? " …" : ""}</li>` : null;
  };
  const items = [part("created"), part("updated"), part("removed")].filter((x) => x !== null);
  return items.length > 0 ? html`<details><summary>Domains</summary><ul>${items}</ul></details>` : html``;
}

export function subscriptionsView(v: ViewContext, subs: BlocklistSubscription[], consensus: ConsensusSettings): Html {
  const rows = subs.map((sub) => {
    const id = encodeURIComponent(sub.id);
    return html`<tr>
  <td><a href="${sub.url}" rel="noreferrer noopener">${sub.url}</a>${sub.draft ? html` <span class="admin-tag">draft</span>` : null}</td>
  <td>${sub.format}</td><td>${sub.priority}</td>
  <td>${sub.excludes.join(", ")}</td>
  <td>${sub.lastSyncAt === null ? "never" : when(sub.lastSyncAt)}</td>
  <td>${sub.lastStatus ?? ""}</td>
  <td>${changeSummary(sub.lastChange)}${changedDomains(sub.lastChange)}</td>
  <td>${actionForm(v, `/admin/domains/subscriptions/${id}/sync`, "Sync now")}
  ${sub.draft ? actionForm(v, `/admin/domains/subscriptions/${id}/apply`, "Apply draft") : null}
  ${actionForm(v, `/admin/domains/subscriptions/${id}/draft`, sub.draft ? "Make live" : "Make draft", { draft: sub.draft ? "" : "1" })}
  ${actionForm(v, `/admin/domains/subscriptions/${id}/delete`, "Delete", {}, "danger")}</td>
</tr>`;
  });
  return html`${tabs(v, "/admin/domains/subscriptions")}
<p>Subscribed blocklists are fetched periodically; the rules they carry together (see consensus) are kept in line
with them. Rules you made or edited by hand are never changed or retracted by a sync. A <strong>draft</strong>
subscription only records what it would change until you apply it.</p>
<section><h2>Subscribe to a list</h2>
<form method="post" action="/admin/domains/subscriptions" class="admin-form">
  ${csrfField(v.csrf)}${hiddenBack(v)}
  <p><label>URL <input type="url" name="url" required maxlength="2048" placeholder="https://example.org/blocklist.csv"></label></p>
  <p><label>Format <select name="format">${BLOCKLIST_FORMATS.map((f) => html`<option value="${f}">${f}</option>`)}</select></label>
  <label>Priority <input type="number" name="priority" value="0" step="1"></label></p>
  <p><label>Never block (domains, one per line) <textarea name="excludes" rows="3"></textarea></label></p>
  <p><label><input type="checkbox" name="draft" value="1" checked> Draft: show what it would change first</label></p>
  <p><button type="submit">Subscribe</button></p>
</form></section>
<section><h2>Subscriptions</h2>${
    subs.length === 0
      ? html`<p>No subscriptions.</p>`
      : html`<table class="admin-table"><thead><tr><th>List</th><th>Format</th><th>Priority</th><th>Excludes</th><th>Last sync</th><th>Status</th><th>Last change</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
  }</section>
<section><h2>Consensus</h2>
<form method="post" action="/admin/domains/consensus" class="admin-form">
  ${csrfField(v.csrf)}${hiddenBack(v)}
  <p><label>Block when at least this many lists carry a domain <input type="number" name="min_sources" min="1" step="1" required value="${String(consensus.minSources)}"></label></p>
  <p><label>or at least this share of the lists (0 to 1, empty for none) <input name="min_share" inputmode="decimal" value="${consensus.minShare === null ? "" : String(consensus.minShare)}"></label></p>
  <p><label>When lists disagree, use the <select name="merge">
    <option value="strictest"${consensus.merge === "strictest" ? html` selected` : null}>strictest</option>
    <option value="mildest"${consensus.merge === "mildest" ? html` selected` : null}>mildest</option>
  </select> severity</label></p>
  <p><label><input type="checkbox" name="stage_while_followed" value="1"${consensus.stageWhileFollowed ? html` checked` : null}> Stage a new suspension as a silence while local follows with the domain exist</label></p>
  <p><button type="submit">Save consensus</button></p>
</form></section>`;
}
