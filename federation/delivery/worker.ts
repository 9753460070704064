import { domainOfUrl, normalizeDomain } from "../../server/domain/defederation/rules.js";
import type { Delivery } from "../../server/domain/federation-ports.js";
import type { FederationContext } from "../context.js";
import { FetchFailed, FetchRefused, type GuardedResponse } from "../http/guarded-fetch.js";
import { retryAfter, retrySpacing, snippet, verdictOf, waited } from "./outcomes.js";
import { PeerHealth } from "./peer-health.js";
import { WorkerRegistry } from "./worker-registry.js";

export interface DeliveryWorkerOptions {
  /** Sends in flight at once. Default 8. */
  concurrency?: number;
  /** Sends in flight to one domain, across every worker sharing the queue. Default 2. */
  perDomain?: number;
  /** How long a claimed inbox stays ours unless this worker is seen dead; longer than a send may take. Default 60 s. */
  leaseMs?: number;
  /** How often the queue is looked at when nobody calls `kick()`. Default 1 s. */
  pollMs?: number;
  /** "Now" for claims, back-off and ages (tests move it). Default: the instance's clock. */
  clock?: () => number;
  /** How long `stop()` waits for sends in flight. Default 5 s. */
  stopTimeoutMs?: number;
  /** Items are given up on once they are this old and their destination still fails. Default 7 days. */
  maxAgeMs?: number;
  /** A failing destination is tried again after this share of the time it has been failing… Default 0.1. */
  retryShare?: number;
  /** …but no sooner than this… Default 2 s. */
  minRetryMs?: number;
  /** …and no later than this. Default 5 min. */
  maxRetryMs?: number;
  /** The longest wait a peer's Retry-After is honoured for. Default 1 h. */
  maxRetryAfterMs?: number;
  /** A domain is dead (one probe at a time for all its inboxes) after this many failures in a row… Default 3. */
  deadAfterFailures?: number;
  /** …that span at least this long. Default 10 s. */
  deadAfterMs?: number;
  /** How often the worker marks itself alive and looks for dead workers. Default 5 s. */
  heartbeatMs?: number;
  /** A worker whose heartbeat is older than this is dead. Default 30 s. */
  workerDeadAfterMs?: number;
  /** Dropped deliveries are forgotten after this long. Default 30 days. */
  keepDroppedMs?: number;
  /** This machine's name in worker records. Default `os.hostname()`. */
  host?: string;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Sends what the publisher queued: claims the oldest item of due inboxes, POSTs each one signed by
 * the local actor named in the item's `keyId` field (an actor id, see DeliveryPublisher; a key id is
 * accepted too), and records the outcome. The queue hands out one item per inbox at a time, in
 * the order they were queued, so a peer receives an inbox's activities in order.
 *
 * - 2xx: delivered, removed; the inbox's next item goes at once, and a domain that was failing has
 *   answered again: every inbox of it that waited with it is due at once.
 * - Network failures, timeouts, 3xx, 401, 403 (unless a JSON refusal), 404, 408, 425, 429, 5xx:
 *   the destination is failing; only its oldest item is tried again, after about a tenth of the time it has been failing (2 s
 *   to 5 min, ±20 %, later when Retry-After asks, up to 1 h). Items are given up only once older
 *   than `maxAgeMs` (7 days) while it still fails, and kept among the dropped deliveries.
 * - 410: dropped, and the follows delivered to that inbox end. Other 4xx (a 403 with a JSON body
 *   too: the peer refuses that activity), refusals of the guarded client and suspended domains:
 *   dropped at once, kept among the dropped deliveries.
 * - A domain failing a few times in a row over a few seconds is dead: one request at a time probes
 *   it, on the same spacing, while its other inboxes wait for the probe's outcome.
 *
 * Each start registers the worker in the store (see WorkerRegistry); its leases name it, and the
 * leases of workers found dead are voided at once. One loop per instance of this class, all state on
 * the instance. Errors are logged, never thrown out.
 */
export class DeliveryWorker {
  readonly #ctx: FederationContext;
  readonly #concurrency: number;
  readonly #perDomain: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #clock: () => number;
  readonly #stopTimeoutMs: number;
  readonly #maxAgeMs: number;
  readonly #spacing: { share: number; minMs: number; maxMs: number; random: () => number };
  readonly #maxRetryAfterMs: number;
  readonly #heartbeatMs: number;
  readonly #keepDroppedMs: number;
  readonly #registry: WorkerRegistry;
  readonly #peers: PeerHealth;

  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #beatTimer: NodeJS.Timeout | null = null;
  #pumping: Promise<void> | null = null;
  #again = false;
  #registered: Promise<string | null> | null = null;
  readonly #active = new Set<Promise<void>>();
  /** Bumped when stop() gives up on sends still in flight: their late outcomes are not written. */
  #epoch = 0;
  #prunedAt = Number.NEGATIVE_INFINITY;
  #countedAt = Number.NEGATIVE_INFINITY;

  constructor(ctx: FederationContext, opts: DeliveryWorkerOptions = {}) {
    this.#ctx = ctx;
    this.#concurrency = atLeastOne(opts.concurrency ?? ctx.s.config.deliveryConcurrency, "concurrency");
    this.#perDomain = atLeastOne(opts.perDomain ?? 2, "perDomain");
    this.#leaseMs = atLeastOne(opts.leaseMs ?? 60_000, "leaseMs");
    this.#pollMs = atLeastOne(opts.pollMs ?? 1000, "pollMs");
    this.#clock = opts.clock ?? ctx.s.clock;
    this.#stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
    this.#maxAgeMs = atLeastOne(opts.maxAgeMs ?? ctx.s.config.deliveryMaxAgeMs, "maxAgeMs");
    this.#spacing = {
      share: opts.retryShare ?? 0.1,
      minMs: opts.minRetryMs ?? 2000,
      maxMs: opts.maxRetryMs ?? 5 * 60_000,
      random: opts.random ?? Math.random,
    };
    this.#maxRetryAfterMs = opts.maxRetryAfterMs ?? HOUR;
    this.#heartbeatMs = atLeastOne(opts.heartbeatMs ?? 5000, "heartbeatMs");
    this.#keepDroppedMs = opts.keepDroppedMs ?? 30 * DAY;
    this.#registry = new WorkerRegistry(ctx.s.store.federation.deliveries, ctx.s.logger, {
      ...(opts.host !== undefined ? { host: opts.host } : {}),
      deadAfterMs: opts.workerDeadAfterMs ?? 30_000,
      clock: ctx.s.clock,
    });
    this.#peers = new PeerHealth(ctx.s, {
      deadAfterFailures: opts.deadAfterFailures ?? 3,
      deadAfterMs: opts.deadAfterMs ?? 10_000,
      refreshMs: this.#heartbeatMs,
      maxAgeMs: this.#maxAgeMs,
      clock: this.#clock,
      spacing: (failingForMs) => this.retryDelay(failingForMs),
      woken: () => this.kick(),
    });
  }

  get running(): boolean {
    return this.#running;
  }

  /** Sends in flight right now. */
  get inFlight(): number {
    return this.#active.size;
  }

  /** This worker's id in the store while it is registered (after start or runOnce), else null. */
  get id(): string | null {
    return this.#registry.id;
  }

  /**
   * Starts the loop: registers the worker, voids the leases of dead workers, then looks at the
   * queue now, on every poll and every kick, and marks itself alive every `heartbeatMs`.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#registered = this.#register();
    this.#beatTimer = setInterval(() => void this.#beat(), this.#heartbeatMs);
    this.#beatTimer.unref();
    this.kick();
  }

  /**
   * Stops claiming, then waits for the sends in flight, at most `stopTimeoutMs`. With none left, it
   * removes its record (voiding any lease it still holds); otherwise the record stays, and the
   * workers that find it dead void the leases of what was still in flight.
   */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#beatTimer) clearInterval(this.#beatTimer);
    this.#beatTimer = null;
    if (this.#pumping) await this.#pumping;
    if (this.#active.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#stopTimeoutMs);
        timer.unref();
      });
      const done = Promise.allSettled([...this.#active]).then(() => false);
      const late = await Promise.race([done, timedOut]);
      clearTimeout(timer);
      if (late) {
        // The store may close after this: the late outcomes are not written.
        this.#epoch++;
        this.#ctx.s.logger.warn("stopped with deliveries still in flight", { inFlight: this.#active.size });
        return;
      }
    }
    if (this.#registered) await this.#registered;
    this.#registered = null;
    try {
      await this.#registry.unregister();
    } catch (err) {
      this.#ctx.s.logger.warn("could not remove the delivery worker's record", { err });
    }
  }

  /** Looks at the queue now (after an enqueue). Does nothing unless started. */
  kick(): void {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Claims one batch and sends it, waiting for every outcome; returns how many items it claimed. */
  async runOnce(): Promise<number> {
    const room = this.#concurrency - this.#active.size;
    if (room <= 0) return 0;
    this.#registered ??= this.#register();
    await this.#registered;
    const items = await this.#claim(room);
    await Promise.all(items.map((item) => this.#track(item)));
    return items.length;
  }

  /**
   * A verified activity came from `domain`: it is alive. When the domain is in a run of failures,
   * the run ends and its waiting inboxes are due at once; otherwise nothing is written (the set of
   * failing domains is read from the store at most every `heartbeatMs`).
   */
  async peerAnswered(domain: string): Promise<void> {
    try {
      await this.#peers.refreshIfStale();
      // Normalizing the domain costs more than the rest; with no domain failing there is no need.
      if (!this.#peers.anyFailing) return;
      const d = normalizeDomain(domain);
      if (d === null || !this.#peers.has(d)) return;
      await this.#peers.endRun(d, this.#clock(), true);
    } catch (err) {
      this.#ctx.s.logger.error("could not record that a peer answered", { domain, err });
    }
  }

  /**
   * Calls `listener` whenever a domain that was down answers again: a send to a dead domain
   * succeeded, or `peerAnswered` ended its run of failures. Returns a function that unsubscribes.
   */
  onPeerBack(listener: (domain: string) => void | Promise<void>): () => void {
    return this.#peers.onBack(listener);
  }

  /**
   * How many of a domain's `perDomain` sends this worker holds at most: its even part among the
   * workers alive when it last looked (at most a poll ago), rounded up. Without it, the worker whose send finishes
   * first takes each freed slot at once (a finished send claims again), and a worker that only
   * polls finds every domain full and sends nothing.
   */
  get domainShare(): number {
    return Math.ceil(this.#perDomain / this.#registry.live);
  }

  /** The wait before the next try of a destination failing for `failingForMs` (see retrySpacing). */
  retryDelay(failingForMs: number): number {
    return retrySpacing(failingForMs, this.#spacing);
  }

  async #register(): Promise<string | null> {
    try {
      const id = await this.#registry.register();
      await this.#housekeeping();
      return id;
    } catch (err) {
      this.#ctx.s.logger.error("could not register the delivery worker", { err });
      return null;
    }
  }

  async #beat(): Promise<void> {
    try {
      await this.#registry.beat();
      await this.#housekeeping();
    } catch (err) {
      this.#ctx.s.logger.error("the delivery worker's heartbeat failed", { err });
    }
  }

  /** Voids dead workers' leases, refreshes the failing domains, prunes old drops (hourly). */
  async #housekeeping(): Promise<void> {
    const voided = await this.#registry.reap();
    await this.#peers.refresh();
    const now = this.#clock();
    if (now - this.#prunedAt >= HOUR) {
      this.#prunedAt = now;
      await this.#ctx.s.store.federation.deliveries.pruneDropped(now - this.#keepDroppedMs);
    }
    if (voided > 0) this.kick();
  }

  async #pump(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      if (this.#registered) await this.#registered;
      while (this.#running) {
        this.#again = false;
        const room = this.#concurrency - this.#active.size;
        if (room <= 0) break; // a send that finishes kicks again
        const items = await this.#claim(room);
        for (const item of items) void this.#track(item);
        // Fewer than asked: nothing else is due, or the rest waits for a domain's sends to finish.
        if (items.length < room) break;
      }
    } catch (err) {
      this.#ctx.s.logger.error("the delivery loop failed", { err });
    }
    if (this.#running) {
      this.#timer = setTimeout(() => this.kick(), this.#pollMs);
      this.#timer.unref();
    }
  }

  async #claim(limit: number): Promise<Delivery[]> {
    try {
      const { deliveries } = this.#ctx.s.store.federation;
      // A worker that joined since the last look gets its share within a poll, not a heartbeat.
      const now = this.#clock();
      if (now - this.#countedAt >= this.#pollMs) {
        this.#countedAt = now;
        await this.#registry.countLive();
      }
      return await deliveries.claim(
        this.#clock(),
        limit,
        this.#leaseMs,
        this.#perDomain,
        this.#registry.id,
        this.domainShare,
      );
    } catch (err) {
      this.#ctx.s.logger.error("could not claim deliveries", { err });
      return [];
    }
  }

  #track(item: Delivery): Promise<void> {
    const epoch = this.#epoch;
    const p: Promise<void> = this.#deliver(item, epoch)
      .catch((err: unknown) => {
        this.#ctx.s.logger.error("delivery bookkeeping failed", { id: item.id, inbox: item.inbox, err });
      })
      .finally(() => {
        this.#active.delete(p);
        this.kick();
      });
    this.#active.add(p);
    return p;
  }

  async #deliver(item: Delivery, epoch: number): Promise<void> {
    const { s } = this.#ctx;
    // The rules may have changed since the item was queued: a suspended domain gets nothing.
    const suspended = deliverySuspension(this.#ctx, item);
    if (suspended !== null) return this.#drop(item, `Dropped: ${suspended}`);
    const actor = await this.#signer(item.keyId);
    if (actor === null) return this.#drop(item, `No local actor signs ${item.keyId.slice(0, 300)}.`);
    if (this.#peers.failing(item) && !(await this.#peers.mayProbe(item))) return;

    let res: GuardedResponse;
    try {
      res = await this.#ctx.signedPost(item.inbox, actor, item.body);
    } catch (err) {
      if (epoch !== this.#epoch) return;
      if (err instanceof FetchRefused && err.reason !== "timeout") {
        return this.#drop(item, `Refused (${err.reason}): ${err.message}`);
      }
      if (!(err instanceof FetchFailed || err instanceof FetchRefused)) {
        s.logger.error("unexpected error while delivering", { id: item.id, inbox: item.inbox, err });
      }
      return this.#retry(item, err instanceof Error ? err.message : String(err), null);
    }
    if (epoch !== this.#epoch) return;

    const now = this.#clock();
    const verdict = verdictOf(res.status, res.headers["content-type"]);
    const error = `HTTP ${res.status}${snippet(res.body)}`;
    if (verdict === "retry") return this.#retry(item, error, retryAfter(res.headers["retry-after"], now));
    if (verdict === "delivered") {
      await s.store.federation.deliveries.complete(item.id, now);
      s.logger.debug("delivered", { inbox: item.inbox, activityId: item.activityId, status: res.status });
    } else {
      await this.#drop(item, error);
      if (verdict === "gone") await this.#removeGoneFollower(item.inbox);
    }
    // Any answer that is not retried shows the domain alive.
    await this.#peers.answered(item, now);
  }

  /** The local actor that signs an item, from the actor id (or key id) it names; null if not ours. */
  async #signer(keyId: string): Promise<string | null> {
    const { ids, s } = this.#ctx;
    const actor = actorOfKey(keyId);
    if (actor === ids.anonymousActor() || actor === ids.instanceActor()) return actor;
    // A board's staff sign what they send to a removed post's origin.
    const board = ids.boardOf(actor) ?? ids.staffBoardOf(actor);
    // A deleted board must not sign: its key would be made anew, under an identity that is gone.
    if (board !== null && (await s.store.boards.get(board)) !== null) return actor;
    return null;
  }

  async #retry(item: Delivery, error: string, notBefore: number | null): Promise<void> {
    const { s } = this.#ctx;
    const now = this.#clock();
    const { dead } = await this.#peers.failed(item.domain, now);
    let next = now + this.retryDelay(now - (item.failingSince ?? now));
    if (notBefore !== null) next = Math.max(next, Math.min(notBefore, now + this.#maxRetryAfterMs));
    await s.store.federation.deliveries.fail(item.id, {
      at: Math.ceil(next),
      error,
      now,
      dropCreatedBefore: now - this.#maxAgeMs + 1,
      expiredError: `Gave up after ${waited(this.#maxAgeMs)} of failures: ${error}`,
    });
    s.logger.info("delivery failed; will retry", {
      inbox: item.inbox,
      activityId: item.activityId,
      attempts: item.attempts + 1,
      retryAt: new Date(next).toISOString(),
      domainDead: dead,
      error,
    });
  }

  async #drop(item: Delivery, error: string): Promise<void> {
    await this.#ctx.s.store.federation.deliveries.drop(item.id, error, this.#clock());
    this.#ctx.s.logger.warn("delivery dropped", { inbox: item.inbox, activityId: item.activityId, error });
  }

  /** A 410 from an inbox: the followers delivered there are gone; forget their follows. */
  async #removeGoneFollower(inbox: string): Promise<void> {
    const { follows } = this.#ctx.s.store.federation;
    let removed = 0;
    for (const board of await this.#ctx.s.store.boards.list()) {
      for (const f of await follows.followersOf(board.uri)) {
        if (f.inbox === inbox || f.sharedInbox === inbox) {
          if (await follows.remove(f.actorId, f.objectId)) removed++;
        }
      }
    }
    if (removed > 0) this.#ctx.s.logger.info("removed followers whose inbox is gone", { inbox, removed });
  }
}

/** The actor a delivery's `keyId` names (an actor id, or its `#main-key`). */
export function actorOfKey(keyId: string): string {
  return keyId.endsWith("#main-key") ? keyId.slice(0, -"#main-key".length) : keyId;
}

/**
 * Why the domain rules forbid sending a delivery now (its inbox's domain is suspended for the
 * instance, or by the rules of the board that signs it), or null.
 */
export function deliverySuspension(ctx: FederationContext, item: { inbox: string; domain: string; keyId: string }) {
  const { s, ids } = ctx;
  const host = domainOfUrl(item.inbox) ?? normalizeDomain(item.domain);
  if (host === null) return `${item.inbox.slice(0, 200)} has no usable host.`;
  const board = ids.boardOf(actorOfKey(item.keyId));
  const decision = board === null ? s.policy.check(host) : s.policy.check(host, board);
  if (!decision.suspended) return null;
  return `${host} is suspended by the domain rules${board === null ? "" : ` of /${board}/`} (${decision.reason}).`;
}

function atLeastOne(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 1) throw new RangeError(`${name} must be at least 1`);
  return Math.floor(value);
}
