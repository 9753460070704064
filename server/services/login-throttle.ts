import { createHmac } from "node:crypto";
import { normalizeIp } from "../domain/ip.js";
import type { WindowCounters } from "../domain/limit-ports.js";
import type { Clock } from "./clock.js";

/**
 * Counts sign-in attempts per name and address, in the store, so a password cannot be guessed at
 * speed from one place nor one account hammered from one address, however many processes share the
 * store. Attempts are counted in fixed windows, and those of the window before count too, so a burst
 * cannot straddle a window's end: at most `max` attempts in any `windowMs`, a window's worth of
 * refusals at most after them. Counters are keyed by a keyed hash of name and address, never by
 * either.
 */
export class LoginThrottle {
  constructor(
    private readonly counters: WindowCounters,
    private readonly clock: Clock,
    /** The instance's address-hashing key. */
    private readonly ipKey: string,
    readonly max = 10,
    readonly windowMs = 15 * 60 * 1000,
  ) {}

  /** Seconds until another attempt is allowed, or 0 when this one may proceed (it is counted either way). */
  async take(username: string, ip: string): Promise<number> {
    const now = this.clock();
    const window = now - (now % this.windowMs);
    const key = this.key(username, ip);
    const [current = 0] = await this.counters.add([{ key, window, count: 1, expiresAt: window + 2 * this.windowMs }]);
    const [before = 0] = await this.counters.totals([{ key, window: window - this.windowMs }]);
    if (before + current <= this.max) return 0;
    return Math.max(1, Math.ceil((window + this.windowMs - now) / 1000));
  }

  /** A successful sign-in clears the count for that name and address. */
  async reset(username: string, ip: string): Promise<void> {
    await this.counters.clear(this.key(username, ip));
  }

  private key(username: string, ip: string): string {
    let address: string;
    try {
      address = normalizeIp(ip).key;
    } catch {
      address = `raw:${ip}`;
    }
    const digest = createHmac("sha256", this.ipKey).update(`login\u0000${address}\u0000${username}`).digest("hex");
    return `login:${digest.slice(0, 32)}`;
  }
}
