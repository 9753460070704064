import type { ClientSession } from "mongodb";
import type { DeliveryDoc, FederationCollections } from "./documents.js";

/*
 * What the MongoDB delivery queue's parts share: its counters, and what happens to an inbox when
 * items leave it. Every function runs inside the caller's transaction (`session`).
 */

/** The counter of queue order (`seq` of queued items). */
export const DELIVERY_SEQ = "deliveries.seq";
/** The counter of dropped records (`seq` of dropped deliveries). */
export const DROPPED_SEQ = "droppedDeliveries.seq";

/**
 * Takes `n` numbers from a counter and returns the first. Inside a transaction, takers conflict
 * on the counter document, so one of them is retried after the other commits: numbers follow the
 * commit order, and a reader never sees a higher number of an inbox before a lower one.
 */
export async function takeSeqs(
  c: FederationCollections,
  name: string,
  n: number,
  session?: ClientSession,
): Promise<number> {
  const doc = await c.locks.findOneAndUpdate(
    { name },
    { $inc: { seq: n } },
    { session, upsert: true, returnDocument: "after" },
  );
  return (doc?.seq ?? n) - n + 1;
}

/** A queued item's document, new (untried) from `at`, at place `seq` in the queue. */
export function newItemDoc(
  d: Pick<DeliveryDoc, "inbox" | "domain" | "body" | "keyId" | "activityId">,
  seq: number,
  at: number,
): Omit<DeliveryDoc, "id"> {
  return {
    seq,
    inbox: d.inbox,
    domain: d.domain,
    body: d.body,
    keyId: d.keyId,
    activityId: d.activityId,
    attempts: 0,
    lastError: null,
    createdAt: at,
  };
}

/**
 * Creates the inbox's record if it has none (due at `now`), and moves its `enqueues` in any case,
 * so a removal of the record racing with this conflicts with it instead of orphaning the items.
 */
export async function touchInbox(
  c: FederationCollections,
  inbox: string,
  domain: string,
  now: number,
  session: ClientSession,
): Promise<void> {
  await c.deliveryInboxes.updateOne(
    { inbox },
    {
      $setOnInsert: { domain, nextAttemptAt: now, leasedUntil: null, leasedBy: null, failingSince: null, held: false },
      $inc: { enqueues: 1 },
    },
    { session, upsert: true },
  );
}

/** Forgets the inbox's record when nothing is queued for it any more; true when it did. */
export async function forgetIfEmpty(c: FederationCollections, inbox: string, session: ClientSession): Promise<boolean> {
  const left = await c.deliveries.findOne({ inbox: { $eq: inbox } }, { session, projection: { _id: 1 } });
  if (left) return false;
  await c.deliveryInboxes.deleteOne({ inbox: { $eq: inbox } }, { session });
  return true;
}

/**
 * Moves the items of `inbox` queued before `before` to the dropped list with `error`, oldest
 * first, and forgets the inbox when that emptied it.
 */
export async function expireItems(
  c: FederationCollections,
  inbox: string,
  before: number,
  error: string,
  now: number,
  session: ClientSession,
): Promise<void> {
  const old = await c.deliveries
    .find({ inbox: { $eq: inbox }, createdAt: { $lt: before } }, { session })
    .sort({ seq: 1 })
    .toArray();
  if (old.length === 0) return;
  let seq = await takeSeqs(c, DROPPED_SEQ, old.length, session);
  for (const d of old) {
    await c.droppedDeliveries.replaceOne(
      { id: { $eq: d.id } },
      {
        seq: seq++,
        id: d.id,
        inbox: d.inbox,
        domain: d.domain,
        body: d.body,
        keyId: d.keyId,
        activityId: d.activityId,
        attempts: d.attempts,
        lastError: error,
        createdAt: d.createdAt,
        droppedAt: now,
      },
      { session, upsert: true },
    );
  }
  await c.deliveries.deleteMany({ id: { $in: old.map((d) => d.id) } }, { session });
  await forgetIfEmpty(c, inbox, session);
}
