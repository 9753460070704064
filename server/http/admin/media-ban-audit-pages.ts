import { DomainError } from "../../domain/errors.js";
import type { MediaBanList, MediaBanListAudit } from "../../domain/media-safety/media-ban-lists.js";
import { staffPublicName } from "../../domain/moderation-log.js";
import type { Services } from "../../services/container.js";
import { API_ACTOR, type PublicStaffUser } from "../../services/staff.js";
import { type Html, html } from "../web/html.js";
import { listsOf } from "./media-ban-lists-api.js";
import type { AdminPageKit } from "./page-kit.js";
import { time, type ViewContext } from "./views.js";

/*
 * The audit trail of media bans and hash lists, newest first, a page at a time: bans placed and
 * lifted, subscriptions and their syncs, excluded hashes, and who may fetch this instance's list.
 * Token secrets are never in the trail, so none can show here.
 */

const PATH = "/admin/media-bans/audit";
const PER_PAGE = 50;
const MAX_PAGE = 20_000;

/** Each staff account's name with the public name or role the other staff views show beside it. */
export function staffNames(users: readonly PublicStaffUser[]): Map<string, Html> {
  const names = new Map<string, Html>([
    [API_ACTOR.username, html`<span class="admin-muted">admin API</span>`],
    ["system", html`<span class="admin-muted">scheduled sync</span>`],
  ]);
  for (const u of users)
    names.set(u.username, html`${u.username} <span class="admin-muted">(${staffPublicName(u)})</span>`);
  return names;
}

export const staffCell = (names: ReadonlyMap<string, Html>, username: string): Html =>
  names.get(username) ?? html`${username}`;

const ACTIONS: Readonly<Record<string, string>> = {
  "ban.create": "Media ban placed",
  "ban.lift": "Media ban lifted",
  "list.create": "List subscribed",
  "list.delete": "List unsubscribed",
  "list.sync": "List synced",
  "list.sync_failed": "List sync failed",
  "list.exclude": "Hash excluded",
  "list.include": "Hash included again",
  "peer.grant": "Peer granted",
  "peer.revoke": "Peer revoked",
  "token.create": "Token created",
  "token.revoke": "Token revoked",
};

const text = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const count = (v: unknown): number => (typeof v === "number" ? v : 0);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

function hashList(label: string, hashes: string[]): Html | null {
  if (hashes.length === 0) return null;
  return html`<details><summary>${label} (${String(hashes.length)} shown)</summary><ul>${hashes.map((h) => html`<li><code>${h}</code></li>`)}</ul></details>`;
}

/** What one entry changed, in words; each action keeps its own details. */
function details(e: MediaBanListAudit): Html {
  const d = e.detail;
  switch (e.action) {
    case "ban.create":
    case "ban.lift":
      return html`${text(d["kind"]) === "pdq" ? `PDQ (within ${text(d["distance"])})` : "SHA-256"} <code>${text(d["hash"])}</code>${
        text(d["reason"]) ? html` · ${text(d["reason"])}` : null
      }${text(d["post"]) ? html` · file of ${text(d["post"])}` : null}${
        text(d["source"]) && text(d["source"]) !== "local" ? html` · from ${text(d["source"])}` : null
      }`;
    case "list.create":
      return html`<code>${text(d["url"])}</code> (${text(d["format"])})`;
    case "list.delete":
      return html`<code>${text(d["url"])}</code>; ${String(count(d["removed"]))} bans lifted`;
    case "list.sync":
      return html`+${String(count(d["added"]))} −${String(count(d["removed"]))}${
        count(d["skipped"]) > 0 ? html` (${String(count(d["skipped"]))} lines skipped)` : null
      }${hashList("Added", strings(d["added_hashes"]))}${hashList("Removed", strings(d["removed_hashes"]))}`;
    case "list.sync_failed":
      return html`${text(d["error"])}`;
    case "list.exclude":
      return html`<code>${text(d["hash"])}</code>; ${String(count(d["removed"]))} bans lifted`;
    case "list.include":
      return html`<code>${text(d["hash"])}</code>`;
    case "peer.grant":
    case "peer.revoke":
      return html`<code>${text(d["domain"])}</code>`;
    case "token.create":
    case "token.revoke":
      return html`${text(d["label"])}`;
    default:
      return html``;
  }
}

function auditView(
  entries: MediaBanListAudit[],
  names: ReadonlyMap<string, Html>,
  lists: ReadonlyMap<string, MediaBanList>,
  paging: { page: number; more: boolean },
): Html {
  const rows = entries.map((e) => {
    const list = e.listId === null ? null : lists.get(e.listId);
    return html`<tr>
  <td>${time(e.at)}</td>
  <td>${staffCell(names, e.actor)}</td>
  <td>${ACTIONS[e.action] ?? e.action}</td>
  <td>${e.listId === null ? "" : list ? html`<code>${list.url}</code>` : html`<span class="admin-muted">list:${e.listId}</span>`}</td>
  <td>${details(e)}</td>
</tr>`;
  });
  const { page, more } = paging;
  return html`<p><a href="/admin/media-bans">Media bans</a> · <a href="/admin/media-bans/offers">Who may fetch our list</a></p>
<p>Newest first.</p>
${
  entries.length === 0
    ? html`<p>No entries.</p>`
    : html`<table class="admin-table"><thead><tr><th>When</th><th>Staff</th><th>Action</th><th>List</th><th>Details</th></tr></thead><tbody>${rows}</tbody></table>`
}
<p>${page > 1 ? html`<a href="${PATH}${page > 2 ? `?page=${page - 1}` : ""}">Newer entries</a> ` : null}${
    more ? html`<a href="${PATH}?page=${String(page + 1)}">Older entries</a>` : null
  }</p>`;
}

function pageNumber(q: unknown): number {
  if (q === undefined) return 1;
  if (typeof q !== "string" || !/^[1-9][0-9]{0,5}$/.test(q) || Number(q) > MAX_PAGE) {
    throw new DomainError("invalid", `page: a whole number from 1 to ${MAX_PAGE}.`);
  }
  return Number(q);
}

export function mediaBanAuditPages(s: Pick<Services, "mediaBanLists" | "staff">, kit: AdminPageKit): void {
  const { page, render } = kit;

  page(PATH, { needs: "manage_instance" }, async (req, res, v: ViewContext) => {
    const n = pageNumber(req.query["page"]);
    const lists = listsOf(s);
    // One more than a page, to know whether there is an older page without counting the trail.
    const [found, subscribed, users] = await Promise.all([
      lists.auditTrail(v.user, PER_PAGE + 1, (n - 1) * PER_PAGE),
      lists.list(v.user),
      s.staff.listUsers(),
    ]);
    const view = auditView(found.slice(0, PER_PAGE), staffNames(users), new Map(subscribed.map((l) => [l.id, l])), {
      page: n,
      more: found.length > PER_PAGE,
    });
    render(req, res, v, "Media bans and hash lists: audit trail", view);
  });
}
