import type { ClientSession, Filter, MongoClient } from "mongodb";
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
  domainArg,
} from "../../common/federation.js";
import { int, page, str } from "../../common/guards.js";
import { inTransaction } from "../transactions.js";
import {
  DELIVERY_SEQ,
  DROPPED_SEQ,
  expireItems,
  forgetIfEmpty,
  newItemDoc,
  takeSeqs,
  touchInbox,
} from "./delivery-store.js";
import { MongoDeliveryWorkers } from "./delivery-workers.js";
import { type DeliveryInboxDoc, type FederationCollections, toDelivery } from "./documents.js";
import { MongoDroppedDeliveries } from "./dropped-deliveries.js";
import { CLAIM_LOCK } from "./indexes.js";

/**
 * The delivery queue on MongoDB: items in `deliveries` (ordered by `seq` from a counter taken in
 * the enqueue's transaction), one record per inbox with a backlog in `deliveryInboxes`.
 *
 * A claim is one transaction that first bumps a shared lock document. Two claims touching different
 * inboxes would otherwise both commit on the lease counts they read (write skew), exceeding the
 * per-domain limit; with the lock document they conflict, and the driver retries the later one,
 * which then reads the first one's leases. Claims are short, so serialising them costs little; the
 * rest of the queue never touches the lock, and conflicts with claims on the inbox records instead.
 */
export class MongoDeliveryQueue implements DeliveryQueue {
  private readonly dropped: MongoDroppedDeliveries;
  private readonly workers: MongoDeliveryWorkers;

  constructor(
    private readonly client: MongoClient,
    private readonly c: FederationCollections,
  ) {
    this.dropped = new MongoDroppedDeliveries(client, c);
    this.workers = new MongoDeliveryWorkers(client, c);
  }

  async enqueue(items: NewDelivery[], now: number = Date.now()): Promise<void> {
    const at = int(now, "now");
    const checked = checkedDeliveries(items);
    if (checked.length === 0) return;
    await inTransaction(this.client, async (session) => {
      const first = await takeSeqs(this.c, DELIVERY_SEQ, checked.length, session);
      await this.c.deliveries.bulkWrite(
        checked.map((d, i) => ({
          updateOne: {
            // `id` comes from the filter's equality (a checked string); an id already queued is left alone
            filter: { id: d.id },
            update: {
              $setOnInsert: newItemDoc(d, first + i, at),
            },
            upsert: true,
          },
        })),
        { session, ordered: true },
      );
      const inboxes = new Map(checked.map((d) => [d.inbox, d.domain]));
      for (const [inbox, domain] of inboxes) await touchInbox(this.c, inbox, domain, at, session);
    });
  }

  /** The inbox records whose lease is in force at `now` (not run out, and its worker registered). */
  private async leaseInForce(now: number, session: ClientSession): Promise<Filter<DeliveryInboxDoc>> {
    const live = await this.c.deliveryWorkers.find({}, { session, projection: { _id: 0, id: 1 } }).toArray();
    return { leasedUntil: { $gt: now }, $or: [{ leasedBy: null }, { leasedBy: { $in: live.map((w) => w.id) } }] };
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
    return inTransaction(this.client, async (session) => {
      // upsert: should the document have gone missing, the claim recreates it rather than run unguarded
      await this.c.locks.updateOne({ name: CLAIM_LOCK }, { $inc: { seq: 1 } }, { session, upsert: true });
      const inForce = await this.leaseInForce(c.now, session);
      // a claim without a worker id has no leases of its own to count
      const mine = c.worker === null ? 0 : { $cond: [{ $eq: ["$leasedBy", c.worker] }, 1, 0] };
      const active = await this.c.deliveryInboxes
        .aggregate<{ _id: string; n: number; mine: number }>(
          [{ $match: inForce }, { $group: { _id: "$domain", n: { $sum: 1 }, mine: { $sum: mine } } }],
          { session },
        )
        .toArray();
      const picker = new ClaimPicker(
        active.map((r) => [r._id, r.n, r.mine] as const),
        c.limit,
        c.perDomain,
        c.share,
      );
      const due = this.c.deliveryInboxes
        .find(
          // domains already at their limit are left out by the server
          { nextAttemptAt: { $lte: c.now }, domain: { $nin: picker.saturated() }, $nor: [inForce] },
          { session, projection: { _id: 0, inbox: 1, domain: 1 } },
        )
        .sort({ nextAttemptAt: 1, inbox: 1 });
      // leaving the loop early closes the cursor
      for await (const row of due) if (picker.offer({ id: row.inbox, domain: row.domain })) break;
      const out: Delivery[] = [];
      for (const inbox of picker.picked) {
        const head = await this.c.deliveries.findOne({ inbox: { $eq: inbox } }, { session, sort: { seq: 1 } });
        if (!head) {
          // Nothing queued for it any more: the record is a leftover, not a destination.
          await this.c.deliveryInboxes.deleteOne({ inbox: { $eq: inbox } }, { session });
          continue;
        }
        const row = await this.c.deliveryInboxes.findOneAndUpdate(
          { inbox: { $eq: inbox } },
          { $set: { leasedUntil: c.until, leasedBy: c.worker } },
          { session, returnDocument: "after" },
        );
        if (row) out.push(toDelivery(head, row));
      }
      return out;
    });
  }

  /** The inbox's item went (delivered or dropped): its next item is due at once, its failure run over. */
  private async release(inbox: string, now: number, session: ClientSession): Promise<void> {
    if (await forgetIfEmpty(this.c, inbox, session)) return;
    await this.c.deliveryInboxes.updateOne(
      { inbox: { $eq: inbox } },
      { $set: { leasedUntil: null, leasedBy: null, failingSince: null, held: false, nextAttemptAt: now } },
      { session },
    );
  }

  async complete(id: string, now: number = Date.now()): Promise<boolean> {
    const key = str(id, "id");
    const at = int(now, "now");
    return inTransaction(this.client, async (session) => {
      const item = await this.c.deliveries.findOneAndDelete({ id: { $eq: key } }, { session });
      if (!item) return false;
      await this.release(item.inbox, at, session);
      return true;
    });
  }

  async fail(id: string, retry: DeliveryRetry): Promise<boolean> {
    const key = str(id, "id");
    const r = checkedRetry(retry);
    return inTransaction(this.client, async (session) => {
      const item = await this.c.deliveries.findOneAndUpdate(
        { id: { $eq: key } },
        { $inc: { attempts: 1 }, $set: { lastError: r.error } },
        { session },
      );
      if (!item) return false;
      await this.c.deliveryInboxes.updateOne(
        { inbox: { $eq: item.inbox } },
        [
          {
            $set: {
              leasedUntil: null,
              leasedBy: null,
              nextAttemptAt: r.at,
              failingSince: { $ifNull: ["$failingSince", r.now] },
              held: false,
            },
          },
        ],
        { session },
      );
      if (r.dropBefore !== null) await expireItems(this.c, item.inbox, r.dropBefore, r.expiredError, r.now, session);
      return true;
    });
  }

  async hold(
    id: string,
    hold: { until: number; now: number; dropCreatedBefore?: number; expiredError?: string },
  ): Promise<boolean> {
    const key = str(id, "id");
    const h = checkedRetry({ ...hold, at: hold?.until, error: "" });
    return inTransaction(this.client, async (session) => {
      const item = await this.c.deliveries.findOne({ id: { $eq: key } }, { session, projection: { inbox: 1 } });
      if (!item) return false;
      await this.c.deliveryInboxes.updateOne(
        { inbox: { $eq: item.inbox } },
        { $set: { leasedUntil: null, leasedBy: null, nextAttemptAt: h.at, held: true } },
        { session },
      );
      if (h.dropBefore !== null) await expireItems(this.c, item.inbox, h.dropBefore, h.expiredError, h.now, session);
      return true;
    });
  }

  async wake(domain: string, failingSince: number, now: number): Promise<number> {
    const at = int(now, "now");
    const since = int(failingSince, "failingSince");
    const res = await this.c.deliveryInboxes.updateMany(
      {
        domain: { $eq: domainArg(domain) },
        nextAttemptAt: { $gt: at },
        $or: [{ held: true }, { failingSince: { $gte: since } }],
      },
      { $set: { nextAttemptAt: at, held: false } },
    );
    return res.modifiedCount;
  }

  async drop(id: string, error: string, now: number = Date.now()): Promise<boolean> {
    const key = str(id, "id");
    const lastError = boundedError(error);
    const droppedAt = int(now, "now");
    return inTransaction(this.client, async (session) => {
      const doc = await this.c.deliveries.findOneAndDelete({ id: { $eq: key } }, { session });
      if (!doc) return false;
      const seq = await takeSeqs(this.c, DROPPED_SEQ, 1, session);
      const dropped: DroppedDelivery = {
        seq,
        id: doc.id,
        inbox: doc.inbox,
        domain: doc.domain,
        body: doc.body,
        keyId: doc.keyId,
        activityId: doc.activityId,
        attempts: doc.attempts,
        lastError,
        createdAt: doc.createdAt,
        droppedAt,
      };
      await this.c.droppedDeliveries.replaceOne({ id: { $eq: key } }, dropped, { session, upsert: true });
      await this.release(doc.inbox, droppedAt, session);
      return true;
    });
  }

  async countPending(): Promise<number> {
    return this.c.deliveries.countDocuments({});
  }

  async pendingForDomain(domain: string): Promise<number> {
    return this.c.deliveries.countDocuments({ domain: { $eq: domainArg(domain) } });
  }

  async removeForDomain(domain: string): Promise<number> {
    const d = domainArg(domain);
    return inTransaction(this.client, async (session) => {
      const n = (await this.c.deliveries.deleteMany({ domain: { $eq: d } }, { session })).deletedCount;
      await this.c.deliveryInboxes.deleteMany({ domain: { $eq: d } }, { session });
      return n;
    });
  }

  async pendingInboxes(now: number, limit: number, domain?: string): Promise<PendingInbox[]> {
    const at = int(now, "now");
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const filter = domain === undefined ? {} : { domain: { $eq: domainArg(domain) } };
    const live = new Set((await this.workers.listWorkers()).map((w) => w.id));
    const rows = await this.c.deliveryInboxes.find(filter).sort({ domain: 1, inbox: 1 }).limit(max).toArray();
    const out: PendingInbox[] = [];
    for (const row of rows) {
      const head = await this.c.deliveries.findOne({ inbox: { $eq: row.inbox } }, { sort: { seq: 1 } });
      if (!head) continue;
      const [stats] = await this.c.deliveries
        .aggregate<{ n: number; oldest: number }>([
          { $match: { inbox: { $eq: row.inbox } } },
          { $group: { _id: null, n: { $sum: 1 }, oldest: { $min: "$createdAt" } } },
        ])
        .toArray();
      const leased = (row.leasedUntil ?? 0) > at && (row.leasedBy == null || live.has(row.leasedBy));
      out.push({
        inbox: row.inbox,
        domain: row.domain,
        items: stats?.n ?? 1,
        oldestCreatedAt: stats?.oldest ?? head.createdAt,
        headAttempts: head.attempts,
        lastError: head.lastError ?? null,
        nextAttemptAt: row.nextAttemptAt,
        failingSince: row.failingSince ?? null,
        held: row.held === true,
        inFlight: leased,
      });
    }
    return out;
  }

  listDropped(limit: number, opts?: { domain?: string; before?: number }): Promise<DroppedDelivery[]> {
    return this.dropped.list(limit, opts);
  }

  getDropped(seq: number): Promise<DroppedDelivery | null> {
    return this.dropped.get(seq);
  }

  replayDropped(seqs: number[], now: number): Promise<number> {
    return this.dropped.replay(seqs, now);
  }

  pruneDropped(before: number): Promise<number> {
    return this.dropped.prune(before);
  }

  registerWorker(worker: DeliveryWorkerRecord): Promise<void> {
    return this.workers.registerWorker(worker);
  }

  heartbeat(id: string, now: number): Promise<boolean> {
    return this.workers.heartbeat(id, now);
  }

  listWorkers(): Promise<DeliveryWorkerRecord[]> {
    return this.workers.listWorkers();
  }

  removeWorker(id: string): Promise<number> {
    return this.workers.removeWorker(id);
  }
}
