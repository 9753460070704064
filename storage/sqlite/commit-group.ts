import type Database from "better-sqlite3";
import type { Db } from "./database.js";
import { asStorageFailure } from "./errors.js";

interface Queued {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Grouped commits: writes queued during one turn of the event loop run together in one IMMEDIATE
 * transaction when the turn ends. A commit writes every page the transaction changed to the WAL,
 * and the pages of a few inserts into one table are mostly the same, so many small writes arriving
 * together (an inbox taking replies from several peers) cost one commit and far fewer page writes.
 *
 * Each write keeps its own outcome: one that throws is undone alone and its caller gets the error,
 * while the others commit. For that, a write must be atomic by itself: one statement (SQLite undoes
 * a failed statement entirely), or a function made with `db.transaction`, which runs as a savepoint
 * inside the group's transaction. When the transaction as a whole fails (it cannot begin, SQLite
 * rolled it back, the commit fails), nothing of it is kept and every caller gets the error. A write
 * resolves only once its transaction has committed, so its caller reads what it wrote. A full disk
 * reaches callers as a StorageError.
 */
export class CommitGroup {
  readonly #db: Db;
  readonly #tx: Database.Transaction<(work: () => unknown) => unknown>;
  #queue: Queued[] = [];
  #scheduled: NodeJS.Immediate | null = null;

  constructor(db: Db) {
    this.#db = db;
    this.#tx = db.transaction((work: () => unknown) => work());
  }

  /**
   * Runs `work` in the group's next commit and resolves with its result once committed. `work` is
   * synchronous and atomic by itself: one statement, or a `db.transaction` function.
   */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued now, without waiting for the turn to end (before the database closes). */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length === 0) return;
    if (!this.#db.open) {
      const closed = new TypeError("The database connection is not open");
      for (const q of batch) q.reject(closed);
      return;
    }
    if (batch.length === 1) {
      const only = batch[0]!;
      try {
        only.resolve(this.#tx.immediate(only.work));
      } catch (err) {
        only.reject(asStorageFailure(err));
      }
      return;
    }
    type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };
    let outcomes: Outcome[];
    try {
      outcomes = this.#tx.immediate((): Outcome[] =>
        batch.map((q) => {
          try {
            return { ok: true, value: q.work() };
          } catch (err) {
            // SQLite abandoned the whole transaction (I/O error, full disk): nothing of it may commit.
            if (!this.#db.inTransaction) throw err;
            return { ok: false, err };
          }
        }),
      ) as Outcome[];
    } catch (err) {
      const failure = asStorageFailure(err);
      for (const q of batch) q.reject(failure);
      return;
    }
    batch.forEach((q, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) q.resolve(outcome.value);
      else q.reject(asStorageFailure(outcome.err));
    });
  }
}
