import type { MongoClient } from "mongodb";
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
import { inTransaction } from "../transactions.js";
import { type FederationCollections, toDelivery, toDroppedDelivery } from "./documents.js";
import { CLAIM_LOCK } from "./indexes.js";

/**
 * The delivery queue on MongoDB.
 *
 * A claim is one transaction that first bumps a shared lock document. Two claims touching different
 * items would otherwise both commit on the lease counts they read (write skew), exceeding the
 * per-domain limit; with the lock document they conflict, and the driver retries the later one,
 * which then reads the first one's leases. Claims are short, so serialising them costs little; the
 * rest of the queue (enqueue, complete, fail) never touches the lock.
 */
export class MongoDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: MongoClient,
    private readonly c: FederationCollections,
  ) {}

  async enqueue(items: NewDelivery[], now: number = Date.now()): Promise<void> {
    const at = int(now, "now");
    const checked = checkedDeliveries(items);
    if (checked.length === 0) return;
    await inTransaction(this.client, async (session) => {
      await this.c.deliveries.bulkWrite(
        checked.map((d) => ({
          updateOne: {
            // `id` comes from the filter's equality (a checked string); an id already queued is left alone
            filter: { id: d.id },
            update: {
              $setOnInsert: {
                inbox: d.inbox,
                domain: d.domain,
                body: d.body,
                keyId: d.keyId,
                activityId: d.activityId,
                attempts: 0,
                nextAttemptAt: at,
                leasedUntil: null,
                lastError: null,
                createdAt: at,
              },
            },
            upsert: true,
          },
        })),
        { session, ordered: true },
      );
    });
  }

  async claim(now: number, limit: number, leaseMs: number, perDomainLimit: number): Promise<Delivery[]> {
    const c = checkedClaim(now, limit, leaseMs, perDomainLimit);
    if (c.limit === 0 || c.perDomain === 0) return [];
    return inTransaction(this.client, async (session) => {
      // upsert: should the document have gone missing, the claim recreates it rather than run unguarded
      await this.c.locks.updateOne({ name: CLAIM_LOCK }, { $inc: { seq: 1 } }, { session, upsert: true });
      const active = await this.c.deliveries
        .aggregate<{ _id: string; n: number }>(
          [{ $match: { leasedUntil: { $gt: c.now } } }, { $group: { _id: "$domain", n: { $sum: 1 } } }],
          { session },
        )
        .toArray();
      const picker = new ClaimPicker(
        active.map((r) => [r._id, r.n] as const),
        c.limit,
        c.perDomain,
      );
      const due = this.c.deliveries
        .find(
          {
            nextAttemptAt: { $lte: c.now },
            $or: [{ leasedUntil: null }, { leasedUntil: { $lte: c.now } }],
            // domains already at their limit are left out by the server
            domain: { $nin: picker.saturated() },
          },
          { session, projection: { _id: 0, id: 1, domain: 1 } },
        )
        .sort({ nextAttemptAt: 1, id: 1 });
      // leaving the loop early closes the cursor
      for await (const item of due) if (picker.offer(item)) break;
      if (picker.picked.length === 0) return [];
      const ids = picker.picked;
      await this.c.deliveries.updateMany({ id: { $in: ids } }, { $set: { leasedUntil: c.until } }, { session });
      const docs = await this.c.deliveries.find({ id: { $in: ids } }, { session }).toArray();
      return docs.map(toDelivery).sort(byDueTime);
    });
  }

  async complete(id: string): Promise<boolean> {
    return (await this.c.deliveries.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount > 0;
  }

  async fail(id: string, nextAttemptAt: number, error: string): Promise<boolean> {
    const res = await this.c.deliveries.updateOne(
      { id: { $eq: str(id, "id") } },
      {
        $inc: { attempts: 1 },
        $set: { nextAttemptAt: int(nextAttemptAt, "nextAttemptAt"), leasedUntil: null, lastError: boundedError(error) },
      },
    );
    return res.matchedCount > 0;
  }

  async drop(id: string, error: string, now: number = Date.now()): Promise<boolean> {
    const key = str(id, "id");
    const lastError = boundedError(error);
    const droppedAt = int(now, "now");
    return inTransaction(this.client, async (session) => {
      const doc = await this.c.deliveries.findOneAndDelete({ id: { $eq: key } }, { session });
      if (!doc) return false;
      const dropped: DroppedDelivery = {
        id: doc.id,
        inbox: doc.inbox,
        domain: doc.domain,
        keyId: doc.keyId,
        activityId: doc.activityId,
        attempts: doc.attempts,
        lastError,
        createdAt: doc.createdAt,
        droppedAt,
      };
      await this.c.droppedDeliveries.replaceOne({ id: { $eq: key } }, dropped, { session, upsert: true });
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
    return (await this.c.deliveries.deleteMany({ domain: { $eq: domainArg(domain) } })).deletedCount;
  }

  async listDropped(limit: number): Promise<DroppedDelivery[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const docs = await this.c.droppedDeliveries.find({}).sort({ droppedAt: -1, id: 1 }).limit(max).toArray();
    return docs.map(toDroppedDelivery);
  }

  async pruneDropped(before: number): Promise<number> {
    return (await this.c.droppedDeliveries.deleteMany({ droppedAt: { $lt: int(before, "before") } })).deletedCount;
  }
}
