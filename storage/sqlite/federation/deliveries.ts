import type { Delivery, DeliveryQueue, DroppedDelivery, NewDelivery } from "../../../server/domain/federation-ports.js";
import {
  boundedError,
  byDueTime,
  ClaimPicker,
  checkedClaim,
  checkedDeliveries,
  domainArg,
} from "../../common/federation.js";
import { int, page, str } from "../../common/guards.js";
import type { Db } from "../database.js";

interface DeliveryRow {
  id: string;
  inbox: string;
  domain: string;
  body: string;
  key_id: string;
  activity_id: string;
  attempts: number;
  next_attempt_at: number;
  leased_until: number | null;
  last_error: string | null;
  created_at: number;
}

interface DueRow {
  id: string;
  domain: string;
  next_attempt_at: number;
}

interface DroppedRow {
  id: string;
  inbox: string;
  domain: string;
  key_id: string;
  activity_id: string;
  attempts: number;
  last_error: string;
  created_at: number;
  dropped_at: number;
}

/** Due items a claim reads before it asks SQLite to skip the domains that have no room left. */
const SCAN_BUDGET = 256;

const COLUMNS =
  "id, inbox, domain, body, key_id, activity_id, attempts, next_attempt_at, leased_until, last_error, created_at";
const DROPPED_COLUMNS = "id, inbox, domain, key_id, activity_id, attempts, last_error, created_at, dropped_at";

function deliveryFromRow(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    inbox: r.inbox,
    domain: r.domain,
    body: r.body,
    keyId: r.key_id,
    activityId: r.activity_id,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    leasedUntil: r.leased_until,
    lastError: r.last_error,
    createdAt: r.created_at,
  };
}

function droppedFromRow(r: DroppedRow): DroppedDelivery {
  return {
    id: r.id,
    inbox: r.inbox,
    domain: r.domain,
    keyId: r.key_id,
    activityId: r.activity_id,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
    droppedAt: r.dropped_at,
  };
}

/**
 * The delivery queue on SQLite. A claim is one IMMEDIATE transaction: it holds the write lock
 * while it counts the leases in force and leases what it picked, so claims from other connections
 * (another process on the same file) wait for it and never see the items it took as free.
 */
export class SqliteDeliveryQueue implements DeliveryQueue {
  private readonly s;
  private readonly tx;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[DeliveryRow]>(
        `INSERT INTO deliveries (${COLUMNS})
         VALUES (@id, @inbox, @domain, @body, @key_id, @activity_id, @attempts, @next_attempt_at, @leased_until,
                 @last_error, @created_at)
         ON CONFLICT (id) DO NOTHING`,
      ),
      /** Unexpired leases by domain; reads only the partial index of leased items. */
      activeLeases: db.prepare<[number], { domain: string; n: number }>(
        `SELECT domain, count(*) AS n FROM deliveries INDEXED BY deliveries_leased
         WHERE leased_until > ? GROUP BY domain`,
      ),
      /**
       * The claimable items, oldest due first, from just after (@at, @id), along the covering
       * (next_attempt_at, id, leased_until, domain) index, leaving out the domains in @skip.
       */
      due: db.prepare<[{ now: number; at: number; id: string; skip: string }], DueRow>(
        `SELECT id, domain, next_attempt_at FROM deliveries INDEXED BY deliveries_due
         WHERE (next_attempt_at, id) > (@at, @id) AND next_attempt_at <= @now
           AND (leased_until IS NULL OR leased_until <= @now)
           AND domain NOT IN (SELECT value FROM json_each(@skip))
         ORDER BY next_attempt_at, id`,
      ),
      lease: db.prepare<[{ ids: string; until: number }], DeliveryRow>(
        `UPDATE deliveries SET leased_until = @until WHERE id IN (SELECT value FROM json_each(@ids))
         RETURNING ${COLUMNS}`,
      ),
      complete: db.prepare<[string]>("DELETE FROM deliveries WHERE id = ?"),
      fail: db.prepare<[{ id: string; next: number; error: string }]>(
        `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = @next, leased_until = NULL,
           last_error = @error
         WHERE id = @id`,
      ),
      take: db.prepare<[string], DeliveryRow>(`DELETE FROM deliveries WHERE id = ? RETURNING ${COLUMNS}`),
      insertDropped: db.prepare<[DroppedRow]>(
        `INSERT INTO dropped_deliveries (${DROPPED_COLUMNS})
         VALUES (@id, @inbox, @domain, @key_id, @activity_id, @attempts, @last_error, @created_at, @dropped_at)
         ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, last_error = excluded.last_error,
           dropped_at = excluded.dropped_at`,
      ),
      count: db.prepare<[], number>("SELECT count(*) FROM deliveries").pluck(),
      countForDomain: db.prepare<[string], number>("SELECT count(*) FROM deliveries WHERE domain = ?").pluck(),
      removeForDomain: db.prepare<[string]>("DELETE FROM deliveries WHERE domain = ?"),
      listDropped: db.prepare<[number], DroppedRow>(
        `SELECT ${DROPPED_COLUMNS} FROM dropped_deliveries ORDER BY dropped_at DESC, id LIMIT ?`,
      ),
      pruneDropped: db.prepare<[number]>("DELETE FROM dropped_deliveries WHERE dropped_at < ?"),
    };

    const s = this.s;
    this.tx = {
      enqueue: db.transaction((rows: DeliveryRow[]) => {
        for (const row of rows) s.insert.run(row);
      }),
      claim: db.transaction((now: number, limit: number, until: number, perDomain: number) => {
        const picker = new ClaimPicker(
          s.activeLeases.all(now).map((r) => [r.domain, r.n] as const),
          limit,
          perDomain,
        );
        this.pickDue(picker, now);
        if (picker.picked.length === 0) return [];
        return s.lease
          .all({ ids: JSON.stringify(picker.picked), until })
          .map(deliveryFromRow)
          .sort(byDueTime);
      }),
      drop: db.transaction((id: string, error: string, now: number) => {
        const row = s.take.get(id);
        if (!row) return false;
        s.insertDropped.run({
          id: row.id,
          inbox: row.inbox,
          domain: row.domain,
          key_id: row.key_id,
          activity_id: row.activity_id,
          attempts: row.attempts,
          last_error: error,
          created_at: row.created_at,
          dropped_at: now,
        });
        return true;
      }),
    };
  }

  /**
   * Offers the due items to `picker` in order until it is full or none are left. Usually the first
   * `limit` or so items fill it. When busy domains crowd the head of the queue instead, the scan
   * restarts after the last item read every SCAN_BUDGET items, with the full domains filtered out
   * inside SQLite, so their backlog costs an index step each rather than a row handed to JavaScript.
   */
  private pickDue(picker: ClaimPicker, now: number): void {
    let at = Number.MIN_SAFE_INTEGER;
    let id = "";
    for (;;) {
      let scanned = 0;
      // iterate() reads lazily; leaving the loop early closes the statement
      for (const item of this.s.due.iterate({ now, at, id, skip: JSON.stringify(picker.saturated()) })) {
        at = item.next_attempt_at;
        id = item.id;
        if (picker.offer(item)) return;
        if (++scanned >= SCAN_BUDGET) break;
      }
      if (scanned < SCAN_BUDGET) return;
    }
  }

  async enqueue(items: NewDelivery[], now: number = Date.now()): Promise<void> {
    const at = int(now, "now");
    const rows = checkedDeliveries(items).map(
      (d): DeliveryRow => ({
        id: d.id,
        inbox: d.inbox,
        domain: d.domain,
        body: d.body,
        key_id: d.keyId,
        activity_id: d.activityId,
        attempts: 0,
        next_attempt_at: at,
        leased_until: null,
        last_error: null,
        created_at: at,
      }),
    );
    if (rows.length > 0) this.tx.enqueue.immediate(rows);
  }

  async claim(now: number, limit: number, leaseMs: number, perDomainLimit: number): Promise<Delivery[]> {
    const c = checkedClaim(now, limit, leaseMs, perDomainLimit);
    if (c.limit === 0 || c.perDomain === 0) return [];
    return this.tx.claim.immediate(c.now, c.limit, c.until, c.perDomain);
  }

  async complete(id: string): Promise<boolean> {
    return this.s.complete.run(str(id, "id")).changes > 0;
  }

  async fail(id: string, nextAttemptAt: number, error: string): Promise<boolean> {
    const params = { id: str(id, "id"), next: int(nextAttemptAt, "nextAttemptAt"), error: boundedError(error) };
    return this.s.fail.run(params).changes > 0;
  }

  async drop(id: string, error: string, now: number = Date.now()): Promise<boolean> {
    return this.tx.drop.immediate(str(id, "id"), boundedError(error), int(now, "now"));
  }

  async countPending(): Promise<number> {
    return this.s.count.get() ?? 0;
  }

  async pendingForDomain(domain: string): Promise<number> {
    return this.s.countForDomain.get(domainArg(domain)) ?? 0;
  }

  async removeForDomain(domain: string): Promise<number> {
    return this.s.removeForDomain.run(domainArg(domain)).changes;
  }

  async listDropped(limit: number): Promise<DroppedDelivery[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    return this.s.listDropped.all(max).map(droppedFromRow);
  }

  async pruneDropped(before: number): Promise<number> {
    return this.s.pruneDropped.run(int(before, "before")).changes;
  }
}
