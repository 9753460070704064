import type { WindowCounters } from "../domain/limit-ports.js";
import type { Clock } from "./clock.js";

interface Entry {
  /** Start of the window the counts below are for. */
  window: number;
  /** The store's total for the key as last learnt (this process's sent hits included). */
  known: number;
  /** Hits on their way to the store in the flush under way. */
  sending: number;
  /** Hits counted here since the last flush began. */
  pending: number;
}

export interface BatchedCounterOptions {
  counters: WindowCounters;
  clock: Clock;
  /** Hits a key may have in one window. */
  limit: number;
  windowMs: number;
  /** Keys kept in memory before idle ones are forgotten (their counts are in the store). */
  maxKeys?: number;
}

/**
 * Hits per key in fixed windows, counted across every process that shares the store, without a
 * store write per hit: a hit is counted here and decided at once on the store's total as last
 * learnt plus what this process has counted since; `flush` sends the counts in one batch and learns
 * the totals back. So a busy key costs one store write per flush whatever its traffic.
 *
 * Processes learn of each other's hits only when they flush, so together they may let through more
 * than the limit: at most what the other processes let through for that key within one flush
 * interval, so never more than (processes − 1) × the limit, and with flushes every few hundred
 * milliseconds a handful of hits in practice. Keys at half their limit or more are read again at
 * every flush even when this process has no hit to send, so a process that sees little of a client
 * soon learns that its budget is spent elsewhere.
 */
export class BatchedCounter {
  readonly limit: number;
  private readonly entries = new Map<string, Entry>();
  private readonly maxKeys: number;
  private flushing: Promise<void> | null = null;
  /** Set when forgetting idle keys freed nothing, so it is not tried again before the next flush. */
  private crowded = false;

  constructor(private readonly o: BatchedCounterOptions) {
    this.limit = o.limit;
    this.maxKeys = o.maxKeys ?? 200_000;
  }

  /** Counts a hit on `key` and returns 0, or, when its budget is spent, the seconds until it is renewed. */
  hit(key: string): number {
    const now = this.o.clock();
    const e = this.entry(key, now);
    if (e.known + e.sending + e.pending >= this.o.limit) {
      return Math.max(1, Math.ceil((e.window + this.o.windowMs - now) / 1000));
    }
    e.pending++;
    return 0;
  }

  /** The key's entry for the window of `now`, made (or renewed) when needed. */
  private entry(key: string, now: number): Entry {
    const window = now - (now % this.o.windowMs);
    let e = this.entries.get(key);
    if (e === undefined || e.window !== window) {
      if (e === undefined && this.entries.size >= this.maxKeys && !this.crowded) this.forgetIdle(window);
      e = { window, known: 0, sending: 0, pending: 0 };
      this.entries.set(key, e);
    }
    return e;
  }

  /**
   * 0 when `key` may have another hit, or the seconds until its budget is renewed; counts nothing
   * (and remembers nothing of a key not held here: a key is learnt from its hits).
   */
  peek(key: string): number {
    const now = this.o.clock();
    const window = now - (now % this.o.windowMs);
    const e = this.entries.get(key);
    if (e === undefined || e.window !== window || e.known + e.sending + e.pending < this.o.limit) return 0;
    return Math.max(1, Math.ceil((window + this.o.windowMs - now) / 1000));
  }

  /** Counts a hit on `key` whatever its budget (one already let through): `peek` refuses the next. */
  add(key: string): void {
    this.entry(key, this.o.clock()).pending++;
  }

  /** Keys held in memory now (for tests and bounds). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Sends the hits counted since the last flush and learns the totals back (one flush at a time; a
   * call during one waits for it). When the store fails, the hits stay counted here, to be sent by
   * the next flush, and the error is thrown.
   */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    const now = this.o.clock();
    const window = now - (now % this.o.windowMs);
    this.crowded = false;
    const sends: Array<{ key: string; entry: Entry; count: number }> = [];
    const reads: Array<{ key: string; entry: Entry }> = [];
    for (const [key, entry] of this.entries) {
      if (entry.window < window) {
        // A past window: its counts no longer decide anything.
        this.entries.delete(key);
      } else if (entry.pending > 0) {
        sends.push({ key, entry, count: entry.pending });
        entry.sending += entry.pending;
        entry.pending = 0;
      } else if (entry.known * 2 >= this.o.limit) {
        reads.push({ key, entry });
      }
    }
    let totals: number[] = [];
    try {
      if (sends.length > 0)
        totals = await this.o.counters.add(
          sends.map((s) => ({
            key: s.key,
            window: s.entry.window,
            count: s.count,
            expiresAt: s.entry.window + this.o.windowMs,
          })),
        );
    } catch (err) {
      for (const s of sends) {
        s.entry.sending -= s.count;
        s.entry.pending += s.count;
      }
      throw err;
    }
    sends.forEach((s, i) => {
      s.entry.sending -= s.count;
      s.entry.known = Math.max(s.entry.known, totals[i] ?? 0);
    });
    if (reads.length === 0) return;
    const read = await this.o.counters.totals(reads.map((r) => ({ key: r.key, window: r.entry.window })));
    reads.forEach((r, i) => {
      r.entry.known = Math.max(r.entry.known, read[i] ?? 0);
    });
  }

  /** Forgets keys with nothing to send and far from their limit; the store keeps their counts. */
  private forgetIdle(window: number): void {
    for (const [key, e] of this.entries) {
      const idle = e.pending === 0 && e.sending === 0 && (e.window < window || e.known * 2 < this.o.limit);
      if (idle) this.entries.delete(key);
    }
    this.crowded = this.entries.size >= this.maxKeys;
  }
}
