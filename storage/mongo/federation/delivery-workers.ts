import type { MongoClient } from "mongodb";
import type { DeliveryWorkerRecord } from "../../../server/domain/federation-ports.js";
import { checkedWorkerRecord } from "../../common/federation.js";
import { int, str } from "../../common/guards.js";
import { inTransaction } from "../transactions.js";
import { type FederationCollections, toWorkerRecord } from "./documents.js";

/** The registry of running delivery workers on MongoDB; forgetting one voids its leases in the same transaction. */
export class MongoDeliveryWorkers {
  constructor(
    private readonly client: MongoClient,
    private readonly c: FederationCollections,
  ) {}

  async registerWorker(worker: DeliveryWorkerRecord): Promise<void> {
    const w = checkedWorkerRecord(worker);
    await this.c.deliveryWorkers.replaceOne({ id: { $eq: w.id } }, w, { upsert: true });
  }

  async heartbeat(id: string, now: number): Promise<boolean> {
    const res = await this.c.deliveryWorkers.updateOne(
      { id: { $eq: str(id, "id") } },
      { $max: { heartbeatAt: int(now, "now") } },
    );
    return res.matchedCount > 0;
  }

  async listWorkers(): Promise<DeliveryWorkerRecord[]> {
    const docs = await this.c.deliveryWorkers.find({}).sort({ startedAt: 1, id: 1 }).toArray();
    return docs.map(toWorkerRecord);
  }

  async removeWorker(id: string): Promise<number> {
    const key = str(id, "id");
    return inTransaction(this.client, async (session) => {
      const res = await this.c.deliveryInboxes.updateMany(
        { leasedBy: { $eq: key } },
        { $set: { leasedUntil: null, leasedBy: null } },
        { session },
      );
      await this.c.deliveryWorkers.deleteOne({ id: { $eq: key } }, { session });
      return res.modifiedCount;
    });
  }
}
