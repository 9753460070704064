import { createHmac } from "node:crypto";
import type { RequestLimitSettings } from "../config.js";
import { hashIp } from "../domain/ip.js";
import type { LimitStore } from "../domain/limit-ports.js";
import { BatchedCounter } from "./batched-counter.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";

export const LIMIT_WINDOW_MS = 60_000;
/**
 * Inbox budgets are per minute, spent in slices of a sixth: a burst cannot take a minute's budget in
 * a second, and a peer refused is asked to wait seconds, not a minute.
 */
const INBOX_SLICES = 6;
/** How often counted reads and inbox POSTs are sent to the store. */
const FLUSH_INTERVAL_MS = 250;
/**
 * Expired limit rows (counters, cooldown slots, spent captchas) are pruned this often, at most a batch
 * of each kind at a time; while batches come back full, again at the next flush, until none is left.
 */
const PRUNE_INTERVAL_MS = 10_000;
const PRUNE_BATCH = 1000;
/** A search costs this many page reads: the read budget divided by it is the search budget. */
const SEARCH_COST = 20;
/** Address hashes kept for the hot path before the memo starts afresh. */
const MAX_MEMO = 10_000;

export interface SharedLimitsDeps {
  store: LimitStore;
  clock: Clock;
  logger: Logger;
  /** False with RATE_LIMIT=off: every check lets the request through (pruning still runs). */
  enabled: boolean;
  limits: RequestLimitSettings;
  /** The instance's address-hashing key: counters are kept by address hash, never by address. */
  ipKey: string;
  windowMs?: number;
  flushIntervalMs?: number;
}

/**
 * The request limits of the instance, held in the store so that every process sharing it enforces
 * one budget. Reads and inbox POSTs are decided at once and counted in batches (BatchedCounter: no
 * store write per request, a small bounded overshoot); writes and admin API requests are counted in
 * the store before they are let through. Each check returns 0 to let the request through, or the
 * seconds until its budget is renewed. The same timer prunes expired limit rows now and then.
 */
export class SharedLimits {
  private readonly windowMs: number;
  private readonly reads: BatchedCounter;
  private readonly searches: BatchedCounter;
  private readonly inbox: BatchedCounter;
  private readonly inboxActor: BatchedCounter;
  private readonly inboxFailures: BatchedCounter;
  private readonly memo = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private nextPrune = 0;
  private failing = false;

  constructor(private readonly d: SharedLimitsDeps) {
    this.windowMs = d.windowMs ?? LIMIT_WINDOW_MS;
    const counter = (limit: number) =>
      new BatchedCounter({ counters: d.store.counters, clock: d.clock, limit, windowMs: this.windowMs });
    this.reads = counter(d.limits.reads);
    this.searches = counter(Math.max(1, Math.floor(d.limits.reads / SEARCH_COST)));
    const slice = (perWindow: number) =>
      new BatchedCounter({
        counters: d.store.counters,
        clock: d.clock,
        limit: Math.ceil(perWindow / INBOX_SLICES),
        windowMs: Math.ceil(this.windowMs / INBOX_SLICES),
      });
    this.inbox = slice(d.limits.inbox);
    this.inboxActor = slice(d.limits.inboxActor);
    this.inboxFailures = counter(d.limits.inboxFailures);
  }

  /** A read from `ip`: decided without waiting for the store. */
  read(ip: string): number {
    if (!this.d.enabled) return 0;
    return this.reads.hit(`r:${this.addressKey(ip)}`);
  }

  /** A full-text search from `ip` (on top of the read it also is): decided without waiting for the store. */
  search(ip: string): number {
    if (!this.d.enabled) return 0;
    return this.searches.hit(`s:${this.addressKey(ip)}`);
  }

  /** A write from `ip`: counted in the store first. Throws when the store fails (the write is not let through). */
  async write(ip: string): Promise<number> {
    if (!this.d.enabled) return 0;
    return this.count(`w:${this.addressKey(ip)}`, this.d.limits.writes);
  }

  /**
   * An admin API request from `ip`, on a budget of its own. Counted in the store first; when the
   * store fails, a read is let through (and the failure logged) and a write is not.
   */
  async admin(ip: string, write: boolean): Promise<number> {
    if (!this.d.enabled) return 0;
    try {
      return await this.count(`a:${this.addressKey(ip)}`, this.d.limits.admin);
    } catch (err) {
      if (write) throw err;
      this.d.logger.warn("could not count an admin API read; letting it through", { err });
      return 0;
    }
  }

  /*
   * Inbox budgets. A Signature header names a key anyone can name, so the budgets are only looked at
   * before the signature is checked (a refusal once spent), and spent once it has been: a forger
   * cannot spend a domain's budget. Failed verifications have a budget of their own per claimed
   * domain, which decides only how much work a bad request may still cost (see the inbox).
   */

  /** 0, or the seconds until the budget of inbox POSTs signed on `domain` (lower case) is renewed. Counts nothing. */
  inboundSpent(domain: string): number {
    if (!this.d.enabled) return 0;
    return this.inbox.peek(`in:${domain}`);
  }

  /** 0, or the seconds until the budget of inbox POSTs signed by `actor`'s key is renewed. Counts nothing. */
  inboundActorSpent(actor: string): number {
    if (!this.d.enabled) return 0;
    return this.inboxActor.peek(`ia:${actor}`);
  }

  /**
   * An inbox POST whose signature was verified: counted against its domain and, unless it has none
   * (null: an actor a board follows), its actor. It is let through whatever is left.
   */
  countInbound(domain: string, actor: string | null): void {
    if (!this.d.enabled) return;
    this.inbox.add(`in:${domain}`);
    if (actor !== null) this.inboxActor.add(`ia:${actor}`);
  }

  /** An inbox POST claiming a key on `domain` whose signature could not be verified. */
  inboundFailure(domain: string): void {
    if (!this.d.enabled) return;
    this.inboxFailures.add(`if:${domain}`);
  }

  /** 0, or the seconds until the budget of failed verifications claiming keys on `domain` is renewed. */
  inboundFailuresSpent(domain: string): number {
    if (!this.d.enabled) return 0;
    return this.inboxFailures.peek(`if:${domain}`);
  }

  /** Starts sending counts (and pruning) on a timer; `stop` ends it. */
  start(): void {
    if (this.timer) return;
    this.nextPrune = this.d.clock() + PRUNE_INTERVAL_MS;
    this.timer = setInterval(() => void this.tick(), this.d.flushIntervalMs ?? FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and sends what is still counted here, so a restart loses no count. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush().catch((err: unknown) => this.d.logger.warn("could not send the last request counts", { err }));
  }

  /** Sends the counted reads and inbox POSTs now. Throws when the store fails (the counts are kept). */
  async flush(): Promise<void> {
    await Promise.all([this.reads.flush(), this.inbox.flush(), this.inboxActor.flush(), this.inboxFailures.flush()]);
  }

  private async tick(): Promise<void> {
    try {
      await this.flush();
      const now = this.d.clock();
      if (now >= this.nextPrune) {
        const removed = await this.d.store.prune(now, PRUNE_BATCH);
        this.nextPrune = removed >= PRUNE_BATCH ? now : now + PRUNE_INTERVAL_MS;
      }
      if (this.failing) this.d.logger.info("request counts reach the store again");
      this.failing = false;
    } catch (err) {
      // Requests go on being decided on what is known here; one warning per outage, not per tick.
      if (!this.failing) this.d.logger.warn("could not share request counts through the store", { err });
      this.failing = true;
    }
  }

  private async count(key: string, limit: number): Promise<number> {
    const now = this.d.clock();
    const window = now - (now % this.windowMs);
    const [total = 0] = await this.d.store.counters.add([{ key, window, count: 1, expiresAt: window + this.windowMs }]);
    if (total <= limit) return 0;
    return Math.max(1, Math.ceil((window + this.windowMs - now) / 1000));
  }

  /** The address's hash (as bans and cooldowns key it), remembered for the hot path. */
  private addressKey(ip: string): string {
    let key = this.memo.get(ip);
    if (key === undefined) {
      if (this.memo.size >= MAX_MEMO) this.memo.clear();
      try {
        key = hashIp(ip, this.d.ipKey);
      } catch {
        // Not an address (a proxy sent something else): still counted, by what it is.
        key = createHmac("sha256", this.d.ipKey).update(`raw:${ip}`).digest("hex").slice(0, 32);
      }
      this.memo.set(ip, key);
    }
    return key;
  }
}
