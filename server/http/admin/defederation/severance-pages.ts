import type { SeveranceEvent, SeveredRelationship } from "../../../domain/severance.js";
import { type Html, html } from "../../web/html.js";
import type { AdminPageKit } from "../page-kit.js";
import type { ViewContext } from "../views.js";
import type { DefederationHttpDeps } from "./api-kit.js";
import { tabs, when } from "./page-parts.js";

/* The severed relationships: what each suspension cut, newest first, and one event's relationships. */

const ADMINS = { needs: "manage_instance" } as const;
const SEVERED_PAGE = 50;
const PATH = "/admin/domains/severed";

export function severancePages(s: DefederationHttpDeps, kit: AdminPageKit): void {
  const { page, render } = kit;

  page(PATH, ADMINS, async (req, res, v) => {
    const before =
      typeof req.query["before"] === "string" && /^[A-Za-z0-9_-]{1,100}$/.test(req.query["before"])
        ? req.query["before"]
        : undefined;
    const events = await s.defederation.severances({
      limit: SEVERED_PAGE,
      ...(before !== undefined ? { before } : {}),
    });
    const next = events.length === SEVERED_PAGE ? (events.at(-1)?.id ?? null) : null;
    render(req, res, v, "Severed relationships", severancesView(v, events, next));
  });

  page(`${PATH}/:id`, ADMINS, async (req, res, v) => {
    const { event, relationships } = await s.defederation.severance(String(req.params["id"]));
    render(req, res, v, `Severed by the rule on ${event.domain}`, severanceView(v, event, relationships));
  });
}

function severancesView(v: ViewContext, events: SeveranceEvent[], next: string | null): Html {
  const rows = events.map(
    (e) => html`<tr>
  <td><a href="${PATH}/${e.id}">${when(e.at)}</a></td>
  <td><code>${e.domain}</code></td>
  <td>${e.severity}</td>
  <td>${e.origin}</td>
  <td>${e.publicReason}</td>
  <td>${e.followersLost}</td>
  <td>${e.followingLost}</td>
</tr>`,
  );
  return html`${tabs(v, PATH)}
<p>Follows a suspension cut, one entry per rule change: boards that lost followers on the domain, and groups or boards there that a board followed. Newest first.</p>
${
  events.length === 0
    ? html`<p>No relationship has been severed.</p>`
    : html`<table class="admin-table"><thead><tr><th>When</th><th>Domain</th><th>Severity</th><th>Origin</th><th>Public reason</th><th>Followers lost</th><th>Follows lost</th></tr></thead><tbody>${rows}</tbody></table>`
}
${next ? html`<p><a href="${PATH}?before=${encodeURIComponent(next)}">Older entries</a></p>` : null}`;
}

function severanceView(v: ViewContext, e: SeveranceEvent, rels: SeveredRelationship[]): Html {
  const rows = rels.map(
    (r) => html`<tr>
  <td><a href="/${r.board}/">/${r.board}/</a></td>
  <td>${r.direction === "inbound" ? "followed the board" : "followed by the board"}${r.state === "pending" ? " (pending)" : null}</td>
  <td><code>${r.remoteActor}</code></td>
</tr>`,
  );
  return html`${tabs(v, PATH)}
<p>${when(e.at)}: the ${e.severity} of <code>${e.domain}</code> (${e.origin}) severed ${e.followersLost} follower(s) and ${e.followingLost} follow(s).</p>
${e.publicReason ? html`<p>Public reason: ${e.publicReason}</p>` : null}
<p><a href="/admin/domains/audit?domain=${encodeURIComponent(e.domain)}">The domain's audit log</a> · <a href="${PATH}">All severed relationships</a></p>
<table class="admin-table"><thead><tr><th>Board</th><th>Relationship</th><th>Remote actor</th></tr></thead><tbody>${rows}</tbody></table>`;
}
