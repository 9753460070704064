import type { InboundRetry } from "../../server/domain/federation-ports.js";
import type { Services } from "../../server/services/container.js";
import { InboxRefusal, TransientFailure } from "./errors.js";
import type { Inbox } from "./inbox.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How long activities given up on stay listed. */
const KEEP_FAILED_MS = 30 * DAY;

export interface InboxRetryOptions {
  /** How often the queue is looked at. Default 5 s. */
  pollMs?: number;
  /** Items tried at once. Default 4. */
  batch?: number;
  /** How long a claimed item stays this process's; longer than a try may take. Default 5 min. */
  leaseMs?: number;
  /** How long an activity is tried before it is given up on. Default 7 days. */
  horizonMs?: number;
  /**
   * After this long, a try is the last chance for what a post can do without (its image): the post
   * is taken without it rather than wait any longer. Default 1 h.
   */
  patienceMs?: number;
  /** "Now" (tests move it). Default: the instance's clock. */
  clock?: () => number;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * Tries again the activities the inbox kept (see Inbox's retry queue): every few seconds it leases
 * the due ones and runs each through the post-signature stage again. Done, ignored or refused: the
 * item goes. Still out of reach: tried again after a tenth of its age (±20 %, from 10 s to an
 * hour a step), until it is `horizonMs` old; then it is given up on, kept in the queue's failed list for an
 * operator to see and replay (for 30 days). One loop per instance, in the processes that send
 * deliveries.
 */
export class InboxRetryWorker {
  readonly #s: Pick<Services, "store" | "logger" | "clock">;
  readonly #inbox: Inbox;
  readonly #pollMs: number;
  readonly #batch: number;
  readonly #leaseMs: number;
  readonly #horizonMs: number;
  readonly #patienceMs: number;
  readonly #clock: () => number;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #lastPrune = 0;
  #pass: Promise<unknown> | null = null;

  constructor(s: Pick<Services, "store" | "logger" | "clock">, inbox: Inbox, opts: InboxRetryOptions = {}) {
    this.#s = s;
    this.#inbox = inbox;
    this.#pollMs = opts.pollMs ?? 5000;
    this.#batch = opts.batch ?? 4;
    this.#leaseMs = opts.leaseMs ?? 5 * MINUTE;
    this.#horizonMs = opts.horizonMs ?? 7 * DAY;
    this.#patienceMs = opts.patienceMs ?? HOUR;
    this.#clock = opts.clock ?? s.clock;
    this.#random = opts.random ?? Math.random;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops looking at the queue and waits for the tries under way (their leases cover a crash). */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pass;
  }

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#pass = this.runOnce()
        .catch((err: unknown) => this.#s.logger.error("inbox retries failed", { err }))
        .finally(() => {
          this.#pass = null;
          this.#schedule(this.#pollMs);
        });
    }, ms);
    this.#timer.unref();
  }

  /** Claims the due items and tries each; returns how many were tried. */
  async runOnce(): Promise<number> {
    const queue = this.#s.store.federation.inboundRetries;
    const now = this.#clock();
    if (now - this.#lastPrune >= HOUR) {
      this.#lastPrune = now;
      await queue.pruneFailed(now - KEEP_FAILED_MS);
    }
    let tried = 0;
    for (;;) {
      const items = await queue.claim(this.#clock(), this.#batch, this.#leaseMs);
      await Promise.all(items.map((item) => this.#try(item)));
      tried += items.length;
      if (items.length < this.#batch || !this.#running) return tried;
    }
  }

  async #try(item: InboundRetry): Promise<void> {
    const queue = this.#s.store.federation.inboundRetries;
    const { logger } = this.#s;
    const age = this.#clock() - item.receivedAt;
    try {
      const result = await this.#inbox.retry(item, age >= this.#patienceMs);
      await queue.remove(item.id);
      logger.info("inbox: a kept activity was taken", { id: item.id, outcome: result.outcome, detail: result.detail });
    } catch (err) {
      if (err instanceof InboxRefusal && err.status !== 503) {
        await queue.remove(item.id);
        logger.info("inbox: a kept activity is refused now", { id: item.id, status: err.status, reason: err.message });
        return;
      }
      const why = err instanceof TransientFailure || err instanceof InboxRefusal ? err.message : String(err);
      if (!(err instanceof TransientFailure)) logger.error("inbox: a kept activity failed", { id: item.id, err });
      const now = this.#clock();
      if (now - item.receivedAt >= this.#horizonMs) {
        await queue.giveUp(item.id, why, now);
        logger.warn("inbox: gave up on a kept activity", { id: item.id, attempts: item.attempts + 1, error: why });
        return;
      }
      const next = Math.min(now + this.backoff(now - item.receivedAt), item.receivedAt + this.#horizonMs);
      await queue.retryAt(item.id, Math.ceil(next), why);
    }
  }

  /**
   * The wait before the next try of an item kept for `ageMs`: a tenth of its age (±20 %), from 10 s
   * to an hour. What is out of reach for a moment is tried again soon; what stays out of reach for
   * days is tried about once an hour.
   */
  backoff(ageMs: number): number {
    const wait = Math.min(HOUR, Math.max(10_000, ageMs / 10));
    return Math.round(wait * (0.8 + 0.4 * this.#random()));
  }
}
