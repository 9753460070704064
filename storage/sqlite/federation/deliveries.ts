import type {
  Delivery,
  DeliveryQueue,
  DeliveryRetry,
  DeliveryWorkerRecord,
  DroppedDelivery,
  NewDelivery,
  PendingInbox,
} from "../../../server/domain/federation-ports.js";
import {
  boundedError,
  ClaimPicker,
  checkedClaim,
  checkedDeliveries,
  checkedRetry,
  checkedSeqs,
  checkedWorkerRecord,
  domainArg,
} from "../../common/federation.js";
import { int, nullableInt, page, str } from "../../common/guards.js";
import type { Db } from "../database.js";
import {
  DROPPED_COLUMNS,
  type DroppedRow,
  deliveryFromRows,
  droppedFromRow,
  INBOX_COLUMNS,
  type InboxRow,
  ITEM_COLUMNS,
  type ItemRow,
  type PendingRow,
  pendingFromRow,
  WORKER_COLUMNS,
  type WorkerRow,
  workerFromRow,
  workerToRow,
} from "./delivery-rows.js";

/** Due inboxes a claim reads before it asks SQLite to skip the domains that have no room left. */
const SCAN_BUDGET = 256;

/** A lease on inbox row `i` that still holds at @now: not run out, and its worker still registered. */
const LEASE_IN_FORCE =
  "(i.leased_until > @now AND (i.leased_by IS NULL OR i.leased_by IN (SELECT id FROM delivery_workers)))";

/**
 * The delivery queue on SQLite: items in `deliveries` (their order is `seq`), and one row per
 * inbox with a backlog in `delivery_inboxes` (schedule, lease, failure run). Every change that
 * touches both is one IMMEDIATE transaction, which holds the write lock while it reads, so claims
 * from other connections (another process on the same file) wait for it and never see an inbox it
 * took as free.
 */
export class SqliteDeliveryQueue implements DeliveryQueue {
  private readonly s;
  private readonly tx;

  constructor(db: Db) {
    this.s = {
      insertItem: db.prepare<[Omit<ItemRow, "seq">]>(
        `INSERT INTO deliveries (id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at)
         VALUES (@id, @inbox, @domain, @body, @key_id, @activity_id, @attempts, @last_error, @created_at)
         ON CONFLICT (id) DO NOTHING`,
      ),
      insertInbox: db.prepare<[{ inbox: string; domain: string; now: number }]>(
        `INSERT INTO delivery_inboxes (inbox, domain, next_attempt_at) VALUES (@inbox, @domain, @now)
         ON CONFLICT (inbox) DO NOTHING`,
      ),
      activeLeases: db.prepare<[{ now: number; worker: string | null }], { domain: string; n: number; mine: number }>(
        `SELECT i.domain, count(*) AS n, coalesce(sum(i.leased_by = @worker), 0) AS mine
         FROM delivery_inboxes AS i INDEXED BY delivery_inboxes_leased
         WHERE i.leased_until > @now AND ${LEASE_IN_FORCE} GROUP BY i.domain`,
      ),
      /**
       * The claimable inboxes, earliest due first, from just after (@at, @inbox), along the covering
       * due index, leaving out the domains in @skip.
       */
      due: db.prepare<
        [{ now: number; at: number; inbox: string; skip: string }],
        { inbox: string; domain: string; next_attempt_at: number }
      >(
        `SELECT i.inbox, i.domain, i.next_attempt_at FROM delivery_inboxes AS i INDEXED BY delivery_inboxes_due
         WHERE (i.next_attempt_at, i.inbox) > (@at, @inbox) AND i.next_attempt_at <= @now
           AND NOT coalesce(${LEASE_IN_FORCE}, 0)
           AND i.domain NOT IN (SELECT value FROM json_each(@skip))
         ORDER BY i.next_attempt_at, i.inbox`,
      ),
      head: db.prepare<[string], ItemRow>(
        `SELECT ${ITEM_COLUMNS} FROM deliveries WHERE inbox = ? ORDER BY seq LIMIT 1`,
      ),
      lease: db.prepare<[{ inbox: string; until: number; worker: string | null }], InboxRow>(
        `UPDATE delivery_inboxes SET leased_until = @until, leased_by = @worker WHERE inbox = @inbox
         RETURNING ${INBOX_COLUMNS}`,
      ),
      removeInbox: db.prepare<[string]>("DELETE FROM delivery_inboxes WHERE inbox = ?"),
      hasItems: db.prepare<[string], number>("SELECT EXISTS (SELECT 1 FROM deliveries WHERE inbox = ?)").pluck(),
      inboxOf: db.prepare<[string], string>("SELECT inbox FROM deliveries WHERE id = ?").pluck(),
      takeItem: db.prepare<[string], ItemRow>(`DELETE FROM deliveries WHERE id = ? RETURNING ${ITEM_COLUMNS}`),
      /** The inbox's item went (delivered or dropped): its next item is due, its failure run over. */
      releaseDone: db.prepare<[{ inbox: string; now: number }]>(
        `UPDATE delivery_inboxes SET leased_until = NULL, leased_by = NULL, failing_since = NULL, held = 0,
           next_attempt_at = @now
         WHERE inbox = @inbox`,
      ),
      countAttempt: db
        .prepare<[{ id: string; error: string }], string>(
          "UPDATE deliveries SET attempts = attempts + 1, last_error = @error WHERE id = @id RETURNING inbox",
        )
        .pluck(),
      reschedule: db.prepare<[{ inbox: string; at: number; now: number }]>(
        `UPDATE delivery_inboxes SET leased_until = NULL, leased_by = NULL, next_attempt_at = @at,
           failing_since = coalesce(failing_since, @now), held = 0
         WHERE inbox = @inbox`,
      ),
      hold: db.prepare<[{ inbox: string; until: number }]>(
        `UPDATE delivery_inboxes SET leased_until = NULL, leased_by = NULL, next_attempt_at = @until, held = 1
         WHERE inbox = @inbox`,
      ),
      dropExpired: db.prepare<[{ inbox: string; before: number; error: string; now: number }]>(
        `INSERT OR REPLACE INTO dropped_deliveries
           (id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at, dropped_at)
         SELECT id, inbox, domain, body, key_id, activity_id, attempts, @error, created_at, @now
         FROM deliveries WHERE inbox = @inbox AND created_at < @before ORDER BY seq`,
      ),
      deleteExpired: db.prepare<[{ inbox: string; before: number }]>(
        "DELETE FROM deliveries WHERE inbox = @inbox AND created_at < @before",
      ),
      insertDropped: db.prepare<[Omit<DroppedRow, "seq">]>(
        `INSERT OR REPLACE INTO dropped_deliveries
           (id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at, dropped_at)
         VALUES (@id, @inbox, @domain, @body, @key_id, @activity_id, @attempts, @last_error, @created_at, @dropped_at)`,
      ),
      wake: db.prepare<[{ domain: string; since: number; now: number }]>(
        `UPDATE delivery_inboxes SET next_attempt_at = @now, held = 0
         WHERE domain = @domain AND next_attempt_at > @now AND (held = 1 OR failing_since >= @since)`,
      ),
      count: db.prepare<[], number>("SELECT count(*) FROM deliveries").pluck(),
      countForDomain: db.prepare<[string], number>("SELECT count(*) FROM deliveries WHERE domain = ?").pluck(),
      removeItemsForDomain: db.prepare<[string]>("DELETE FROM deliveries WHERE domain = ?"),
      removeInboxesForDomain: db.prepare<[string]>("DELETE FROM delivery_inboxes WHERE domain = ?"),
      pending: db.prepare<[{ now: number; domain: string | null; limit: number }], PendingRow>(
        `SELECT i.inbox, i.domain, i.next_attempt_at, i.failing_since, i.held,
           coalesce(${LEASE_IN_FORCE}, 0) AS in_flight,
           (SELECT count(*) FROM deliveries AS d WHERE d.inbox = i.inbox) AS items,
           (SELECT min(created_at) FROM deliveries AS d WHERE d.inbox = i.inbox) AS oldest,
           h.attempts, h.last_error
         FROM delivery_inboxes AS i
         JOIN deliveries AS h ON h.seq = (SELECT seq FROM deliveries WHERE inbox = i.inbox ORDER BY seq LIMIT 1)
         WHERE @domain IS NULL OR i.domain = @domain
         ORDER BY i.domain, i.inbox LIMIT @limit`,
      ),
      listDropped: db.prepare<[{ before: number; limit: number }], DroppedRow>(
        `SELECT ${DROPPED_COLUMNS} FROM dropped_deliveries WHERE seq < @before ORDER BY seq DESC LIMIT @limit`,
      ),
      listDroppedForDomain: db.prepare<[{ domain: string; before: number; limit: number }], DroppedRow>(
        `SELECT ${DROPPED_COLUMNS} FROM dropped_deliveries WHERE domain = @domain AND seq < @before
         ORDER BY seq DESC LIMIT @limit`,
      ),
      getDropped: db.prepare<[number], DroppedRow>(`SELECT ${DROPPED_COLUMNS} FROM dropped_deliveries WHERE seq = ?`),
      removeDropped: db.prepare<[number]>("DELETE FROM dropped_deliveries WHERE seq = ?"),
      pruneDropped: db.prepare<[number]>("DELETE FROM dropped_deliveries WHERE dropped_at < ?"),
      upsertWorker: db.prepare<[WorkerRow]>(
        `INSERT INTO delivery_workers (${WORKER_COLUMNS})
         VALUES (@id, @host, @pid, @process_started_at, @started_at, @heartbeat_at)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
           process_started_at = excluded.process_started_at, started_at = excluded.started_at,
           heartbeat_at = excluded.heartbeat_at`,
      ),
      heartbeat: db.prepare<[{ id: string; now: number }]>(
        "UPDATE delivery_workers SET heartbeat_at = max(heartbeat_at, @now) WHERE id = @id",
      ),
      listWorkers: db.prepare<[], WorkerRow>(`SELECT ${WORKER_COLUMNS} FROM delivery_workers ORDER BY started_at, id`),
      voidLeases: db.prepare<[string]>(
        "UPDATE delivery_inboxes SET leased_until = NULL, leased_by = NULL WHERE leased_by = ?",
      ),
      removeWorker: db.prepare<[string]>("DELETE FROM delivery_workers WHERE id = ?"),
    };

    const s = this.s;
    /** After items of `inbox` went: forget the inbox when it has nothing left. */
    const forgetIfEmpty = (inbox: string): void => {
      if (!s.hasItems.get(inbox)) s.removeInbox.run(inbox);
    };
    const expire = (inbox: string, before: number | null, error: string, now: number): void => {
      if (before === null) return;
      s.dropExpired.run({ inbox, before, error, now });
      s.deleteExpired.run({ inbox, before });
      forgetIfEmpty(inbox);
    };
    this.tx = {
      enqueue: db.transaction((rows: Array<Omit<ItemRow, "seq">>, now: number) => {
        for (const row of rows) {
          s.insertItem.run(row);
          s.insertInbox.run({ inbox: row.inbox, domain: row.domain, now });
        }
      }),
      claim: db.transaction(
        (now: number, limit: number, until: number, perDomain: number, share: number, worker: string | null) => {
          const picker = new ClaimPicker(
            s.activeLeases.all({ now, worker }).map((r) => [r.domain, r.n, r.mine] as const),
            limit,
            perDomain,
            share,
          );
          this.pickDue(picker, now);
          const out: Delivery[] = [];
          for (const inbox of picker.picked) {
            const head = s.head.get(inbox);
            if (!head) {
              // Nothing queued for it any more: the row is a leftover, not a destination.
              s.removeInbox.run(inbox);
              continue;
            }
            const row = s.lease.get({ inbox, until, worker });
            if (row) out.push(deliveryFromRows(head, row));
          }
          return out;
        },
      ),
      complete: db.transaction((id: string, now: number) => {
        const item = s.takeItem.get(id);
        if (!item) return false;
        s.releaseDone.run({ inbox: item.inbox, now });
        forgetIfEmpty(item.inbox);
        return true;
      }),
      fail: db.transaction((id: string, r: ReturnType<typeof checkedRetry>) => {
        const inbox = s.countAttempt.get({ id, error: r.error });
        if (inbox === undefined) return false;
        s.reschedule.run({ inbox, at: r.at, now: r.now });
        expire(inbox, r.dropBefore, r.expiredError, r.now);
        return true;
      }),
      hold: db.transaction((id: string, until: number, now: number, before: number | null, error: string) => {
        const inbox = s.inboxOf.get(id);
        if (inbox === undefined) return false;
        s.hold.run({ inbox, until });
        expire(inbox, before, error, now);
        return true;
      }),
      drop: db.transaction((id: string, error: string, now: number) => {
        const item = s.takeItem.get(id);
        if (!item) return false;
        const { seq: _seq, ...rest } = item;
        s.insertDropped.run({ ...rest, last_error: error, dropped_at: now });
        s.releaseDone.run({ inbox: item.inbox, now });
        forgetIfEmpty(item.inbox);
        return true;
      }),
      removeForDomain: db.transaction((domain: string) => {
        const n = s.removeItemsForDomain.run(domain).changes;
        s.removeInboxesForDomain.run(domain);
        return n;
      }),
      replay: db.transaction((seqs: number[], now: number) => {
        let n = 0;
        for (const seq of seqs) {
          const d = s.getDropped.get(seq);
          if (!d || d.body === "") continue;
          s.insertItem.run({
            id: d.id,
            inbox: d.inbox,
            domain: d.domain,
            body: d.body,
            key_id: d.key_id,
            activity_id: d.activity_id,
            attempts: 0,
            last_error: null,
            created_at: now,
          });
          s.insertInbox.run({ inbox: d.inbox, domain: d.domain, now });
          s.removeDropped.run(seq);
          n++;
        }
        return n;
      }),
      removeWorker: db.transaction((id: string) => {
        const n = s.voidLeases.run(id).changes;
        s.removeWorker.run(id);
        return n;
      }),
    };
  }

  /**
   * Offers the due inboxes to `picker` in order until it is full or none are left. Usually the
   * first `limit` or so fill it. When busy domains crowd the head of the schedule instead, the scan
   * restarts after the last inbox read every SCAN_BUDGET inboxes, with the full domains filtered
   * out inside SQLite, so their backlog costs an index step each rather than a row handed to JavaScript.
   */
  private pickDue(picker: ClaimPicker, now: number): void {
    let at = Number.MIN_SAFE_INTEGER;
    let inbox = "";
    for (;;) {
      let scanned = 0;
      // iterate() reads lazily; leaving the loop early closes the statement
      for (const row of this.s.due.iterate({ now, at, inbox, skip: JSON.stringify(picker.saturated()) })) {
        at = row.next_attempt_at;
        inbox = row.inbox;
        if (picker.offer({ id: row.inbox, domain: row.domain })) return;
        if (++scanned >= SCAN_BUDGET) break;
      }
      if (scanned < SCAN_BUDGET) return;
    }
  }

  async enqueue(items: NewDelivery[], now: number = Date.now()): Promise<void> {
    const at = int(now, "now");
    const rows = checkedDeliveries(items).map(
      (d): Omit<ItemRow, "seq"> => ({
        id: d.id,
        inbox: d.inbox,
        domain: d.domain,
        body: d.body,
        key_id: d.keyId,
        activity_id: d.activityId,
        attempts: 0,
        last_error: null,
        created_at: at,
      }),
    );
    if (rows.length > 0) this.tx.enqueue.immediate(rows, at);
  }

  async claim(
    now: number,
    limit: number,
    leaseMs: number,
    perDomainLimit: number,
    worker: string | null = null,
    workerShare?: number,
  ): Promise<Delivery[]> {
    const c = checkedClaim(now, limit, leaseMs, perDomainLimit, worker, workerShare);
    if (c.limit === 0 || c.share === 0) return [];
    return this.tx.claim.immediate(c.now, c.limit, c.until, c.perDomain, c.share, c.worker);
  }

  async complete(id: string, now: number = Date.now()): Promise<boolean> {
    return this.tx.complete.immediate(str(id, "id"), int(now, "now"));
  }

  async fail(id: string, retry: DeliveryRetry): Promise<boolean> {
    return this.tx.fail.immediate(str(id, "id"), checkedRetry(retry));
  }

  async hold(
    id: string,
    hold: { until: number; now: number; dropCreatedBefore?: number; expiredError?: string },
  ): Promise<boolean> {
    const h = checkedRetry({ ...hold, at: hold?.until, error: "" });
    return this.tx.hold.immediate(str(id, "id"), h.at, h.now, h.dropBefore, h.expiredError);
  }

  async wake(domain: string, failingSince: number, now: number): Promise<number> {
    const params = { domain: domainArg(domain), since: int(failingSince, "failingSince"), now: int(now, "now") };
    return this.s.wake.run(params).changes;
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
    return this.tx.removeForDomain.immediate(domainArg(domain));
  }

  async pendingInboxes(now: number, limit: number, domain?: string): Promise<PendingInbox[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const d = domain === undefined ? null : domainArg(domain);
    return this.s.pending.all({ now: int(now, "now"), domain: d, limit: max }).map(pendingFromRow);
  }

  async listDropped(limit: number, opts: { domain?: string; before?: number } = {}): Promise<DroppedDelivery[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const before = nullableInt(opts.before, "before") ?? Number.MAX_SAFE_INTEGER;
    const rows =
      opts.domain === undefined
        ? this.s.listDropped.all({ before, limit: max })
        : this.s.listDroppedForDomain.all({ domain: domainArg(opts.domain), before, limit: max });
    return rows.map(droppedFromRow);
  }

  async getDropped(seq: number): Promise<DroppedDelivery | null> {
    const row = this.s.getDropped.get(int(seq, "seq"));
    return row ? droppedFromRow(row) : null;
  }

  async replayDropped(seqs: number[], now: number): Promise<number> {
    const list = checkedSeqs(seqs);
    if (list.length === 0) return 0;
    return this.tx.replay.immediate(list, int(now, "now"));
  }

  async pruneDropped(before: number): Promise<number> {
    return this.s.pruneDropped.run(int(before, "before")).changes;
  }

  async registerWorker(worker: DeliveryWorkerRecord): Promise<void> {
    this.s.upsertWorker.run(workerToRow(checkedWorkerRecord(worker)));
  }

  async heartbeat(id: string, now: number): Promise<boolean> {
    return this.s.heartbeat.run({ id: str(id, "id"), now: int(now, "now") }).changes > 0;
  }

  async listWorkers(): Promise<DeliveryWorkerRecord[]> {
    return this.s.listWorkers.all().map(workerFromRow);
  }

  async removeWorker(id: string): Promise<number> {
    return this.tx.removeWorker.immediate(str(id, "id"));
  }
}
