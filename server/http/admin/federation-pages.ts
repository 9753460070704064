import type { Services } from "../../services/container.js";
import { type DeliveryStats, deliveryStats, type PeerDeliveryStats } from "../../services/delivery-stats.js";
import { type Html, html } from "../web/html.js";
import { age } from "./delivery-pages.js";
import type { AdminPageKit } from "./page-kit.js";

/*
 * The admin page of the federation's delivery queue, /admin/federation: per peer domain, what waits,
 * since when it is due, the peer's health and its recent drops; then the delivery workers, alive or
 * not, across every process on the store. Read only: replays are on /admin/deliveries.
 */

const STATES: Readonly<Record<PeerDeliveryStats["state"], string>> = {
  healthy: "healthy",
  failing: "failing",
  dead: "dead (probed one request at a time)",
};

function since(now: number, at: number | null): string {
  return at === null ? "—" : `${age(now - at)} ago`;
}

function peersView(stats: DeliveryStats): Html {
  const now = stats.at;
  if (stats.peers.length === 0) return html`<p>No peer has deliveries waiting, failing or recently dropped.</p>`;
  return html`<table class="admin-table">
  <thead><tr><th>Domain</th><th>Inboxes</th><th>Queued</th><th>Oldest queued</th><th>Due for</th><th>Sending</th><th>Held</th><th>Failures in a row</th><th>Last success</th><th>Last failure</th><th>State</th><th>Dropped</th></tr></thead>
  <tbody>${stats.peers.map(
    (p) => html`<tr>
    <td><a href="/admin/deliveries?domain=${encodeURIComponent(p.domain)}">${p.domain}</a></td><td>${p.inboxes}</td><td>${p.items}</td>
    <td>${p.oldestCreatedAt === null ? "—" : age(now - p.oldestCreatedAt)}</td><td>${p.oldestDueAt === null ? "—" : age(now - p.oldestDueAt)}</td>
    <td>${p.inFlight}</td><td>${p.held}</td><td>${p.consecutiveFailures}</td>
    <td>${since(now, p.lastSuccessAt)}</td><td>${since(now, p.lastFailureAt)}</td><td>${STATES[p.state]}</td><td>${p.dropped}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

function workersView(stats: DeliveryStats): Html {
  if (stats.workers.length === 0) return html`<p>No delivery worker is registered: nothing is being sent.</p>`;
  return html`<table class="admin-table">
  <thead><tr><th>Worker</th><th>Host</th><th>Process</th><th>Started</th><th>Last heartbeat</th><th>State</th></tr></thead>
  <tbody>${stats.workers.map(
    (w) => html`<tr>
    <td>${w.id}</td><td>${w.host}</td><td>${w.pid}</td><td>${since(stats.at, w.startedAt)}</td>
    <td>${since(stats.at, w.heartbeatAt)}</td><td>${w.alive ? "alive" : "silent"}</td>
  </tr>`,
  )}</tbody>
</table>`;
}

export function federationPages(s: Pick<Services, "store" | "clock">, kit: AdminPageKit): void {
  kit.page("/admin/federation", { needs: "manage_instance" }, async (req, res, v) => {
    const stats = await deliveryStats(s.store, s.clock());
    const t = stats.totals;
    const alive = stats.workers.filter((w) => w.alive).length;
    kit.render(
      req,
      res,
      v,
      "Federation",
      html`<h2>Delivery queue per peer</h2>
<p>${t.items} ${t.items === 1 ? "delivery" : "deliveries"} waiting for ${t.inboxes} ${t.inboxes === 1 ? "inbox" : "inboxes"}${
        t.oldestDueMs === null ? html`, none overdue` : html`; the longest due has waited ${age(t.oldestDueMs)}`
      }. ${alive} of ${stats.workers.length} delivery ${stats.workers.length === 1 ? "worker" : "workers"} alive.
Dropped counts are among the ${stats.droppedWindow} most recent drops.${stats.truncated ? " The backlog is larger than was read: totals are a lower bound." : ""}</p>
${peersView(stats)}
<h2>Delivery workers</h2>
${workersView(stats)}`,
    );
  });
}
