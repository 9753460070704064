import type { DeliveryWorkerRecord, PeerHealthRecord, PendingInbox } from "../domain/federation-ports.js";
import type { Store } from "../domain/ports.js";

/** Inboxes with a backlog read per look at the queue (by domain, then inbox). */
const INBOX_LIMIT = 10_000;
/** The most recent dropped deliveries counted per domain. */
const DROPPED_LIMIT = 1000;
/** The delivery worker's defaults (federation/delivery/worker.ts): when a peer counts as dead… */
const DEAD_AFTER_FAILURES = 3;
const DEAD_AFTER_MS = 10_000;
/** …and when a worker whose heartbeat stopped counts as gone. */
const WORKER_DEAD_AFTER_MS = 30_000;

export type PeerState = "healthy" | "failing" | "dead";

/** The delivery queue of one peer domain, with its health. */
export interface PeerDeliveryStats {
  domain: string;
  /** Inboxes of the domain with a backlog, and the items they hold. */
  inboxes: number;
  items: number;
  /** When the domain's oldest queued item was queued; null with nothing queued. */
  oldestCreatedAt: number | null;
  /** Since when its longest-due inbox has been due (not being sent); null when none is due. */
  oldestDueAt: number | null;
  /** Inboxes waiting for the domain's next probe, and inboxes being sent right now. */
  held: number;
  inFlight: number;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  state: PeerState;
  /** Dropped deliveries among the most recent ones (see `droppedWindow`). */
  dropped: number;
}

export interface WorkerStats extends DeliveryWorkerRecord {
  alive: boolean;
}

export interface DeliveryStats {
  at: number;
  /** Peers with queued work, failures or recent drops: most queued items first, then most failures. */
  peers: PeerDeliveryStats[];
  totals: { items: number; inboxes: number; oldestDueMs: number | null; dropped: number };
  workers: WorkerStats[];
  /** How many of the most recent dropped deliveries were counted per domain. */
  droppedWindow: number;
  /** True when the backlog had more inboxes than were read. */
  truncated: boolean;
}

/** A timing wrapper for each store read (the metrics time them); the identity by default. */
export type StoreTimer = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

const untimed: StoreTimer = (_operation, call) => call();

export function peerState(h: PeerHealthRecord | undefined): PeerState {
  if (!h || h.firstFailureAt === null || h.lastFailureAt === null) return "healthy";
  const dead = h.consecutiveFailures >= DEAD_AFTER_FAILURES && h.lastFailureAt - h.firstFailureAt >= DEAD_AFTER_MS;
  return dead ? "dead" : "failing";
}

/**
 * The delivery queue per peer domain, read from the store: what the /admin/federation page,
 * `atoll delivery stats` and the metrics show. Every process's queue, since they share the store.
 */
export async function deliveryStats(store: Store, now: number, time: StoreTimer = untimed): Promise<DeliveryStats> {
  const { deliveries, peerHealth } = store.federation;
  const pending = await time("delivery_backlog", () => deliveries.pendingInboxes(now, INBOX_LIMIT));
  const health = await time("peer_health", () => peerHealth.list());
  const dropped = await time("delivery_dropped", () => deliveries.listDropped(DROPPED_LIMIT));
  const workers = await time("delivery_workers", () => deliveries.listWorkers());

  const peers = new Map<string, PeerDeliveryStats>();
  const peer = (domain: string): PeerDeliveryStats => {
    let p = peers.get(domain);
    if (!p) {
      p = {
        domain,
        inboxes: 0,
        items: 0,
        oldestCreatedAt: null,
        oldestDueAt: null,
        held: 0,
        inFlight: 0,
        consecutiveFailures: 0,
        lastSuccessAt: null,
        lastFailureAt: null,
        state: "healthy",
        dropped: 0,
      };
      peers.set(domain, p);
    }
    return p;
  };
  for (const inbox of pending) addInbox(peer(inbox.domain), inbox, now);
  for (const h of health) {
    // Healthy peers with nothing queued and nothing dropped are left out: the list stays bounded
    // by the work there is, not by every domain ever delivered to.
    if (h.consecutiveFailures === 0 && !peers.has(h.domain)) continue;
    const p = peer(h.domain);
    p.consecutiveFailures = h.consecutiveFailures;
    p.lastSuccessAt = h.lastSuccessAt;
    p.lastFailureAt = h.lastFailureAt;
    p.state = peerState(h);
  }
  const byDomain = new Map(health.map((h) => [h.domain, h]));
  for (const d of dropped) {
    const known = peers.has(d.domain);
    const p = peer(d.domain);
    p.dropped++;
    if (!known) {
      const h = byDomain.get(d.domain);
      p.lastSuccessAt = h?.lastSuccessAt ?? null;
      p.lastFailureAt = h?.lastFailureAt ?? null;
    }
  }
  const list = [...peers.values()].sort(
    (a, b) =>
      b.items - a.items ||
      b.consecutiveFailures - a.consecutiveFailures ||
      b.dropped - a.dropped ||
      a.domain.localeCompare(b.domain),
  );
  const due = list.flatMap((p) => (p.oldestDueAt === null ? [] : [p.oldestDueAt]));
  return {
    at: now,
    peers: list,
    totals: {
      items: list.reduce((n, p) => n + p.items, 0),
      inboxes: pending.length,
      oldestDueMs: due.length === 0 ? null : now - Math.min(...due),
      dropped: dropped.length,
    },
    workers: workers.map((w) => ({ ...w, alive: now - w.heartbeatAt < WORKER_DEAD_AFTER_MS })),
    droppedWindow: DROPPED_LIMIT,
    truncated: pending.length >= INBOX_LIMIT,
  };
}

function addInbox(p: PeerDeliveryStats, inbox: PendingInbox, now: number): void {
  p.inboxes++;
  p.items += inbox.items;
  p.oldestCreatedAt =
    p.oldestCreatedAt === null ? inbox.oldestCreatedAt : Math.min(p.oldestCreatedAt, inbox.oldestCreatedAt);
  if (inbox.held) p.held++;
  if (inbox.inFlight) p.inFlight++;
  else if (!inbox.held && inbox.nextAttemptAt <= now) {
    p.oldestDueAt = p.oldestDueAt === null ? inbox.nextAttemptAt : Math.min(p.oldestDueAt, inbox.nextAttemptAt);
  }
}
