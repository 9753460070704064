import type { Request, RequestHandler, Response } from "express";
import multer from "multer";
import { isBoardUri } from "../../domain/board.js";
import { type BoardDomainRule, type DomainAllow, type DomainBlock, SEVERITIES } from "../../domain/domain-policy.js";
import type { AuditActor, AuditEntry, BlocklistSubscription, ConsensusSettings } from "../../domain/domain-ports.js";
import { BLOCKLIST_FORMATS } from "../../domain/domain-ports.js";
import { DomainError } from "../../domain/errors.js";
import { can, type StaffUser } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import type { BlockPatch, ImportPreview, ImportResult } from "../../services/domain-moderation-types.js";
import { type Html, html } from "../web/html.js";
import { ADMIN_PATH, staffUser } from "./auth.js";
import { expiryField, type Fields, severityField } from "./domain-fields.js";
import { auditCsv } from "./domain-representations.js";
import { MAX_IMPORT_BYTES } from "./domains.js";
import { actionForm, csrfField, type ViewContext } from "./views.js";

/*
 * The staff pages of domain moderation, under /admin/domains (admins) and /admin/boards/:uri/domains
 * (a board's own rules, for its owners too). Plain forms and redirects, as the other admin pages:
 * they work without JavaScript, and every form carries the session's CSRF token.
 */

export type FormBody = Record<string, string | string[] | undefined>;
export type PageAction = (req: Request, res: Response, v: ViewContext, body: FormBody) => Promise<void>;

/** What the admin pages router lends these pages: its session and CSRF handling, its frame. */
export interface AdminPageKit {
  /** A signed-in GET page. */
  page(path: string, action: PageAction): void;
  /** A signed-in, CSRF-checked form POST (URL-encoded). */
  post(path: string, action: PageAction): void;
  /** The same, with other body parsers first (for uploads). */
  postWith(path: string, parsers: RequestHandler[], action: PageAction): void;
  render(req: Request, res: Response, v: ViewContext, heading: string, body: Html, status?: number): void;
  /** Redirects to the form's `back` (or `to`) with a notice. */
  back(res: Response, v: ViewContext, notice: string, to?: string): void;
}

const PAGE_SIZE = 100;
const PREVIEW_ROWS = 500;
const AUDIT_PAGE = 50;

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

function field(body: FormBody, name: string): string | undefined {
  const v = body[name];
  return Array.isArray(v) ? v[0] : v;
}

const checked = (body: FormBody, name: string) => {
  const v = field(body, name);
  return v !== undefined && v !== "";
};

function actorOf(user: StaffUser): AuditActor {
  return { kind: "user", id: user.username };
}

function requireAdmin(user: StaffUser): void {
  if (!can(user, "manage_instance", null)) throw new DomainError("forbidden", "Only admins manage domain rules.");
}

function when(ms: number | null): Html {
  if (ms === null) return html`never`;
  const d = new Date(ms);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace("T", " ").slice(0, 16)} UTC</time>`;
}

/** A time as a datetime-local field shows it (UTC, to the minute). */
function localValue(ms: number | null): string {
  return ms === null ? "" : new Date(ms).toISOString().slice(0, 16);
}

function hiddenBack(v: ViewContext, to = v.path): Html {
  return html`<input type="hidden" name="back" value="${to}">`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Sub-navigation of the domain pages. */
function tabs(v: ViewContext, current: string): Html {
  const links: Array<[string, string]> = [
    ["/admin/domains", "Blocked domains"],
    ["/admin/domains/allows", "Allowed domains"],
    ["/admin/domains/import", "Import"],
    ["/admin/domains/subscriptions", "Subscriptions"],
    ["/admin/domains/audit", "Audit log"],
  ];
  const mode =
    v.s.policy.mode === "allowlist"
      ? html`<p class="admin-notice">Allowlist mode: this instance federates only with allowed domains; blocks limit them further.</p>`
      : null;
  return html`<nav aria-label="Domain moderation"><p>${links.map(
    ([href, label], i) =>
      html`${i > 0 ? " · " : ""}<a href="${href}"${href === current ? html` aria-current="page"` : null}>${label}</a>`,
  )} · <a href="/admin/domains/export.csv">Export CSV</a></p></nav>${mode}`;
}

// ---------------------------------------------------------------------------------- block forms

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

/**
 * A block form as the service's patch. Every field is posted (an unticked box is false); an expiry
 * left as the form showed it keeps the stored one, to the millisecond.
 */
function blockPatchFrom(body: FormBody, now: number, current: DomainBlock | null): BlockPatch {
  const fields: Fields = {
    severity: field(body, "severity") ?? "",
    expires_at: (field(body, "expires_at") ?? "").trim(),
    expires_in: (field(body, "expires_in") ?? "").trim(),
  };
  const patch: BlockPatch = {
    rejectMedia: checked(body, "reject_media"),
    rejectReports: checked(body, "reject_reports"),
    obfuscate: checked(body, "obfuscate"),
    publicComment: field(body, "public_comment") ?? "",
    privateComment: field(body, "private_comment") ?? "",
    evidenceUrl: (field(body, "evidence_url") ?? "").trim() || null,
  };
  const severity = severityField(fields);
  if (severity !== undefined) patch.severity = severity;
  const unchanged =
    current !== null && fields["expires_in"] === "" && fields["expires_at"] === localValue(current.expiresAt);
  if (!unchanged) {
    const expiry = expiryField(fields, now);
    patch.expiresAt = expiry ?? null;
  }
  return patch;
}

function flagsOf(b: { rejectMedia: boolean; rejectReports?: boolean; obfuscate?: boolean }): string {
  const flags: string[] = [];
  if (b.rejectMedia) flags.push("reject media");
  if (b.rejectReports) flags.push("reject reports");
  if (b.obfuscate) flags.push("obfuscated");
  return flags.join(", ");
}

function severityCell(v: ViewContext, b: DomainBlock): Html {
  if (b.stagedSeverity === null) return html`${b.severity}`;
  return html`${b.severity} <span class="admin-tag">staged: ${b.stagedSeverity}</span>
${actionForm(v, `/admin/domains/blocks/${encodeURIComponent(b.id)}/confirm`, `Raise to ${b.stagedSeverity}`)}`;
}

function blocksView(
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

function blockEditView(v: ViewContext, b: DomainBlock): Html {
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

// --------------------------------------------------------------------------------------- allows

function allowsView(v: ViewContext, allows: DomainAllow[]): Html {
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

// --------------------------------------------------------------------------------------- import

function importFormView(v: ViewContext): Html {
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

function importPreviewView(v: ViewContext, p: ImportPreview, csv: string): Html {
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

function importResultView(v: ViewContext, r: ImportResult): Html {
  return html`${tabs(v, "/admin/domains/import")}
<p class="admin-notice" role="status">Imported: ${plural(r.applied, "change")} applied.</p>
${importSummary(r)}
${importTables(r)}
<p><a href="/admin/domains">Back to the rules</a></p>`;
}

// -------------------------------------------------------------------------------- subscriptions

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

function subscriptionsView(v: ViewContext, subs: BlocklistSubscription[], consensus: ConsensusSettings): Html {
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

// ---------------------------------------------------------------------------------------- audit

function auditView(v: ViewContext, entries: AuditEntry[], opts: { domain: string; next: string | null }): Html {
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

// ---------------------------------------------------------------------------------- board rules

function boardRulesView(v: ViewContext, board: string, rules: BoardDomainRule[]): Html {
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

// --------------------------------------------------------------------------------------- routes

/** Only signed-in staff get their uploads read; anyone else goes to the sign-in page first. */
const signedInFirst: RequestHandler = (_req, res, next) => {
  if (staffUser(res)) next();
  else res.redirect(303, ADMIN_PATH);
};

/** A pasted or uploaded list: the file when one was chosen, else the text field. */
function csvOf(req: Request, body: FormBody): string {
  const file = req.file;
  const text = file && file.buffer.length > 0 ? file.buffer.toString("utf8") : (field(body, "csv") ?? "");
  if (text.trim() === "") throw new DomainError("invalid", "Choose a CSV file or paste the list.");
  return text;
}

function pageParam(req: Request): number {
  const v = req.query["page"];
  return typeof v === "string" && /^[1-9][0-9]{0,6}$/.test(v) ? Number(v) : 1;
}

/** Registers the domain moderation pages on the admin router. */
export function domainPages(s: Services, kit: AdminPageKit): void {
  const { page, post, postWith, render, back } = kit;
  const upload = multer({
    storage: multer.memoryStorage(),
    // A pasted list comes back with CRLF line ends, so the field may be a little larger than the file.
    limits: { fileSize: MAX_IMPORT_BYTES, fieldSize: 2 * MAX_IMPORT_BYTES, files: 1, fields: 10, parts: 12 },
  }).single("file");

  const boardOf = (req: Request, user: StaffUser): string => {
    const uri = String(req.params["uri"]);
    if (!isBoardUri(uri)) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    if (!can(user, "manage_board", uri)) throw new DomainError("forbidden", "Your role does not allow this.");
    return uri;
  };

  // Blocks.
  page("/admin/domains", async (req, res, v) => {
    requireAdmin(v.user);
    const q = typeof req.query["q"] === "string" ? req.query["q"].trim().toLowerCase().slice(0, 253) : "";
    const all = await s.domains.listBlocks();
    const matching = q ? all.filter((b) => b.domain.includes(q)) : all;
    const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    const n = Math.min(pageParam(req), pages);
    const shown = matching.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE);
    render(
      req,
      res,
      v,
      "Domain rules",
      blocksView(v, shown, { q, page: n, total: matching.length, allTotal: all.length }),
    );
  });

  post("/admin/domains", async (_req, res, v, body) => {
    requireAdmin(v.user);
    const patch = blockPatchFrom(body, s.clock(), null);
    await s.domains.createBlock({ domain: (field(body, "domain") ?? "").trim(), ...patch }, actorOf(v.user));
    back(res, v, "domain_block_created");
  });

  page("/admin/domains/export.csv", async (_req, res, v) => {
    requireAdmin(v.user);
    res
      .type("text/csv; charset=utf-8")
      .setHeader("Content-Disposition", 'attachment; filename="domain_blocks.csv"')
      .send(await s.domains.exportCsv());
  });

  page("/admin/domains/blocks/:id", async (req, res, v) => {
    requireAdmin(v.user);
    const b = await s.domains.getBlock(String(req.params["id"]));
    render(req, res, v, `Rule on ${b.domain}`, blockEditView(v, b));
  });

  post("/admin/domains/blocks/:id", async (req, res, v, body) => {
    requireAdmin(v.user);
    const id = String(req.params["id"]);
    const current = await s.domains.getBlock(id);
    await s.domains.updateBlock(id, blockPatchFrom(body, s.clock(), current), actorOf(v.user));
    back(res, v, "domain_block_saved");
  });

  post("/admin/domains/blocks/:id/delete", async (req, res, v) => {
    requireAdmin(v.user);
    await s.domains.deleteBlock(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_block_deleted");
  });

  post("/admin/domains/blocks/:id/confirm", async (req, res, v) => {
    requireAdmin(v.user);
    await s.domains.confirmStaged(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_block_confirmed");
  });

  // Allows.
  page("/admin/domains/allows", async (req, res, v) => {
    requireAdmin(v.user);
    render(req, res, v, "Allowed domains", allowsView(v, await s.domains.listAllows()));
  });

  post("/admin/domains/allows", async (_req, res, v, body) => {
    requireAdmin(v.user);
    await s.domains.createAllow(
      { domain: (field(body, "domain") ?? "").trim(), comment: field(body, "comment") ?? "" },
      actorOf(v.user),
    );
    back(res, v, "domain_allow_created");
  });

  post("/admin/domains/allows/:id/delete", async (req, res, v) => {
    requireAdmin(v.user);
    await s.domains.deleteAllow(String(req.params["id"]), actorOf(v.user));
    back(res, v, "domain_allow_deleted");
  });

  // Import: upload or paste, preview, confirm.
  page("/admin/domains/import", async (req, res, v) => {
    requireAdmin(v.user);
    render(req, res, v, "Import domain blocks", importFormView(v));
  });

  postWith("/admin/domains/import/preview", [signedInFirst, upload], async (req, res, v, body) => {
    requireAdmin(v.user);
    const csv = csvOf(req, body);
    const preview = await s.domains.previewImport(csv);
    render(req, res, { ...v, path: "/admin/domains/import" }, "Import preview", importPreviewView(v, preview, csv));
  });

  postWith("/admin/domains/import", [signedInFirst, upload], async (req, res, v, body) => {
    requireAdmin(v.user);
    const result = await s.domains.importCsv(csvOf(req, body), actorOf(v.user));
    render(req, res, { ...v, path: "/admin/domains/import" }, "Import done", importResultView(v, result));
  });

  // Subscriptions and consensus.
  page("/admin/domains/subscriptions", async (req, res, v) => {
    requireAdmin(v.user);
    const [subs, consensus] = await Promise.all([s.domains.listSubscriptions(), s.domains.consensus()]);
    render(req, res, v, "Blocklist subscriptions", subscriptionsView(v, subs, consensus));
  });

  post("/admin/domains/subscriptions", async (_req, res, v, body) => {
    requireAdmin(v.user);
    const priority = (field(body, "priority") ?? "").trim();
    if (priority !== "" && !/^-?[0-9]{1,7}$/.test(priority))
      throw new DomainError("invalid", "Priority: a whole number.");
    await s.domains.addSubscription(
      {
        url: (field(body, "url") ?? "").trim(),
        format: (field(body, "format") || "auto") as BlocklistSubscription["format"],
        priority: priority === "" ? 0 : Number(priority),
        excludes: (field(body, "excludes") ?? "").split(/[\s,]+/).filter((d) => d !== ""),
        draft: checked(body, "draft"),
      },
      actorOf(v.user),
    );
    back(res, v, "subscription_created");
  });

  post("/admin/domains/subscriptions/:id/sync", async (req, res, v) => {
    requireAdmin(v.user);
    const result = await s.domains.sync(String(req.params["id"]), actorOf(v.user));
    back(res, v, result.draft ? "subscription_synced_draft" : "subscription_synced");
  });

  post("/admin/domains/subscriptions/:id/apply", async (req, res, v) => {
    requireAdmin(v.user);
    await s.domains.applyDraft(String(req.params["id"]), actorOf(v.user));
    back(res, v, "subscription_applied");
  });

  post("/admin/domains/subscriptions/:id/draft", async (req, res, v, body) => {
    requireAdmin(v.user);
    await s.domains.updateSubscription(String(req.params["id"]), { draft: checked(body, "draft") }, actorOf(v.user));
    back(res, v, "subscription_saved");
  });

  post("/admin/domains/subscriptions/:id/delete", async (req, res, v) => {
    requireAdmin(v.user);
    await s.domains.removeSubscription(String(req.params["id"]), actorOf(v.user));
    back(res, v, "subscription_deleted");
  });

  post("/admin/domains/consensus", async (_req, res, v, body) => {
    requireAdmin(v.user);
    const min = (field(body, "min_sources") ?? "").trim();
    const share = (field(body, "min_share") ?? "").trim();
    if (!/^[0-9]{1,4}$/.test(min)) throw new DomainError("invalid", "The number of lists: a whole number from 1.");
    if (share !== "" && !/^(?:0?\.[0-9]{1,6}|1(?:\.0*)?|0)$/.test(share)) {
      throw new DomainError("invalid", "The share: a number from 0 to 1, such as 0.5.");
    }
    const merge = field(body, "merge");
    await s.domains.setConsensus(
      {
        minSources: Number(min),
        minShare: share === "" || Number(share) === 0 ? null : Number(share),
        merge: merge === "mildest" ? "mildest" : "strictest",
        stageWhileFollowed: checked(body, "stage_while_followed"),
      },
      actorOf(v.user),
    );
    back(res, v, "consensus_saved");
  });

  // Audit log.
  page("/admin/domains/audit", async (req, res, v) => {
    requireAdmin(v.user);
    const domain = typeof req.query["domain"] === "string" ? req.query["domain"].trim().slice(0, 253) : "";
    const before =
      typeof req.query["before"] === "string" && /^[A-Za-z0-9_-]{1,100}$/.test(req.query["before"])
        ? req.query["before"]
        : undefined;
    const entries = await s.domains.audit({
      limit: AUDIT_PAGE,
      ...(before !== undefined ? { before } : {}),
      ...(domain !== "" ? { domain } : {}),
    });
    const next = entries.length === AUDIT_PAGE ? (entries.at(-1)?.id ?? null) : null;
    render(req, res, v, "Domain audit log", auditView(v, entries, { domain, next }));
  });

  page("/admin/domains/audit.csv", async (_req, res, v) => {
    requireAdmin(v.user);
    res
      .type("text/csv; charset=utf-8")
      .setHeader("Content-Disposition", 'attachment; filename="domain_audit.csv"')
      .send(auditCsv(await s.domains.auditExport()));
  });

  // A board's own rules: its owners and the admins.
  page("/admin/boards/:uri/domains", async (req, res, v) => {
    const board = boardOf(req, v.user);
    await s.boards.get(board);
    render(req, res, v, `Domain rules of /${board}/`, boardRulesView(v, board, await s.domains.listBoardRules(board)));
  });

  post("/admin/boards/:uri/domains", async (req, res, v, body) => {
    const board = boardOf(req, v.user);
    await s.domains.createBoardRule(
      board,
      {
        domain: (field(body, "domain") ?? "").trim(),
        severity: (field(body, "severity") || "suspend") as BoardDomainRule["severity"],
        rejectMedia: checked(body, "reject_media"),
        comment: field(body, "comment") ?? "",
      },
      actorOf(v.user),
    );
    back(res, v, "board_rule_created");
  });

  post("/admin/boards/:uri/domains/:id/delete", async (req, res, v) => {
    const board = boardOf(req, v.user);
    await s.domains.deleteBoardRule(board, String(req.params["id"]), actorOf(v.user));
    back(res, v, "board_rule_deleted");
  });
}
