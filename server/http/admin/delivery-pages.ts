import type { Request } from "express";
import { DomainError } from "../../domain/errors.js";
import type { DroppedDelivery, InboundRetry, PendingInbox } from "../../domain/federation-ports.js";
import type { Services } from "../../services/container.js";
import { type Html, html } from "../web/html.js";
import { deliveriesOf, recordNumber } from "./deliveries.js";
import { type AdminPageKit, field } from "./page-kit.js";
import { actionForm, type ViewContext } from "./views.js";

/*
 * The admin page of deliveries, /admin/deliveries: what waits for each destination inbox, what was
 * given up on, and buttons to send dropped deliveries again, one, a domain's or all; then the
 * activities received but not yet taken, with buttons to try again those given up on. Plain
 * forms and redirects like the other admin pages; every form carries the session's CSRF token.
 */

const PAGE = 100;

function when(ms: number | null): Html {
  if (ms === null) return html`—`;
  const d = new Date(ms);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace("T", " ").slice(0, 16)} UTC</time>`;
}

/** A duration for people: seconds, minutes, hours or days. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

function stateOf(p: PendingInbox, now: number): string {
  if (p.inFlight) return "sending";
  if (p.held) return "waiting for its domain's next probe";
  if (p.nextAttemptAt <= now) return "due";
  return p.failingSince === null ? "scheduled" : `failing for ${age(now - p.failingSince)}`;
}

function pendingView(pending: PendingInbox[], now: number): Html {
  if (pending.length === 0) return html`<p>Nothing is waiting to be delivered.</p>`;
  return html`<table class="admin-table">
  <thead><tr><th>Domain</th><th>Inbox</th><th>Items</th><th>Oldest</th><th>Tries of the next</th><th>Last error</th><th>Next try</th><th>State</th></tr></thead>
  <tbody>${pending.map(
    (p) => html`<tr>
    <td>${p.domain}</td><td>${p.inbox}</td><td>${p.items}</td><td>${age(now - p.oldestCreatedAt)}</td>
    <td>${p.headAttempts}</td><td>${p.lastError ?? "—"}</td><td>${when(p.nextAttemptAt)}</td><td>${stateOf(p, now)}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

function droppedView(v: ViewContext, dropped: DroppedDelivery[], domain: string | undefined): Html {
  if (dropped.length === 0) {
    return html`<p>${domain ? html`No dropped deliveries for ${domain}.` : "No dropped deliveries."}</p>`;
  }
  const domains = [...new Set(dropped.map((d) => d.domain))].sort();
  return html`<p>${domains.map((d) =>
    actionForm(v, "/admin/deliveries/dropped/retry", `Send again everything dropped for ${d}`, { domain: d }),
  )}</p>
<table class="admin-table">
  <thead><tr><th>Id</th><th>Dropped</th><th>Domain</th><th>Inbox</th><th>Activity</th><th>Tries</th><th>Error</th><th></th></tr></thead>
  <tbody>${dropped.map(
    (d) => html`<tr>
    <td>${d.seq}</td><td>${when(d.droppedAt)}</td><td>${d.domain}</td><td>${d.inbox}</td><td>${d.activityId}</td>
    <td>${d.attempts}</td><td>${d.lastError}</td>
    <td>${d.body === "" ? "kept without its body" : actionForm(v, `/admin/deliveries/dropped/${d.seq}/retry`, "Send again")}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

function inboundView(v: ViewContext, items: InboundRetry[], failed: boolean): Html {
  if (items.length === 0) {
    return html`<p>${failed ? "Nothing was given up on." : "Nothing received waits for another try."}</p>`;
  }
  return html`<table class="admin-table">
  <thead><tr><th>Activity</th><th>From</th><th>Received</th><th>Tries</th><th>Last error</th><th>${failed ? "Given up" : "Next try"}</th>${failed ? html`<th></th>` : null}</tr></thead>
  <tbody>${items.map(
    (i) => html`<tr>
    <td>${i.id}</td><td>${i.signer}</td><td>${when(i.receivedAt)}</td><td>${i.attempts}</td><td>${i.lastError}</td>
    <td>${when(failed ? i.failedAt : i.nextAttemptAt)}</td>
    ${failed ? html`<td>${actionForm(v, "/admin/deliveries/inbound/retry", "Try again", { id: i.id })}</td>` : null}
  </tr>`,
  )}</tbody>
</table>`;
}

function inboundSection(v: ViewContext, pending: InboundRetry[], failed: InboundRetry[]): Html {
  return html`<h2>Received, not yet taken</h2>
<p>Activities peers sent that were verified but could not be acted on yet, most often because the post
they carry could not be fetched from its origin. They are tried again, sooner at first and then about
once an hour, for 7 days.</p>
${inboundView(v, pending, false)}
<h3>Given up on</h3>
${failed.length > 0 ? actionForm(v, "/admin/deliveries/inbound/retry", "Try everything given up on again", { all: "1" }) : null}
${inboundView(v, failed, true)}`;
}

function filterForm(domain: string | undefined): Html {
  return html`<form method="get" action="/admin/deliveries" class="admin-inline">
  <label>Domain <input name="domain" maxlength="253" value="${domain ?? ""}"></label>
  <button type="submit">Show</button>
  ${domain ? html`<a href="/admin/deliveries">all domains</a>` : null}
</form>`;
}

function query(req: Request, name: string): string | undefined {
  const v = req.query[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

export function deliveryPages(s: Pick<Services, "deliveries" | "clock">, kit: AdminPageKit): void {
  const { page, post, render, back } = kit;

  page("/admin/deliveries", { needs: "manage_instance" }, async (req, res, v) => {
    const actions = deliveriesOf(s);
    const domain = query(req, "domain");
    const beforeRaw = query(req, "before");
    const before = beforeRaw === undefined ? undefined : recordNumber(beforeRaw, "before");
    const now = s.clock();
    const pending = await actions.pending({ limit: 500, ...(domain ? { domain } : {}) });
    const dropped = await actions.dropped({
      limit: PAGE,
      ...(domain ? { domain } : {}),
      ...(before === undefined ? {} : { before }),
    });
    const inboundPending = domain ? [] : await actions.inbound({ failed: false, limit: PAGE });
    const inboundFailed = domain ? [] : await actions.inbound({ failed: true, limit: PAGE });
    const older = dropped.length === PAGE ? dropped.at(-1)!.seq : null;
    const olderLink =
      older === null
        ? null
        : html`<p><a href="/admin/deliveries?${new URLSearchParams({ ...(domain ? { domain } : {}), before: String(older) }).toString()}">Older</a></p>`;
    render(
      req,
      res,
      v,
      "Deliveries",
      html`${filterForm(domain)}
<h2>Waiting, per destination inbox</h2>
<p>Each inbox gets its items one at a time, in the order they were queued. While an inbox fails, only its
oldest item is tried again; once it answers, the rest follows at once.</p>
${pendingView(pending, now)}
<h2>Dropped</h2>
<p>Deliveries given up on: refused by the peer, or still failing after the retry horizon. Sending one again
queues it at the end of its inbox, as new; nothing is queued for a suspended domain.</p>
${domain ? null : actionForm(v, "/admin/deliveries/dropped/retry", "Send again every dropped delivery", { all: "1" })}
${droppedView(v, dropped, domain)}
${olderLink}
${domain ? null : inboundSection(v, inboundPending, inboundFailed)}`,
    );
  });

  post("/admin/deliveries/dropped/retry", { needs: "manage_instance" }, async (_req, res, v, body) => {
    const actions = deliveriesOf(s);
    const domain = field(body, "domain");
    if (domain) await actions.retryDomain(domain);
    else if (field(body, "all")) await actions.retryAll();
    else throw new DomainError("invalid", "Name a domain, or send everything again.");
    back(res, v, "deliveries_replayed", "/admin/deliveries");
  });

  post("/admin/deliveries/inbound/retry", { needs: "manage_instance" }, async (_req, res, v, body) => {
    const actions = deliveriesOf(s);
    const id = field(body, "id");
    if (id) await actions.retryInbound(id);
    else if (field(body, "all")) await actions.retryAllInbound();
    else throw new DomainError("invalid", "Name an activity, or try everything again.");
    back(res, v, "inbound_replayed", "/admin/deliveries");
  });

  post("/admin/deliveries/dropped/:id/retry", { needs: "manage_instance" }, async (req, res, v) => {
    await deliveriesOf(s).retry(recordNumber(req.params["id"], "id"));
    back(res, v, "delivery_replayed");
  });
}
