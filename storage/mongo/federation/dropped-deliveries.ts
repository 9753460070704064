import type { MongoClient } from "mongodb";
import type { DroppedDelivery } from "../../../server/domain/federation-ports.js";
import { checkedSeqs, domainArg } from "../../common/federation.js";
import { int, nullableInt, page } from "../../common/guards.js";
import { inTransaction } from "../transactions.js";
import { DELIVERY_SEQ, newItemDoc, takeSeqs, touchInbox } from "./delivery-store.js";
import { type FederationCollections, toDroppedDelivery } from "./documents.js";

/** The dropped deliveries on MongoDB: listed newest first by their own `seq`, replayed in one transaction. */
export class MongoDroppedDeliveries {
  constructor(
    private readonly client: MongoClient,
    private readonly c: FederationCollections,
  ) {}

  async list(limit: number, opts: { domain?: string; before?: number } = {}): Promise<DroppedDelivery[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const before = nullableInt(opts.before, "before") ?? Number.MAX_SAFE_INTEGER;
    const filter =
      opts.domain === undefined
        ? { seq: { $lt: before } }
        : { domain: { $eq: domainArg(opts.domain) }, seq: { $lt: before } };
    const docs = await this.c.droppedDeliveries.find(filter).sort({ seq: -1 }).limit(max).toArray();
    return docs.map(toDroppedDelivery);
  }

  async get(seq: number): Promise<DroppedDelivery | null> {
    const doc = await this.c.droppedDeliveries.findOne({ seq: { $eq: int(seq, "seq") } });
    return doc ? toDroppedDelivery(doc) : null;
  }

  async replay(seqs: number[], now: number): Promise<number> {
    const list = checkedSeqs(seqs);
    const at = int(now, "now");
    if (list.length === 0) return 0;
    return inTransaction(this.client, async (session) => {
      const docs = await this.c.droppedDeliveries
        .find({ seq: { $in: list }, body: { $type: "string", $ne: "" } }, { session })
        .sort({ seq: 1 })
        .toArray();
      if (docs.length === 0) return 0;
      let seq = await takeSeqs(this.c, DELIVERY_SEQ, docs.length, session);
      for (const d of docs) {
        await this.c.deliveries.updateOne(
          { id: { $eq: d.id } },
          {
            $setOnInsert: newItemDoc(d, seq++, at),
          },
          { session, upsert: true },
        );
        await touchInbox(this.c, d.inbox, d.domain, at, session);
      }
      await this.c.droppedDeliveries.deleteMany({ seq: { $in: docs.map((d) => d.seq) } }, { session });
      return docs.length;
    });
  }

  async prune(before: number): Promise<number> {
    return (await this.c.droppedDeliveries.deleteMany({ droppedAt: { $lt: int(before, "before") } })).deletedCount;
  }
}
