import { isDuplicateKey } from "../errors.js";
import { DELIVERY_SEQ, DROPPED_SEQ, takeSeqs } from "./delivery-store.js";
import type { FederationCollections } from "./documents.js";

/** What an item queued before per-inbox order carried of its own schedule. */
interface LegacyItem {
  id: string;
  inbox: string;
  domain: string;
  createdAt: number;
  nextAttemptAt?: number;
}

/** Indexes of the queue before per-inbox order, which no query uses any more. */
const OBSOLETE_INDEXES = ["nextAttemptAt_1_id_1", "leasedUntil_1_domain_1"];

/**
 * Brings deliveries stored before per-inbox order to the current shape, at start, before the
 * indexes: each waiting item gets its place in the queue (in creation order) and its inbox a
 * record, due when its earliest item was; each dropped record gets its number and an empty body
 * (it cannot be replayed). Every step is a no-op on data already in shape, so two processes
 * starting together may both run it.
 */
export async function upgradeDeliveries(c: FederationCollections): Promise<void> {
  const legacy = (await c.deliveries
    .find({ seq: { $exists: false } })
    .sort({ createdAt: 1, id: 1 })
    .toArray()) as unknown as LegacyItem[];
  if (legacy.length > 0) {
    let seq = await takeSeqs(c, DELIVERY_SEQ, legacy.length);
    for (const d of legacy) {
      await c.deliveries.updateOne(
        { id: { $eq: d.id }, seq: { $exists: false } },
        { $set: { seq: seq++ }, $unset: { nextAttemptAt: "", leasedUntil: "" } },
      );
      await upsertRetrying(() =>
        c.deliveryInboxes.updateOne(
          { inbox: { $eq: d.inbox } },
          {
            $setOnInsert: {
              domain: d.domain,
              leasedUntil: null,
              leasedBy: null,
              failingSince: null,
              held: false,
              enqueues: 0,
            },
            $min: { nextAttemptAt: d.nextAttemptAt ?? d.createdAt },
          },
          { upsert: true },
        ),
      );
    }
  }
  const dropped = await c.droppedDeliveries
    .find({ seq: { $exists: false } }, { projection: { _id: 0, id: 1 } })
    .sort({ droppedAt: 1, id: 1 })
    .toArray();
  if (dropped.length > 0) {
    let seq = await takeSeqs(c, DROPPED_SEQ, dropped.length);
    for (const d of dropped) {
      await c.droppedDeliveries.updateOne({ id: { $eq: d.id }, seq: { $exists: false } }, { $set: { seq: seq++ } });
      await c.droppedDeliveries.updateOne({ id: { $eq: d.id }, body: { $exists: false } }, { $set: { body: "" } });
    }
  }
  const existing = new Set(
    (
      await c.deliveries
        .listIndexes()
        .toArray()
        .catch(() => [])
    ).map((i) => String(i["name"])),
  );
  for (const name of OBSOLETE_INDEXES) if (existing.has(name)) await c.deliveries.dropIndex(name).catch(() => {});
}

/** Two processes upgrading together may both insert one inbox record; the loser's retry updates it. */
async function upsertRetrying(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    await work();
  }
}
