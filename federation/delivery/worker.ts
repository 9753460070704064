import { domainOfUrl, normalizeDomain } from "../../server/domain/domain-policy.js";
import type { Delivery, DomainHealth } from "../../server/domain/federation-ports.js";
import type { FederationContext } from "../context.js";
import { FetchFailed, FetchRefused, type GuardedResponse } from "../http/guarded-fetch.js";

export interface DeliveryWorkerOptions {
  /** Sends in flight at once. Default 8. */
  concurrency?: number;
  /** Sends in flight to one domain, across every worker sharing the queue. Default 2. */
  perDomain?: number;
  /** How long a claimed item stays ours; longer than a send may take. Default 60 s. */
  leaseMs?: number;
  /** How often the queue is looked at when nobody calls `kick()`. Default 1 s. */
  pollMs?: number;
  /** "Now" for claims, back-off and ages (tests move it). Default: the instance's clock. */
  clock?: () => number;
  /** How long `stop()` waits for sends in flight. Default 5 s. */
  stopTimeoutMs?: number;
  /** An item older than this is given up on at its next failure. Default 48 h. */
  maxAgeMs?: number;
  /** The first retry comes after about this long, doubling with each failure. Default 30 s. */
  baseDelayMs?: number;
  /** No single retry waits longer than this. Default 6 h. */
  maxDelayMs?: number;
  /** A domain is treated as dead after this many failures in a row… Default 10. */
  deadAfterFailures?: number;
  /** …that span at least this long. Default 1 h. */
  deadAfterMs?: number;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Sends what the publisher queued: claims due items, POSTs each one signed by the local actor named
 * in the item's `keyId` field (an actor id, see DeliveryPublisher; a key id is accepted too), and
 * records the outcome.
 *
 * - 2xx: delivered, removed from the queue; the domain counts as healthy.
 * - 408, 429, 5xx, network failures and timeouts: tried again after 30 s × 2^attempts (±20 %,
 *   at most 6 h per step, later if the peer sends Retry-After), until the item is 48 h old.
 * - Any other 4xx, a redirect, or a refusal of the guarded client (private address, scheme…): given
 *   up at once, recorded among the dropped deliveries. A 410 also removes the follows delivered to
 *   that inbox: the follower is gone.
 * - A domain that has failed many times in a row over more than an hour is dead: its items wait
 *   for the domain's next probe time instead of being sent, so one probe at a time finds out when
 *   it is back; its first success ends the run.
 *
 * One loop per instance of this class, all state on the instance. The queue's leases make several
 * workers (in this process or others) safe on one store. Errors are logged, never thrown out.
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
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #deadAfterFailures: number;
  readonly #deadAfterMs: number;
  readonly #random: () => number;

  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #pumping: Promise<void> | null = null;
  #again = false;
  readonly #active = new Set<Promise<void>>();
  /** Bumped when stop() gives up on sends still in flight: their late outcomes are not written. */
  #epoch = 0;

  constructor(ctx: FederationContext, opts: DeliveryWorkerOptions = {}) {
    this.#ctx = ctx;
    this.#concurrency = atLeastOne(opts.concurrency ?? 8, "concurrency");
    this.#perDomain = atLeastOne(opts.perDomain ?? 2, "perDomain");
    this.#leaseMs = atLeastOne(opts.leaseMs ?? 60_000, "leaseMs");
    this.#pollMs = atLeastOne(opts.pollMs ?? 1000, "pollMs");
    this.#clock = opts.clock ?? ctx.s.clock;
    this.#stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
    this.#maxAgeMs = opts.maxAgeMs ?? 48 * HOUR;
    this.#baseDelayMs = opts.baseDelayMs ?? 30_000;
    this.#maxDelayMs = opts.maxDelayMs ?? 6 * HOUR;
    this.#deadAfterFailures = opts.deadAfterFailures ?? 10;
    this.#deadAfterMs = opts.deadAfterMs ?? HOUR;
    this.#random = opts.random ?? Math.random;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Sends in flight right now. */
  get inFlight(): number {
    return this.#active.size;
  }

  /** Starts the loop: looks at the queue now, then on every poll and every kick. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.kick();
  }

  /** Stops claiming, then waits for the sends in flight, at most `stopTimeoutMs`. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pumping) await this.#pumping;
    if (this.#active.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.#stopTimeoutMs);
      timer.unref();
    });
    const done = Promise.allSettled([...this.#active]).then(() => false);
    if (await Promise.race([done, timedOut])) {
      // The store may close after this; the items keep their leases and are sent again once those run out.
      this.#epoch++;
      this.#ctx.s.logger.warn("stopped with deliveries still in flight", { inFlight: this.#active.size });
    }
    clearTimeout(timer);
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
    const items = await this.#claim(room);
    await Promise.all(items.map((item) => this.#track(item)));
    return items.length;
  }

  async #pump(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    try {
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
      return await this.#ctx.s.store.federation.deliveries.claim(this.#clock(), limit, this.#leaseMs, this.#perDomain);
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
    const suspended = this.#suspension(item);
    if (suspended !== null) {
      await this.#drop(item, `Dropped: ${suspended}`);
      return;
    }
    const actor = await this.#signer(item.keyId);
    if (actor === null) {
      await this.#drop(item, `No local actor signs ${item.keyId.slice(0, 300)}.`);
      return;
    }
    const probeAt = this.#probeTime(await s.store.federation.domains.get(item.domain));
    const startedAt = this.#clock();
    if (probeAt !== null && startedAt < probeAt) {
      if (startedAt - item.createdAt >= this.#maxAgeMs) {
        await this.#drop(item, `Gave up after ${hours(startedAt - item.createdAt)} h: ${item.domain} is unreachable.`);
      } else {
        // Not an attempt at the peer, only a postponement; the queue still counts it as one.
        await s.store.federation.deliveries.fail(item.id, probeAt, `Postponed: ${item.domain} is unreachable.`);
      }
      return;
    }

    let res: GuardedResponse;
    try {
      res = await this.#ctx.signedPost(item.inbox, actor, item.body);
    } catch (err) {
      if (epoch !== this.#epoch) return;
      if (err instanceof FetchRefused && err.reason !== "timeout") {
        await this.#drop(item, `Refused (${err.reason}): ${err.message}`);
      } else if (err instanceof FetchFailed || err instanceof FetchRefused) {
        await this.#retry(item, err.message, null);
      } else {
        s.logger.error("unexpected error while delivering", { id: item.id, inbox: item.inbox, err });
        await this.#retry(item, err instanceof Error ? err.message : String(err), null);
      }
      return;
    }
    if (epoch !== this.#epoch) return;

    const status = res.status;
    const now = this.#clock();
    if (status >= 200 && status < 300) {
      await s.store.federation.deliveries.complete(item.id);
      await s.store.federation.domains.recordSuccess(item.domain, now);
      s.logger.debug("delivered", { inbox: item.inbox, activityId: item.activityId, status });
      return;
    }
    const error = `HTTP ${status}${snippet(res.body)}`;
    if (status === 408 || status === 429 || status >= 500) {
      await this.#retry(item, error, retryAfter(res.headers["retry-after"], now));
      return;
    }
    await this.#drop(item, error);
    if (status === 410) await this.#removeGoneFollower(item.inbox);
  }

  /**
   * Why the domain rules forbid sending the item (its inbox's domain is suspended for the instance,
   * or by the rules of the board that signs it), or null.
   */
  #suspension(item: Delivery): string | null {
    const { s, ids } = this.#ctx;
    const host = domainOfUrl(item.inbox) ?? normalizeDomain(item.domain);
    if (host === null) return `${item.inbox.slice(0, 200)} has no usable host.`;
    const actor = item.keyId.endsWith("#main-key") ? item.keyId.slice(0, -"#main-key".length) : item.keyId;
    const board = ids.boardOf(actor);
    const decision = board === null ? s.policy.check(host) : s.policy.check(host, board);
    if (!decision.suspended) return null;
    return `${host} is suspended by the domain rules${board === null ? "" : ` of /${board}/`} (${decision.reason}).`;
  }

  /** The local actor that signs an item, from the actor id (or key id) it names; null if not ours. */
  async #signer(keyId: string): Promise<string | null> {
    const { ids, s } = this.#ctx;
    const actor = keyId.endsWith("#main-key") ? keyId.slice(0, -"#main-key".length) : keyId;
    if (actor === ids.anonymousActor() || actor === ids.instanceActor()) return actor;
    const board = ids.boardOf(actor);
    // A deleted board must not sign: its key would be made anew, under an identity that is gone.
    if (board !== null && (await s.store.boards.get(board)) !== null) return actor;
    return null;
  }

  /** When a dead domain is next worth trying, or null when the domain is not dead. */
  #probeTime(health: DomainHealth | null): number | null {
    if (!health || health.firstFailureAt === null || health.lastFailureAt === null) return null;
    if (health.consecutiveFailures < this.#deadAfterFailures) return null;
    const span = health.lastFailureAt - health.firstFailureAt;
    if (span < this.#deadAfterMs) return null;
    // Probe more rarely the longer it has been down: a quarter of the outage, from 5 min to the step cap.
    return health.lastFailureAt + Math.min(this.#maxDelayMs, Math.max(5 * MINUTE, span / 4));
  }

  async #retry(item: Delivery, error: string, notBefore: number | null): Promise<void> {
    const { s } = this.#ctx;
    const now = this.#clock();
    const run = await s.store.federation.domains.recordFailure(item.domain, now);
    if (now - item.createdAt >= this.#maxAgeMs) {
      await this.#drop(item, `Gave up after ${hours(now - item.createdAt)} h: ${error}`);
      return;
    }
    let next = now + this.backoff(item.attempts);
    if (notBefore !== null) next = Math.max(next, Math.min(notBefore, now + this.#maxDelayMs));
    const probe = this.#probeTime({
      domain: item.domain,
      consecutiveFailures: run.consecutiveFailures,
      firstFailureAt: run.firstFailureAt,
      lastFailureAt: now,
      lastSuccessAt: null,
    });
    if (probe !== null) next = Math.max(next, probe);
    // The last try comes when the item reaches its maximum age; if that fails too, it is dropped.
    next = Math.min(next, item.createdAt + this.#maxAgeMs);
    await s.store.federation.deliveries.fail(item.id, Math.ceil(next), error);
    s.logger.info("delivery failed; will retry", {
      inbox: item.inbox,
      activityId: item.activityId,
      attempts: item.attempts + 1,
      retryAt: new Date(next).toISOString(),
      error,
    });
  }

  /** The wait before the next try after `attempts` earlier failures: exponential, ±20 %, capped. */
  backoff(attempts: number): number {
    const exp = this.#baseDelayMs * 2 ** Math.min(Math.max(0, attempts), 30);
    const jitter = 0.8 + 0.4 * this.#random();
    return Math.min(this.#maxDelayMs, Math.round(exp * jitter));
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

function atLeastOne(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 1) throw new RangeError(`${name} must be at least 1`);
  return Math.floor(value);
}

/** The start of a response body, for the error recorded with the item. */
function snippet(body: Buffer): string {
  const text = body.subarray(0, 300).toString("utf8").replace(/\s+/g, " ").trim();
  return text === "" ? "" : `: ${text.slice(0, 200)}`;
}

/** A Retry-After header (seconds or an HTTP date) as a time, or null. */
function retryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (/^[0-9]{1,9}$/.test(v)) return now + Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? at : null;
}

function hours(ms: number): string {
  return (ms / HOUR).toFixed(1);
}
