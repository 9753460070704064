import type { AuditActor } from "../../../domain/defederation-ports.js";
import type { StaffUser } from "../../../domain/staff.js";
import { type Html, html } from "../../web/html.js";
import { type FormBody, field } from "../page-kit.js";
import type { ViewContext } from "../views.js";
import type { Fields } from "./fields.js";

/* What the defederation pages share: form fields, the audit actor, times, counts, the tabs. */

/**
 * A form's fields as the browser posts them, for the shared field reader (./fields.ts):
 * each named field's value, and an empty one for a field left out, as an unticked box is. The
 * forms post every field, so an empty one clears what it shows.
 */
export function formFields(body: FormBody, names: readonly string[]): Fields {
  const out: Fields = {};
  for (const name of names) out[name] = field(body, name) ?? "";
  return out;
}

export function actorOf(user: StaffUser): AuditActor {
  return { kind: "user", id: user.username };
}

export function when(ms: number | null): Html {
  if (ms === null) return html`never`;
  const d = new Date(ms);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace("T", " ").slice(0, 16)} UTC</time>`;
}

/** A time as a datetime-local field shows it (UTC, to the minute). */
export function localValue(ms: number | null): string {
  return ms === null ? "" : new Date(ms).toISOString().slice(0, 16);
}

export function hiddenBack(v: ViewContext, to = v.path): Html {
  return html`<input type="hidden" name="back" value="${to}">`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Sub-navigation of the domain pages. */
export function tabs(v: ViewContext, current: string): Html {
  const links: Array<[string, string]> = [
    ["/admin/domains", "Blocked domains"],
    ["/admin/domains/allows", "Allowed domains"],
    ["/admin/domains/import", "Import"],
    ["/admin/domains/subscriptions", "Subscriptions"],
    ["/admin/domains/audit", "Audit log"],
    ["/admin/domains/severed", "Severed relationships"],
    ["/admin/domains/probation", "Probation"],
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

export function flagsOf(b: { rejectMedia: boolean; rejectReports?: boolean; obfuscate?: boolean }): string {
  const flags: string[] = [];
  if (b.rejectMedia) flags.push("reject media");
  if (b.rejectReports) flags.push("reject reports");
  if (b.obfuscate) flags.push("obfuscated");
  return flags.join(", ");
}
