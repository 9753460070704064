import { createHmac } from "node:crypto";
import { normalizeIp } from "../domain/ip.js";
import type { CounterIncrement, WindowCounters } from "../domain/limit-ports.js";
import type { Clock } from "./clock.js";

/** How many sign-in attempts each budget allows per window. */
export interface LoginBudgets {
  /** One account from one address (an IPv4 address, an IPv6 /64). */
  perPair: number;
  /** One address (IPv4 /32, IPv6 /64), whichever accounts it tries: guessing across accounts. */
  perNetwork: number;
  /** One account, from anywhere: guessing from many addresses. Browsers it knows are exempt. */
  perAccount: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_BUDGETS: LoginBudgets = {
  perPair: 10,
  perNetwork: 30,
  perAccount: 50,
  windowMs: 15 * 60 * 1000,
};

/**
 * Counts sign-in attempts in the store, so a password cannot be guessed at speed however many
 * addresses or processes the guesses come from. Three budgets apply to every attempt: per account
 * and address, per address (an IPv6 /64 counts as one address, so a subscriber's many addresses do
 * not multiply the budget), and per account from anywhere. The account-wide budget is the one an
 * attacker could use to lock the owner out, so a browser that signed in to the account before
 * (`knownDevice`: the signed token only a correct password earns, services/known-devices.ts) is
 * exempt from it and from the address budget, and has a budget of its own, per token and wherever it
 * comes from, that nobody without the token spends (and a stolen token gives no more than that).
 *
 * Attempts are counted in fixed windows, and those of the window before count too, so a burst cannot
 * straddle a window's end: at most the budget in any window, a window's worth of refusals at most
 * after them. Counters are keyed by keyed hashes, never by a name or an address.
 */
export class LoginThrottle {
  constructor(
    private readonly counters: WindowCounters,
    private readonly clock: Clock,
    /** The instance's address-hashing key. */
    private readonly ipKey: string,
    readonly budgets: LoginBudgets = DEFAULT_LOGIN_BUDGETS,
  ) {}

  /**
   * Seconds until another attempt is allowed, or 0 when this one may proceed (it is counted either
   * way).
   */
  async take(username: string, ip: string, knownDevice?: string): Promise<number> {
    const { windowMs } = this.budgets;
    const now = this.clock();
    const window = now - (now % windowMs);
    const budgets: Array<[string, number]> = knownDevice
      ? [[this.pairKey(username, ip, knownDevice), this.budgets.perPair]]
      : [
          [this.pairKey(username, ip), this.budgets.perPair],
          [this.key("net", address(ip)), this.budgets.perNetwork],
          [this.key("account", username), this.budgets.perAccount],
        ];
    const increments: CounterIncrement[] = budgets.map(([key]) => ({
      key,
      window,
      count: 1,
      expiresAt: window + 2 * windowMs,
    }));
    const current = await this.counters.add(increments);
    const before = await this.counters.totals(budgets.map(([key]) => ({ key, window: window - windowMs })));
    const over = budgets.some(([, max], i) => (current[i] ?? 0) + (before[i] ?? 0) > max);
    if (!over) return 0;
    return Math.max(1, Math.ceil((window + windowMs - now) / 1000));
  }

  /**
   * A successful sign-in clears the count for that name and address only: the address and account
   * budgets keep counting, or one correct password (the attacker's own account) would reset them.
   */
  async reset(username: string, ip: string, knownDevice?: string): Promise<void> {
    await this.counters.clear(this.pairKey(username, ip, knownDevice));
  }

  private pairKey(username: string, ip: string, knownDevice?: string): string {
    return knownDevice
      ? this.key("known", `${knownDevice}\u0000${username}`)
      : this.key("pair", `${address(ip)}\u0000${username}`);
  }

  private key(kind: string, value: string): string {
    // The pair's hash input is the one earlier versions used, so their counts carry over.
    const input = kind === "pair" ? `login\u0000${value}` : `login-${kind}\u0000${value}`;
    const digest = createHmac("sha256", this.ipKey).update(input).digest("hex");
    return `login:${digest.slice(0, 32)}`;
  }
}

/** The address as bans see it: IPv4, or the IPv6 /64. */
function address(ip: string): string {
  try {
    return normalizeIp(ip).key;
  } catch {
    return `raw:${ip}`;
  }
}
