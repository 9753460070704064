import type {
  CooldownSlots,
  CounterIncrement,
  CounterKey,
  LimitStore,
  SlotRequest,
  SlotTake,
  SpentTokens,
  WindowCounters,
} from "../../server/domain/limit-ports.js";
import { nonNegativeInt } from "../common/federation.js";
import { int, str } from "../common/guards.js";
import { checkedCounterKey, checkedIncrement, checkedSlotRequest } from "../common/limit-args.js";
import type { CommitGroup } from "./commit-group.js";
import type { Db } from "./database.js";

/*
 * Every write here is one statement (atomic by itself, and taking the write lock before it reads, so
 * another process's write in between cannot be missed) or a `db.transaction`, and runs in the store's
 * grouped commit (CommitGroup: an IMMEDIATE transaction per event-loop turn, shared with the posts
 * written in that turn), so a post and its cooldown slot and write count cost one commit. Processes
 * on one file wait for each other through the busy timeout.
 */

class SqliteWindowCounters implements WindowCounters {
  private readonly s;
  private readonly addAll;

  constructor(
    db: Db,
    private readonly group: CommitGroup,
  ) {
    this.s = {
      add: db
        .prepare<[string, number, number, number], number>(
          `INSERT INTO limit_counters (key, window_start, count, expires_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (key, window_start) DO UPDATE SET count = count + excluded.count
           RETURNING count`,
        )
        .pluck(),
      total: db
        .prepare<[string, number], number>("SELECT count FROM limit_counters WHERE key = ? AND window_start = ?")
        .pluck(),
      clear: db.prepare<[string]>("DELETE FROM limit_counters WHERE key = ?"),
    };
    this.addAll = db.transaction((items: readonly CounterIncrement[]) =>
      items.map((i) => this.s.add.get(i.key, i.window, i.count, i.expiresAt) ?? 0),
    );
  }

  async add(increments: readonly CounterIncrement[]): Promise<number[]> {
    const items = increments.map(checkedIncrement);
    if (items.length === 0) return [];
    return this.group.run(() => this.addAll(items));
  }

  async totals(keys: readonly CounterKey[]): Promise<number[]> {
    return keys.map(checkedCounterKey).map((k) => this.s.total.get(k.key, k.window) ?? 0);
  }

  async clear(key: string): Promise<void> {
    this.s.clear.run(str(key, "key"));
  }
}

class SqliteCooldownSlots implements CooldownSlots {
  private readonly s;
  private readonly giveBackTx;

  constructor(
    db: Db,
    private readonly group: CommitGroup,
  ) {
    this.s = {
      // The update applies only when the slot is free; RETURNING yields a row only when it did.
      take: db
        .prepare<[{ key: string; holder: string; now: number; free_before: number; expires_at: number }], string>(
          `INSERT INTO limit_slots (key, at, expires_at, holder) VALUES (@key, @now, @expires_at, @holder)
           ON CONFLICT (key) DO UPDATE SET
             prev_at = at, prev_expires_at = expires_at,
             at = excluded.at, expires_at = excluded.expires_at, holder = excluded.holder
           WHERE at <= @free_before
           RETURNING holder`,
        )
        .pluck(),
      at: db.prepare<[string], number>("SELECT at FROM limit_slots WHERE key = ?").pluck(),
      dropFirst: db.prepare<[string, string]>(
        "DELETE FROM limit_slots WHERE key = ? AND holder = ? AND prev_at IS NULL",
      ),
      restore: db.prepare<[string, string]>(
        `UPDATE limit_slots SET at = prev_at, expires_at = prev_expires_at, holder = '',
           prev_at = NULL, prev_expires_at = NULL
         WHERE key = ? AND holder = ? AND prev_at IS NOT NULL`,
      ),
    };
    this.giveBackTx = db.transaction(
      (key: string, holder: string) =>
        this.s.dropFirst.run(key, holder).changes + this.s.restore.run(key, holder).changes,
    );
  }

  async take(request: SlotRequest): Promise<SlotTake> {
    const { key, holder, now, gapMs, expiresAt } = checkedSlotRequest(request);
    const row = { key, holder, now, free_before: now - gapMs, expires_at: expiresAt };
    if ((await this.group.run(() => this.s.take.get(row))) === holder) return { taken: true };
    // Taken by someone else: it frees up a gap after that (at once, should that row have just gone).
    return { taken: false, freeAt: (this.s.at.get(key) ?? now - gapMs) + gapMs };
  }

  async giveBack(key: string, holder: string): Promise<boolean> {
    const h = str(holder, "holder");
    if (h === "") return false;
    const k = str(key, "key");
    return (await this.group.run(() => this.giveBackTx(k, h))) > 0;
  }
}

class SqliteSpentTokens implements SpentTokens {
  private readonly s;

  constructor(
    db: Db,
    private readonly group: CommitGroup,
  ) {
    this.s = {
      spend: db.prepare<[string, number]>(
        "INSERT INTO spent_tokens (token, expires_at) VALUES (?, ?) ON CONFLICT (token) DO NOTHING",
      ),
      spent: db.prepare<[string], number>("SELECT 1 FROM spent_tokens WHERE token = ?").pluck(),
    };
  }

  async spend(token: string, expiresAt: number): Promise<boolean> {
    const t = str(token, "token");
    const at = int(expiresAt, "expiresAt");
    return (await this.group.run(() => this.s.spend.run(t, at).changes)) === 1;
  }

  async spent(tokens: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const t of tokens) if (this.s.spent.get(str(t, "token")) !== undefined) out.add(t);
    return out;
  }
}

export class SqliteLimitStore implements LimitStore {
  readonly counters: WindowCounters;
  readonly slots: CooldownSlots;
  readonly tokens: SpentTokens;
  private readonly pruneStatements;

  constructor(db: Db, group: CommitGroup) {
    this.counters = new SqliteWindowCounters(db, group);
    this.slots = new SqliteCooldownSlots(db, group);
    this.tokens = new SqliteSpentTokens(db, group);
    // Each walks its expiry index and stops after `max` rows.
    this.pruneStatements = [
      db.prepare<[number, number]>(
        `DELETE FROM limit_counters WHERE (key, window_start) IN
           (SELECT key, window_start FROM limit_counters WHERE expires_at <= ? LIMIT ?)`,
      ),
      db.prepare<[number, number]>(
        "DELETE FROM limit_slots WHERE key IN (SELECT key FROM limit_slots WHERE expires_at <= ? LIMIT ?)",
      ),
      db.prepare<[number, number]>(
        "DELETE FROM spent_tokens WHERE token IN (SELECT token FROM spent_tokens WHERE expires_at <= ? LIMIT ?)",
      ),
    ];
  }

  async prune(now: number, max: number): Promise<number> {
    const at = int(now, "now");
    const limit = nonNegativeInt(max, "max");
    let removed = 0;
    for (const statement of this.pruneStatements) removed += statement.run(at, limit).changes;
    return removed;
  }
}
