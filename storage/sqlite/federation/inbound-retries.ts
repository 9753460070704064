import type { InboundRetry, InboundRetryQueue, NewInboundRetry } from "../../../server/domain/federation-ports.js";
import { boundedError, checkedInboundRetry, nonNegativeInt } from "../../common/federation.js";
import { int, page, str } from "../../common/guards.js";
import type { Db } from "../database.js";

interface Row {
  id: string;
  board: string | null;
  signer: string;
  body: string;
  received_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string;
  failed_at: number | null;
}

const COLUMNS = "id, board, signer, body, received_at, attempts, next_attempt_at, last_error, failed_at";

function fromRow(r: Row): InboundRetry {
  return {
    id: r.id,
    board: r.board,
    signer: r.signer,
    body: r.body,
    receivedAt: r.received_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    failedAt: r.failed_at,
  };
}

/**
 * The inbox's retry queue on SQLite. A claim is one IMMEDIATE transaction (read the due items,
 * lease them), so claims from other connections to the file wait for it and never take the same item.
 */
export class SqliteInboundRetryQueue implements InboundRetryQueue {
  private readonly s;
  private readonly claimTx;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[Row]>(
        `INSERT INTO inbound_retries (${COLUMNS})
         VALUES (@id, @board, @signer, @body, @received_at, @attempts, @next_attempt_at, @last_error, @failed_at)
         ON CONFLICT (id) DO NOTHING`,
      ),
      due: db.prepare<[{ now: number; limit: number }], { id: string }>(
        `SELECT id FROM inbound_retries INDEXED BY inbound_retries_due
         WHERE failed_at IS NULL AND next_attempt_at <= @now AND (leased_until IS NULL OR leased_until <= @now)
         ORDER BY next_attempt_at, id LIMIT @limit`,
      ),
      lease: db.prepare<[{ ids: string; until: number }], Row>(
        `UPDATE inbound_retries SET leased_until = @until WHERE id IN (SELECT value FROM json_each(@ids))
         RETURNING ${COLUMNS}`,
      ),
      remove: db.prepare<[string]>("DELETE FROM inbound_retries WHERE id = ?"),
      retry: db.prepare<[{ id: string; next: number; error: string }]>(
        `UPDATE inbound_retries SET attempts = attempts + 1, next_attempt_at = @next, leased_until = NULL,
           last_error = @error
         WHERE id = @id AND failed_at IS NULL`,
      ),
      giveUp: db.prepare<[{ id: string; error: string; now: number }]>(
        `UPDATE inbound_retries SET attempts = attempts + 1, leased_until = NULL, last_error = @error,
           failed_at = @now
         WHERE id = @id AND failed_at IS NULL`,
      ),
      pending: db.prepare<[number], Row>(
        `SELECT ${COLUMNS} FROM inbound_retries WHERE failed_at IS NULL ORDER BY next_attempt_at, id LIMIT ?`,
      ),
      failed: db.prepare<[number], Row>(
        `SELECT ${COLUMNS} FROM inbound_retries WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id LIMIT ?`,
      ),
      count: db.prepare<[], number>("SELECT count(*) FROM inbound_retries WHERE failed_at IS NULL").pluck(),
      replay: db.prepare<[{ id: string; now: number }]>(
        `UPDATE inbound_retries SET failed_at = NULL, leased_until = NULL, received_at = @now,
           next_attempt_at = @now, attempts = 0
         WHERE id = @id AND failed_at IS NOT NULL`,
      ),
      prune: db.prepare<[number]>("DELETE FROM inbound_retries WHERE failed_at IS NOT NULL AND failed_at < ?"),
    };
    const s = this.s;
    this.claimTx = db.transaction((now: number, limit: number, until: number): Row[] => {
      const ids = s.due.all({ now, limit }).map((r) => r.id);
      if (ids.length === 0) return [];
      return s.lease.all({ ids: JSON.stringify(ids), until });
    });
  }

  async add(item: NewInboundRetry, now: number, nextAttemptAt: number): Promise<boolean> {
    const i = checkedInboundRetry(item);
    const row: Row = {
      id: i.id,
      board: i.board,
      signer: i.signer,
      body: i.body,
      received_at: int(now, "now"),
      attempts: 1,
      next_attempt_at: int(nextAttemptAt, "nextAttemptAt"),
      last_error: i.lastError,
      failed_at: null,
    };
    return this.s.insert.run(row).changes > 0;
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<InboundRetry[]> {
    const at = int(now, "now");
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const until = at + nonNegativeInt(leaseMs, "leaseMs");
    return this.claimTx
      .immediate(at, max, until)
      .map(fromRow)
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1));
  }

  async remove(id: string): Promise<boolean> {
    return this.s.remove.run(str(id, "id")).changes > 0;
  }

  async retryAt(id: string, nextAttemptAt: number, error: string): Promise<boolean> {
    const params = { id: str(id, "id"), next: int(nextAttemptAt, "nextAttemptAt"), error: boundedError(error) };
    return this.s.retry.run(params).changes > 0;
  }

  async giveUp(id: string, error: string, now: number): Promise<boolean> {
    return this.s.giveUp.run({ id: str(id, "id"), error: boundedError(error), now: int(now, "now") }).changes > 0;
  }

  async list(opts: { failed: boolean; limit: number }): Promise<InboundRetry[]> {
    const { limit } = page(0, opts.limit);
    if (limit === 0) return [];
    return (opts.failed ? this.s.failed : this.s.pending).all(limit).map(fromRow);
  }

  async countPending(): Promise<number> {
    return this.s.count.get() ?? 0;
  }

  async replay(id: string, now: number): Promise<boolean> {
    return this.s.replay.run({ id: str(id, "id"), now: int(now, "now") }).changes > 0;
  }

  async pruneFailed(before: number): Promise<number> {
    return this.s.prune.run(int(before, "before")).changes;
  }
}
