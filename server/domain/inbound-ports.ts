/**
 * The storage ports of the inbox: replay protection and the queue of verified activities to try
 * again. Part of the federation store (see federation-ports.ts, whose conventions hold here: async
 * methods, times in milliseconds passed in by the caller).
 */

/** Replay protection for the inbox. */
export interface InboxDedupe {
  /**
   * Records `activityId` as seen until `now + ttlMs` and tells whether it had already been seen
   * (recorded and not expired at `now`). Atomic: of callers racing on one new id, exactly one gets
   * false. A repeat within the window does not extend it.
   */
  seen(activityId: string, now: number, ttlMs: number): Promise<boolean>;
  /** Whether `activityId` is recorded and not expired at `now`; records nothing. */
  has(activityId: string, now: number): Promise<boolean>;
  /** Forgets the ids expired at `now`; returns how many. */
  prune(now: number): Promise<number>;
}

/** An activity the inbox verified but could not finish, kept to be tried again. */
export interface InboundRetry {
  /** The activity's id. */
  id: string;
  /** The board whose inbox it was posted to; null for the shared and the instance actor's inbox. */
  board: string | null;
  /** The actor whose signature verified it. */
  signer: string;
  /** The activity's JSON as received. */
  body: string;
  receivedAt: number;
  /** Tries that failed, the first (at the inbox) included. */
  attempts: number;
  nextAttemptAt: number;
  lastError: string;
  /** When it was given up on (past the retry horizon); null while it is still tried. */
  failedAt: number | null;
}

export type NewInboundRetry = Pick<InboundRetry, "id" | "board" | "signer" | "body" | "lastError">;

/**
 * The inbox's own durable queue: verified activities whose handling failed for a reason that may
 * pass (an origin unreachable, a full image queue), tried again by the instance, so that a 202
 * never stands for an activity that was lost. Several processes share it through leases.
 */
export interface InboundRetryQueue {
  /**
   * Keeps the activity, first tried at `now`, next at `nextAttemptAt`. An id already kept is left as
   * it is. True when it was added.
   */
  add(item: NewInboundRetry, now: number, nextAttemptAt: number): Promise<boolean>;
  /**
   * Leases up to `limit` items due at `now` (not given up on, not under an unexpired lease) until
   * `now + leaseMs`, oldest due first, atomically: two processes never hold the same item.
   */
  claim(now: number, limit: number, leaseMs: number): Promise<InboundRetry[]>;
  /** Done with it (acted on, ignored or refused for good): removes it. True when it was there. */
  remove(id: string): Promise<boolean>;
  /** Another failed try: counts it, records `error`, releases the lease and sets the next try. */
  retryAt(id: string, nextAttemptAt: number, error: string): Promise<boolean>;
  /** Gives up on it at `now`: kept, with `error`, for an operator to see and replay, but no longer claimed. */
  giveUp(id: string, error: string, now: number): Promise<boolean>;
  /** Items still tried (`failed: false`, soonest due first) or given up on (most recent first). */
  list(opts: { failed: boolean; limit: number }): Promise<InboundRetry[]>;
  /** Items still tried. */
  countPending(): Promise<number>;
  /** An item given up on, tried again from `now` (a fresh horizon). True when it was there. */
  replay(id: string, now: number): Promise<boolean>;
  /** Forgets items given up on before `before`; returns how many. */
  pruneFailed(before: number): Promise<number>;
}
