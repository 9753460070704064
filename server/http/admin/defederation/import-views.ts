import type { ImportPreview, ImportResult } from "../../../services/defederation/types.js";
import { type Html, html } from "../../web/html.js";
import { csrfField, type ViewContext } from "../views.js";
import { flagsOf, plural, tabs } from "./page-parts.js";

/* The pages of a CSV import: the form, the preview to confirm, and the result. */

const PREVIEW_ROWS = 500;

export function importFormView(v: ViewContext): Html {
  return html`${tabs(v, "/admin/domains/import")}
<p>Import a list in Mastodon's CSV format (its Moderation › Federation export), with the header
<code>#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate</code>. Nothing changes until you
confirm the preview. An import adds and tightens rules; it never removes or relaxes one.</p>
<form method="post" action="/admin/domains/import/preview" enctype="multipart/form-data" class="admin-form">
  ${csrfField(v.csrf)}
  <p><label>CSV file <input type="file" name="file" accept=".csv,text/csv,text/plain"></label></p>
  <p><label>or paste it <textarea name="csv" rows="10"></textarea></label></p>
  <p><button type="submit">Preview</button></p>
</form>`;
}

function capped<T>(items: readonly T[], row: (item: T) => Html): Html {
  const more = items.length - PREVIEW_ROWS;
  return html`${items.slice(0, PREVIEW_ROWS).map(row)}${
    more > 0 ? html`<tr><td colspan="4">and ${more} more</td></tr>` : null
  }`;
}

function importSummary(p: ImportPreview): Html {
  return html`<ul>
<li>${plural(p.create.length, "new rule")}</li>
<li>${plural(p.update.length, "rule")} made stricter</li>
<li>${p.unchanged} already the same</li>
<li>${p.skippedCovered.length} skipped: already covered by a rule at least as strict</li>
<li>${plural(p.errors.length, "line")} with errors</li>
<li>${plural(
    p.severs.reduce((n, x) => n + x.follows, 0),
    "follow",
  )} to be severed</li>
</ul>`;
}

function importTables(p: ImportPreview): Html {
  const creates = p.create.length
    ? html`<h3>New rules</h3><table class="admin-table"><thead><tr><th>Domain</th><th>Severity</th><th>Flags</th><th>Public reason</th></tr></thead>
<tbody>${capped(p.create, (e) => html`<tr><td><code>${e.domain}</code></td><td>${e.severity}</td><td>${flagsOf(e)}</td><td>${e.publicComment}</td></tr>`)}</tbody></table>`
    : null;
  const updates = p.update.length
    ? html`<h3>Made stricter</h3><table class="admin-table"><thead><tr><th>Domain</th><th>Now</th><th>After</th><th>Flags after</th></tr></thead>
<tbody>${capped(p.update, (u) => html`<tr><td><code>${u.before.domain}</code></td><td>${u.before.severity}</td><td>${u.after.severity}</td><td>${flagsOf(u.after)}</td></tr>`)}</tbody></table>`
    : null;
  const severs = p.severs.length
    ? html`<h3>Follows that will be severed</h3><table class="admin-table"><thead><tr><th>Domain</th><th>Follows</th></tr></thead>
<tbody>${capped(p.severs, (x) => html`<tr><td><code>${x.domain}</code></td><td>${x.follows}</td></tr>`)}</tbody></table>`
    : null;
  const errors = p.errors.length
    ? html`<h3>Lines with errors</h3><table class="admin-table"><thead><tr><th>Line</th><th>Problem</th></tr></thead>
<tbody>${capped(p.errors, (e) => html`<tr><td>${e.line === 0 ? "" : e.line}</td><td>${e.message}</td></tr>`)}</tbody></table>`
    : null;
  const skipped = p.skippedCovered.length
    ? html`<h3>Skipped (already covered)</h3><p>${p.skippedCovered.slice(0, PREVIEW_ROWS).join(", ")}${
        p.skippedCovered.length > PREVIEW_ROWS ? ` and ${p.skippedCovered.length - PREVIEW_ROWS} more` : ""
      }</p>`
    : null;
  return html`${severs}${creates}${updates}${errors}${skipped}`;
}

export function importPreviewView(v: ViewContext, p: ImportPreview, csv: string): Html {
  const changes = p.create.length + p.update.length;
  return html`${tabs(v, "/admin/domains/import")}
<h2>Preview</h2>
${importSummary(p)}
${
  changes === 0
    ? html`<p>Nothing to change. <a href="/admin/domains/import">Import another list</a></p>`
    : html`<form method="post" action="/admin/domains/import" enctype="multipart/form-data" class="admin-form">
  ${csrfField(v.csrf)}
  <textarea name="csv" hidden>${csv}</textarea>
  <p><button type="submit">Apply ${plural(changes, "change")}</button> <a href="/admin/domains/import">Cancel</a></p>
</form>`
}
${importTables(p)}`;
}

export function importResultView(v: ViewContext, r: ImportResult): Html {
  return html`${tabs(v, "/admin/domains/import")}
<p class="admin-notice" role="status">Imported: ${plural(r.applied, "change")} applied.</p>
${importSummary(r)}
${importTables(r)}
<p><a href="/admin/domains">Back to the rules</a></p>`;
}
