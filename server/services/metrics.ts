import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../domain/ports.js";
import type { ObservedRequest } from "../http/request-observer.js";
import { type DeliveryStats, deliveryStats } from "./delivery-stats.js";

/** Peers named in the per-domain delivery series: the busiest by queued items, then by failures. */
const PEER_SERIES = 20;

/** Seconds: from a millisecond of a cached read to a slow page, an upload or a stalled store. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the inbox pipeline tells the metrics (see federation/inbox/inbound-log.ts). */
export interface InboxCounts {
  /** An activity was taken: `outcome` is accepted, ignored, rejected or deferred. */
  taken(outcome: string): void;
  /** An activity was refused with this HTTP status. */
  refused(status: number): void;
}

/** What the post files tell the metrics: an upload stored, or refused and why. */
export interface UploadCounts {
  stored(kind: "image" | "video"): void;
  refused(reason: string): void;
}

/** What the render cache tells the metrics: a lookup found a current rendering, or built one. */
export interface CacheCounts {
  lookup(hit: boolean): void;
}

/** Status codes of inbox refusals as bounded, readable reasons. */
const REFUSAL_REASONS: Readonly<Record<number, string>> = {
  400: "malformed",
  401: "signature",
  403: "forbidden",
  404: "not_found",
  405: "method",
  413: "too_large",
  415: "media_type",
  429: "rate_limited",
  503: "unavailable",
};

/**
 * The Prometheus metrics of one instance, in a registry of its own (two instances in one process
 * never share a series). Counters are moved by the parts that see the events (through the small
 * interfaces above, handed to them by the composition root); the delivery queue and the store's
 * latency are read from the store when Prometheus scrapes, so nothing is kept in copies.
 */
export class InstanceMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #duration: Histogram<"method" | "route">;
  readonly #posts: Counter<"origin">;
  readonly #uploads: Counter<"kind">;
  readonly #uploadsRefused: Counter<"reason">;
  readonly #inboxTaken: Counter<"outcome">;
  readonly #inboxRefused: Counter<"reason">;
  readonly #cache: Counter<"result">;
  readonly #storeLatency: Histogram<"operation">;
  /** The delivery stats of the scrape under way, read once for all the gauges that show them. */
  #reading: Promise<DeliveryStats | null> | null = null;

  constructor(deps: { store: Store; clock: () => number; onError: (err: unknown) => void }) {
    const registers = [this.registry];
    // Process memory and CPU, and the event loop's lag (measured by monitorEventLoopDelay).
    collectDefaultMetrics({ register: this.registry, prefix: "atoll_" });
    this.#requests = new Counter({
      name: "atoll_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status.",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.#duration = new Histogram({
      name: "atoll_http_request_duration_seconds",
      help: "Time from a request's arrival to the end of its response, by method and route pattern.",
      labelNames: ["method", "route"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#posts = new Counter({
      name: "atoll_posts_created_total",
      help: "Posts created: written here (local) or taken from a peer (federated).",
      labelNames: ["origin"],
      registers,
    });
    this.#uploads = new Counter({
      name: "atoll_uploads_total",
      help: "Uploaded files stored, by kind (image or video).",
      labelNames: ["kind"],
      registers,
    });
    this.#uploadsRefused = new Counter({
      name: "atoll_uploads_refused_total",
      help: "Uploaded files refused, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.#inboxTaken = new Counter({
      name: "atoll_inbox_activities_accepted_total",
      help: "Inbound activities taken (answered 202), by outcome: accepted, ignored, rejected, deferred.",
      labelNames: ["outcome"],
      registers,
    });
    this.#inboxRefused = new Counter({
      name: "atoll_inbox_activities_refused_total",
      help: "Inbound activities refused, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.#cache = new Counter({
      name: "atoll_render_cache_lookups_total",
      help: "Render cache lookups: a current rendering found (hit) or built (miss).",
      labelNames: ["result"],
      registers,
    });
    this.#storeLatency = new Histogram({
      name: "atoll_store_operation_duration_seconds",
      help: "Store calls timed here: the readiness ping, and the delivery queue and peer health reads of a scrape.",
      labelNames: ["operation"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#deliveryGauges(deps, registers);
  }

  /** An answered HTTP request (the RequestObserver's half that counts). */
  request(r: ObservedRequest): void {
    const status = String(r.status);
    this.#requests.inc({ method: r.method, route: r.route, status });
    this.#duration.observe({ method: r.method, route: r.route }, r.seconds);
  }

  postCreated(federated: boolean): void {
    this.#posts.inc({ origin: federated ? "federated" : "local" });
  }

  /** Times a store call under `operation` (a fixed name, never an id). */
  async timeStore<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const end = this.#storeLatency.startTimer({ operation });
    try {
      return await call();
    } finally {
      end();
    }
  }

  readonly uploads: UploadCounts = {
    stored: (kind) => this.#uploads.inc({ kind }),
    refused: (reason) => this.#uploadsRefused.inc({ reason }),
  };

  readonly inbox: InboxCounts = {
    taken: (outcome) => this.#inboxTaken.inc({ outcome }),
    refused: (status) => this.#inboxRefused.inc({ reason: REFUSAL_REASONS[status] ?? "other" }),
  };

  readonly cache: CacheCounts = {
    lookup: (hit) => this.#cache.inc({ result: hit ? "hit" : "miss" }),
  };

  /** The exposition, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    this.#reading = null;
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * The delivery queue's gauges, read from the store once per scrape (`scrape` forgets the last
   * reading): the first gauge collected reads the stats and the others use that same reading.
   */
  #deliveryGauges(deps: { store: Store; clock: () => number; onError: (err: unknown) => void }, registers: Registry[]) {
    const read = (): Promise<DeliveryStats | null> => {
      this.#reading ??= deliveryStats(deps.store, deps.clock(), (op, call) => this.timeStore(op, call)).catch(
        (err: unknown) => {
          deps.onError(err);
          return null;
        },
      );
      return this.#reading;
    };
    new Gauge({
      name: "atoll_delivery_queue_items",
      help: "Deliveries waiting in the queue (every process's, read from the store).",
      registers,
      async collect() {
        const s = await read();
        if (s) this.set(s.totals.items);
      },
    });
    new Gauge({
      name: "atoll_delivery_oldest_due_seconds",
      help: "How long the longest-due queued delivery has been due (0 when none is due).",
      registers,
      async collect() {
        const s = await read();
        if (s) this.set(s.totals.oldestDueMs === null ? 0 : Math.max(0, s.totals.oldestDueMs / 1000));
      },
    });
    new Gauge({
      name: "atoll_delivery_workers_alive",
      help: "Delivery workers whose heartbeat is recent, across all processes.",
      registers,
      async collect() {
        const s = await read();
        if (s) this.set(s.workers.filter((w) => w.alive).length);
      },
    });
    new Gauge({
      name: "atoll_delivery_peer_queue_items",
      help: `Deliveries waiting per peer domain (the ${PEER_SERIES} busiest or failing peers).`,
      labelNames: ["domain"],
      registers,
      async collect() {
        this.reset();
        const s = await read();
        for (const p of s?.peers.slice(0, PEER_SERIES) ?? []) this.set({ domain: p.domain }, p.items);
      },
    });
    new Gauge({
      name: "atoll_delivery_peer_consecutive_failures",
      help: `Failed deliveries in a row per peer domain (the ${PEER_SERIES} busiest or failing peers).`,
      labelNames: ["domain"],
      registers,
      async collect() {
        this.reset();
        const s = await read();
        for (const p of s?.peers.slice(0, PEER_SERIES) ?? []) this.set({ domain: p.domain }, p.consecutiveFailures);
      },
    });
  }
}
