import type { Delivery, PeerHealthRecord } from "../../server/domain/federation-ports.js";
import type { Services } from "../../server/services/container.js";
import { waited } from "./outcomes.js";

export interface PeerHealthOptions {
  /** A domain is dead after this many failures in a row… */
  deadAfterFailures: number;
  /** …that span at least this long. */
  deadAfterMs: number;
  /** The failing domains are read from the store again when this old. */
  refreshMs: number;
  /** Items older than this are given up on while they wait for a dead domain. */
  maxAgeMs: number;
  /** "Now" for probes and runs (the worker's clock). */
  clock: () => number;
  /** The wait before the next try of something failing for that long (see retrySpacing). */
  spacing: (failingForMs: number) => number;
  /** Called when inboxes were woken (the worker's kick). */
  woken: () => void;
}

/**
 * What the delivery worker knows of its peers' health: which domains are in a run of failures (a
 * set read from the store, and kept current by this worker's own outcomes, so a healthy domain
 * costs no store access), when a dead domain may be probed (one request at a time for all its
 * inboxes), and what happens when a failing domain answers again: the run ends, the inboxes that
 * waited with it are due at once, and listeners hear that it is back.
 */
export class PeerHealth {
  readonly #s: Pick<Services, "store" | "logger">;
  readonly #o: PeerHealthOptions;
  #failing = new Set<string>();
  #readAt = Number.NEGATIVE_INFINITY;
  /** When a success was last written per healthy domain. */
  readonly #noted = new Map<string, number>();
  readonly #back = new Set<(domain: string) => void | Promise<void>>();

  constructor(s: Pick<Services, "store" | "logger">, opts: PeerHealthOptions) {
    this.#s = s;
    this.#o = opts;
  }

  /** Whether the item's destination is failing, as far as this worker knows. */
  failing(item: Delivery): boolean {
    return this.#failing.has(item.domain) || item.failingSince !== null;
  }

  /** Whether any domain is failing, as far as this worker knows. */
  get anyFailing(): boolean {
    return this.#failing.size > 0;
  }

  /** Reads the failing domains from the store. */
  async refresh(): Promise<void> {
    this.#failing = new Set(await this.#s.store.federation.peerHealth.failing());
    this.#readAt = this.#o.clock();
  }

  /** Reads them again when the last read is older than `refreshMs`. */
  async refreshIfStale(): Promise<void> {
    if (this.#o.clock() - this.#readAt >= this.#o.refreshMs) await this.refresh();
  }

  has(domain: string): boolean {
    return this.#failing.has(domain);
  }

  isDead(h: { consecutiveFailures: number; firstFailureAt: number | null; lastFailureAt: number | null }): boolean {
    if (h.firstFailureAt === null || h.lastFailureAt === null) return false;
    return (
      h.consecutiveFailures >= this.#o.deadAfterFailures && h.lastFailureAt - h.firstFailureAt >= this.#o.deadAfterMs
    );
  }

  /**
   * Whether the item may go to its failing domain now. A dead domain is probed by one request at
   * a time: the item goes when it takes the domain's probe; otherwise its inbox is held until the
   * next probe (items that have waited `maxAgeMs` are given up on meanwhile).
   */
  async mayProbe(item: Delivery): Promise<boolean> {
    const { peerHealth, deliveries } = this.#s.store.federation;
    const health = await peerHealth.get(item.domain);
    const now = this.#o.clock();
    if (!health || !this.isDead(health)) return true;
    const probeAt = health.nextProbeAt ?? now;
    const next = now + this.#o.spacing(now - (health.firstFailureAt ?? now));
    if (now >= probeAt && (await peerHealth.takeProbe(item.domain, now, next))) return true;
    await deliveries.hold(item.id, {
      until: now < probeAt ? probeAt : next,
      now,
      dropCreatedBefore: now - this.#o.maxAgeMs + 1,
      expiredError: `Gave up after ${waited(this.#o.maxAgeMs)}: ${item.domain} is unreachable (${item.lastError ?? "no answer"}).`,
    });
    return false;
  }

  /** A delivery to the domain failed at `now`: the run grows, and a dead domain's next probe moves. */
  async failed(domain: string, now: number): Promise<{ dead: boolean }> {
    const { peerHealth } = this.#s.store.federation;
    const run = await peerHealth.recordFailure(domain, now);
    this.#failing.add(domain);
    const dead = this.isDead({ ...run, lastFailureAt: now });
    if (dead) await peerHealth.deferProbe(domain, now + this.#o.spacing(now - run.firstFailureAt));
    return { dead };
  }

  /**
   * The domain answered a delivery (any answer that is not retried). Ends its run when it is in
   * one; a healthy domain's success is only written down once a minute.
   */
  async answered(item: Delivery, now: number): Promise<void> {
    if (this.failing(item) || this.#successDue(item.domain, now)) await this.endRun(item.domain, now, false);
  }

  /**
   * Ends the domain's run of failures, if it is in one. A domain that was down as a whole (dead)
   * wakes every inbox that failed with it; otherwise only those held for it, since an inbox failing
   * on its own (a 404 while the rest of the domain answers) keeps its own back-off. Listeners hear
   * that it is back when it was dead, or always when `fromPeer` (the domain sent us something).
   */
  async endRun(domain: string, now: number, fromPeer: boolean): Promise<void> {
    const { peerHealth, deliveries } = this.#s.store.federation;
    const ended: PeerHealthRecord | null = await peerHealth.recordSuccess(domain, now);
    this.#failing.delete(domain);
    if (ended === null || ended.firstFailureAt === null) return;
    const dead = this.isDead(ended);
    const woken = await deliveries.wake(domain, dead ? ended.firstFailureAt : Number.MAX_SAFE_INTEGER, now);
    this.#s.logger.info("a failing peer answered again", {
      domain,
      failures: ended.consecutiveFailures,
      failingFor: waited(now - ended.firstFailureAt),
      woken,
    });
    if (woken > 0) this.#o.woken();
    if (fromPeer || dead) this.#announceBack(domain);
  }

  onBack(listener: (domain: string) => void | Promise<void>): () => void {
    this.#back.add(listener);
    return () => this.#back.delete(listener);
  }

  #successDue(domain: string, now: number): boolean {
    const last = this.#noted.get(domain);
    if (last !== undefined && now - last < 60_000 && now >= last) return false;
    if (this.#noted.size >= 10_000) this.#noted.clear();
    this.#noted.set(domain, now);
    return true;
  }

  #announceBack(domain: string): void {
    for (const listener of this.#back) {
      try {
        Promise.resolve(listener(domain)).catch((err: unknown) => {
          this.#s.logger.error("a listener of returning peers failed", { domain, err });
        });
      } catch (err) {
        this.#s.logger.error("a listener of returning peers failed", { domain, err });
      }
    }
  }
}
