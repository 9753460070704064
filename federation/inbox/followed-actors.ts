import type { InboxServices } from "./handlers/types.js";

/** How long the set is answered before it is read again from the store (in the background). */
const REFRESH_EVERY_MS = 30_000;

/**
 * The remote actors our boards follow (accepted outbound follows), for the inbound limits: a group
 * a board follows relays everything its members do (posts, comments, votes, deletions), under its
 * own key, so an actor's budget would throttle the very feed the board asked for. Answered
 * synchronously from memory, before the body is read; read again from the store in the background
 * when older than half a minute, so a follow accepted elsewhere shows within that time.
 */
export class FollowedActors {
  #ids: ReadonlySet<string> = new Set();
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | null = null;

  constructor(private readonly s: Pick<InboxServices, "store" | "clock" | "logger">) {}

  has(actorId: string): boolean {
    if (this.s.clock() - this.#readAt >= REFRESH_EVERY_MS) void this.refresh();
    return this.#ids.has(actorId);
  }

  /** Reads the set again now (one read at a time); a failure keeps the last one and is logged. */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => {
      this.#reading = null;
    });
    return this.#reading;
  }

  async #read(): Promise<void> {
    const at = this.s.clock();
    try {
      const ids = new Set<string>();
      for (const board of await this.s.store.boards.list()) {
        for (const f of await this.s.store.federation.follows.followingOf(board.uri)) {
          if (f.state === "accepted") ids.add(f.objectId);
        }
      }
      this.#ids = ids;
    } catch (err) {
      this.s.logger.warn("could not read the actors our boards follow", { err });
    }
    this.#readAt = at;
  }
}
