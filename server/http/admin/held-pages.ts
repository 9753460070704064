import { DomainError } from "../../domain/errors.js";
import { can } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import type { FederationActions, HeldThreadView } from "../../services/federation-actions.js";
import { type Html, html } from "../web/html.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { actionForm, time, type ViewContext } from "./views.js";

/*
 * The held queue on the staff pages: threads from the fediverse waiting for a moderator (their
 * domain silenced on the board, their server on probation, or a word filter matched), on the
 * boards the user moderates, each approved or rejected here. Local posts a filter held are on the
 * word filters page, which this page links to.
 */

const REASONS: Readonly<Record<string, string>> = {
  silenced: "its domain is silenced on the board",
  probation: "its server is new here (on probation)",
};

function heldView(v: ViewContext, held: HeldThreadView[], federation: boolean): Html {
  const rows = held.map(
    (h) => html`<tr><td>/${h.board}/</td><td>${h.domain}<br><span class="admin-muted">${h.actor}</span></td>
<td>${h.subject ? html`<strong>${h.subject}</strong><br>` : null}${h.text.slice(0, 300)}</td>
<td>${REASONS[h.reason] ?? h.reason}</td><td>${time(h.receivedAt)}</td>
<td>${actionForm(v, "/admin/held/approve", "Approve", { id: h.id })} ${actionForm(v, "/admin/held/reject", "Reject", { id: h.id }, "danger")}</td></tr>`,
  );
  return html`<p>Local posts a word filter held are on <a href="/admin/filters">Word filters</a>.</p>
${
  !federation
    ? html`<p class="admin-muted">Federation is off on this instance.</p>`
    : held.length === 0
      ? html`<p class="admin-muted">No threads from the fediverse wait for a moderator.</p>`
      : html`<table class="admin-table"><thead><tr><th>Board</th><th>From</th><th>Post</th><th>Why</th><th>Received</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`
}`;
}

export function heldPages(s: Pick<Services, "federation">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;
  const mine = async (fed: FederationActions, v: ViewContext): Promise<HeldThreadView[]> =>
    (await fed.listHeld()).filter((h) => can(v.user, "moderate", h.board));
  // The held thread named by the form, if the user moderates its board; nothing is said of others.
  const heldFor = async (v: ViewContext, id: string): Promise<{ fed: FederationActions; held: HeldThreadView }> => {
    const fed = s.federation;
    if (!fed) throw new DomainError("conflict", "Federation is off on this instance.");
    const held = (await mine(fed, v)).find((h) => h.id === id);
    if (!held) throw new DomainError("not_found", "Nothing with this id waits for you.");
    return { fed, held };
  };

  page("/admin/held", { needs: "staff" }, async (req, res, v) => {
    const held = s.federation ? await mine(s.federation, v) : [];
    render(req, res, v, "Held for a moderator", heldView(v, held, s.federation !== undefined));
  });

  post("/admin/held/approve", { needs: "staff" }, async (_req, res, v, body) => {
    const { fed, held } = await heldFor(v, field(body, "id") ?? "");
    const { outcome } = await fed.approveHeld(held.id);
    back(res, v, outcome === "accepted" ? "held_thread_approved" : "held_thread_not_posted");
  });

  post("/admin/held/reject", { needs: "staff" }, async (_req, res, v, body) => {
    const { fed, held } = await heldFor(v, field(body, "id") ?? "");
    await fed.rejectHeld(held.id);
    back(res, v, "held_thread_rejected");
  });
}
