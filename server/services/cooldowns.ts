import { DomainError } from "../domain/errors.js";
import type { Clock } from "./clock.js";

/**
 * Posting cooldowns per address and kind. A slot is taken before the (slow) post work starts, so
 * two concurrent posts from one address cannot both pass, and given back if the post fails.
 */
export class Cooldowns {
  private readonly last = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** Takes the slot or throws DomainError("rate_limited"); returns a function that gives it back. */
  take(ipHash: string, kind: "thread" | "reply", seconds: number, previous: number | null): () => void {
    const key = `${kind}:${ipHash}`;
    const now = this.clock();
    const before = this.last.get(key) ?? previous ?? 0;
    const wait = before + seconds * 1000 - now;
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      throw new DomainError("rate_limited", `You are posting too fast: wait ${s} second${s === 1 ? "" : "s"}.`, {
        retry_after: s,
      });
    }
    const had = this.last.get(key);
    this.last.set(key, now);
    if (this.last.size > 50_000) this.prune(now);
    return () => {
      if (had === undefined) this.last.delete(key);
      else this.last.set(key, had);
    };
  }

  private prune(now: number): void {
    for (const [k, t] of this.last) if (now - t > 3600_000) this.last.delete(k);
  }
}
