import { age } from "../../http/admin/delivery-pages.js";
import { deliveryStats } from "../../services/delivery-stats.js";
import { type Subcommand, table } from "../command.js";

const ago = (now: number, at: number | null) => (at === null ? "-" : `${age(now - at)} ago`);

/**
 * `atoll delivery stats`: the delivery queue per peer domain and the delivery workers, as on
 * /admin/federation, read from the store every process shares.
 */
export const deliveryStatsCommand: Subcommand = {
  name: "stats",
  summary: "show the delivery queue per peer domain, the peers' health and the delivery workers",
  usage: "[--json]",
  details: [
    "Per peer domain: inboxes and items queued, the oldest queued, how long its longest-due inbox has",
    "been due, inboxes being sent and held for a probe, failures in a row, last success and failure,",
    "its state (healthy, failing, dead) and its drops among the 1000 most recent.",
    "--json              print JSON (times in milliseconds since the epoch)",
  ],
  options: { json: { type: "boolean" } },
  positionals: { min: 0, max: 0, names: [] },
  async run(ctx, args) {
    const { store } = await ctx.services();
    const stats = await deliveryStats(store, Date.now());
    if (args.values["json"]) return ctx.out(JSON.stringify(stats));
    const now = stats.at;
    const t = stats.totals;
    const alive = stats.workers.filter((w) => w.alive).length;
    ctx.out(
      `${t.items} queued for ${t.inboxes} inboxes; longest due: ${t.oldestDueMs === null ? "none" : age(t.oldestDueMs)}; ` +
        `workers alive: ${alive} of ${stats.workers.length}.`,
    );
    if (stats.peers.length > 0) {
      const rows = stats.peers.map((p) => [
        p.domain,
        String(p.inboxes),
        String(p.items),
        p.oldestCreatedAt === null ? "-" : age(now - p.oldestCreatedAt),
        p.oldestDueAt === null ? "-" : age(now - p.oldestDueAt),
        String(p.inFlight),
        String(p.held),
        String(p.consecutiveFailures),
        ago(now, p.lastSuccessAt),
        ago(now, p.lastFailureAt),
        p.state,
        String(p.dropped),
      ]);
      const head = ["DOMAIN", "INBOXES", "QUEUED", "OLDEST", "DUE FOR", "SENDING", "HELD", "FAILURES"];
      for (const line of table([...head, "LAST OK", "LAST FAILURE", "STATE", "DROPPED"], rows)) ctx.out(line);
    } else ctx.out("No peer has deliveries waiting, failing or recently dropped.");
    for (const w of stats.workers) {
      ctx.out(
        `worker ${w.id} on ${w.host} (pid ${w.pid}): ${w.alive ? "alive" : "silent"}, heartbeat ${ago(now, w.heartbeatAt)}`,
      );
    }
  },
};
