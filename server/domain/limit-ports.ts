/**
 * The storage ports of the protections every process sharing a store must enforce together:
 * request and login counts, posting cooldowns and single-use tokens. `storage/sqlite` and
 * `storage/mongo` implement them with atomic operations (test/contract/limits.contract.ts), so two
 * processes on one SQLite file, or on one MongoDB database from several hosts, see one state.
 * Times are milliseconds since the epoch, passed in by the caller.
 */

/** One counter of a fixed window: `window` is the window's start, `expiresAt` when the row may go. */
export interface CounterKey {
  key: string;
  window: number;
}

export interface CounterIncrement extends CounterKey {
  /** What to add (zero or more). */
  count: number;
  expiresAt: number;
}

export interface WindowCounters {
  /**
   * Adds each increment to its (key, window) counter, creating it at zero, each atomically; returns
   * every counter's total right after its own addition, in the order given.
   */
  add(increments: readonly CounterIncrement[]): Promise<number[]>;
  /** The totals of these counters (0 for a counter that does not exist), without writing. */
  totals(keys: readonly CounterKey[]): Promise<number[]>;
  /** Forgets every window of `key`. */
  clear(key: string): Promise<void>;
}

/** What taking a slot gave: the slot (its holder hands it back), or the time it frees up. */
export type SlotTake = { taken: true } | { taken: false; freeAt: number };

export interface SlotRequest {
  key: string;
  /** A value unique to this attempt: only its holder can give the slot back. */
  holder: string;
  now: number;
  /** How long after the slot was last taken it can be taken again. */
  gapMs: number;
  /** When the row may go, however long the gap (it is kept for the longest gap any caller uses). */
  expiresAt: number;
}

/**
 * Cooldown slots: the time each key was last taken. Taking is one atomic compare-and-set, so of
 * two processes taking one key at the same instant exactly one gets it.
 */
export interface CooldownSlots {
  /** Takes the slot unless it was taken less than `gapMs` before `now`. */
  take(request: SlotRequest): Promise<SlotTake>;
  /**
   * Puts back the time the slot had before `holder` took it. Compare-and-set on the holder: once
   * someone else has taken the slot since, nothing changes. True when the slot was given back.
   */
  giveBack(key: string, holder: string): Promise<boolean>;
}

/** Tokens accepted once (a solved captcha's nonce): the first to spend one wins. */
export interface SpentTokens {
  /** Records `token` as spent until `expiresAt`; true when this call spent it, false when it already was. */
  spend(token: string, expiresAt: number): Promise<boolean>;
  /** Which of `tokens` are spent. */
  spent(tokens: readonly string[]): Promise<Set<string>>;
}

export interface LimitStore {
  readonly counters: WindowCounters;
  readonly slots: CooldownSlots;
  readonly tokens: SpentTokens;
  /**
   * Removes up to `max` rows of each kind that expired at or before `now` (bounded work, to be
   * called now and then); returns how many went.
   */
  prune(now: number, max: number): Promise<number>;
}
