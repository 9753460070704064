import { randomUUID } from "node:crypto";
import { DomainError } from "../domain/errors.js";
import type { CooldownSlots } from "../domain/limit-ports.js";
import type { PostRepository } from "../domain/ports.js";
import type { Clock } from "./clock.js";

/** The longest cooldown a board may set (its settings allow a day): slots are kept that long. */
const KEEP_MS = 86_400_000;

/**
 * Posting cooldowns per address and kind, held in the store. A slot is taken before the (slow) post
 * work starts, atomically, so two posts from one address cannot both pass, even when they reach two
 * processes at the same instant; it is given back if the post fails, unless a newer post has taken
 * it since.
 */
export class Cooldowns {
  constructor(
    private readonly slots: CooldownSlots,
    private readonly posts: Pick<PostRepository, "lastPostTime">,
    private readonly clock: Clock,
  ) {}

  /**
   * Takes the slot or throws DomainError("rate_limited") with the seconds to wait; returns a function
   * that gives it back. The address's last stored post of the kind counts as well: it is the floor
   * under slots the store no longer holds (pruned, or from before slots were kept in the store).
   */
  async take(ipHash: string, kind: "thread" | "reply", seconds: number): Promise<() => Promise<void>> {
    const key = `${kind}:${ipHash}`;
    const previous = await this.posts.lastPostTime(ipHash, kind);
    const now = this.clock();
    const gapMs = seconds * 1000;
    // A post or slot stamped by another process a moment ahead of this one's clock never makes the
    // wait longer than the cooldown itself.
    if (previous !== null && previous + gapMs > now) throw tooFast(Math.min(gapMs, previous + gapMs - now));
    const holder = randomUUID();
    const taken = await this.slots.take({ key, holder, now, gapMs, expiresAt: now + Math.max(gapMs, KEEP_MS) });
    if (!taken.taken) throw tooFast(Math.min(gapMs, taken.freeAt - now));
    return async () => {
      await this.slots.giveBack(key, holder);
    };
  }
}

function tooFast(waitMs: number): DomainError {
  const s = Math.max(1, Math.ceil(waitMs / 1000));
  return new DomainError("rate_limited", `You are posting too fast: wait ${s} second${s === 1 ? "" : "s"}.`, {
    retry_after: s,
  });
}
