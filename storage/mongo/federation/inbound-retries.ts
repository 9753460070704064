import type { InboundRetry, InboundRetryQueue, NewInboundRetry } from "../../../server/domain/federation-ports.js";
import { boundedError, checkedInboundRetry, nonNegativeInt } from "../../common/federation.js";
import { int, page, str } from "../../common/guards.js";
import type { FederationCollections, InboundRetryDoc } from "./documents.js";

function fromDoc(d: InboundRetryDoc): InboundRetry {
  return {
    id: d.id,
    board: d.board,
    signer: d.signer,
    body: d.body,
    receivedAt: d.receivedAt,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt,
    lastError: d.lastError,
    failedAt: d.failedAt,
  };
}

/**
 * The inbox's retry queue on MongoDB. Each item of a claim is leased by one `findOneAndUpdate`,
 * atomic on its document, so two processes never lease the same item.
 */
export class MongoInboundRetryQueue implements InboundRetryQueue {
  constructor(private readonly c: FederationCollections) {}

  async add(item: NewInboundRetry, now: number, nextAttemptAt: number): Promise<boolean> {
    const i = checkedInboundRetry(item);
    const res = await this.c.inboundRetries.updateOne(
      { id: { $eq: i.id } },
      {
        $setOnInsert: {
          board: i.board,
          signer: i.signer,
          body: i.body,
          receivedAt: int(now, "now"),
          attempts: 1,
          nextAttemptAt: int(nextAttemptAt, "nextAttemptAt"),
          leasedUntil: null,
          lastError: i.lastError,
          failedAt: null,
        },
      },
      { upsert: true },
    );
    return res.upsertedCount > 0;
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<InboundRetry[]> {
    const at = int(now, "now");
    const { limit: max } = page(0, limit);
    const until = at + nonNegativeInt(leaseMs, "leaseMs");
    const out: InboundRetry[] = [];
    while (out.length < max) {
      const doc = await this.c.inboundRetries.findOneAndUpdate(
        {
          failedAt: null,
          nextAttemptAt: { $lte: at },
          $or: [{ leasedUntil: null }, { leasedUntil: { $lte: at } }],
        },
        { $set: { leasedUntil: until } },
        { sort: { nextAttemptAt: 1, id: 1 }, returnDocument: "after" },
      );
      if (!doc) break;
      out.push(fromDoc(doc));
    }
    return out;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.c.inboundRetries.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount > 0;
  }

  async retryAt(id: string, nextAttemptAt: number, error: string): Promise<boolean> {
    const res = await this.c.inboundRetries.updateOne(
      { id: { $eq: str(id, "id") }, failedAt: null },
      {
        $inc: { attempts: 1 },
        $set: { nextAttemptAt: int(nextAttemptAt, "nextAttemptAt"), leasedUntil: null, lastError: boundedError(error) },
      },
    );
    return res.matchedCount > 0;
  }

  async giveUp(id: string, error: string, now: number): Promise<boolean> {
    const res = await this.c.inboundRetries.updateOne(
      { id: { $eq: str(id, "id") }, failedAt: null },
      { $inc: { attempts: 1 }, $set: { leasedUntil: null, lastError: boundedError(error), failedAt: int(now, "now") } },
    );
    return res.matchedCount > 0;
  }

  async list(opts: { failed: boolean; limit: number }): Promise<InboundRetry[]> {
    const { limit } = page(0, opts.limit);
    if (limit === 0) return [];
    const docs = opts.failed
      ? await this.c.inboundRetries
          .find({ failedAt: { $ne: null } })
          .sort({ failedAt: -1, id: 1 })
          .limit(limit)
          .toArray()
      : await this.c.inboundRetries.find({ failedAt: null }).sort({ nextAttemptAt: 1, id: 1 }).limit(limit).toArray();
    return docs.map(fromDoc);
  }

  async countPending(): Promise<number> {
    return this.c.inboundRetries.countDocuments({ failedAt: null });
  }

  async replay(id: string, now: number): Promise<boolean> {
    const at = int(now, "now");
    const res = await this.c.inboundRetries.updateOne(
      { id: { $eq: str(id, "id") }, failedAt: { $ne: null } },
      { $set: { failedAt: null, leasedUntil: null, receivedAt: at, nextAttemptAt: at, attempts: 0 } },
    );
    return res.matchedCount > 0;
  }

  async pruneFailed(before: number): Promise<number> {
    const res = await this.c.inboundRetries.deleteMany({ failedAt: { $ne: null, $lt: int(before, "before") } });
    return res.deletedCount;
  }
}
