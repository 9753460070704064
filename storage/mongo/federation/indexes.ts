import { isDuplicateKey } from "../errors.js";
import type { FederationCollections } from "./documents.js";
import { upgradeDeliveries } from "./upgrade-deliveries.js";

/** The lock document every claim transaction updates (see deliveries.ts). */
export const CLAIM_LOCK = "deliveries.claim";

/**
 * Creates the indexes the federation queries rely on, and the lock document claims serialise on,
 * after bringing deliveries stored by an older version to the current shape. All of it is a no-op
 * when already done, so this runs at every start.
 */
export async function ensureFederationIndexes(c: FederationCollections): Promise<void> {
  // first: the upgrade takes numbers from counters in this collection, which must exist once each
  await c.locks.createIndex({ name: 1 }, { unique: true });
  await upgradeDeliveries(c);

  await c.actorKeys.createIndex({ actorId: 1 }, { unique: true });

  await c.remoteActors.createIndex({ id: 1 }, { unique: true });
  await c.remoteActors.createIndex({ keyId: 1 }, { unique: true });
  await c.remoteActors.createIndex({ domain: 1, id: 1 });

  await c.follows.createIndex({ actorId: 1, objectId: 1 }, { unique: true });
  await c.follows.createIndex({ id: 1 }, { unique: true });
  await c.follows.createIndex({ board: 1, direction: 1, state: 1, createdAt: 1 });
  await c.follows.createIndex({ domain: 1 });

  await c.deliveries.createIndex({ id: 1 }, { unique: true });
  // an inbox's head is the first entry of its range
  await c.deliveries.createIndex({ inbox: 1, seq: 1 });
  await c.deliveries.createIndex({ domain: 1 });

  await c.deliveryInboxes.createIndex({ inbox: 1 }, { unique: true });
  // a claim walks the due inboxes in this order and stops once it has enough
  await c.deliveryInboxes.createIndex({ nextAttemptAt: 1, inbox: 1 });
  await c.deliveryInboxes.createIndex({ domain: 1 });
  // a claim counts the leases in force by domain: a range above `now`, which unleased records (null) are not in
  await c.deliveryInboxes.createIndex({ leasedUntil: 1, domain: 1 });
  await c.deliveryInboxes.createIndex({ leasedBy: 1 });

  await c.deliveryWorkers.createIndex({ id: 1 }, { unique: true });

  await c.droppedDeliveries.createIndex({ id: 1 }, { unique: true });
  await c.droppedDeliveries.createIndex({ seq: -1 });
  await c.droppedDeliveries.createIndex({ domain: 1, seq: -1 });
  await c.droppedDeliveries.createIndex({ droppedAt: -1 });

  await c.domainHealth.createIndex({ domain: 1 }, { unique: true });
  // the domains in a run of failures (null while healthy)
  await c.domainHealth.createIndex({ firstFailureAt: 1 });

  await c.inboxSeen.createIndex({ activityId: 1 }, { unique: true });
  await c.inboxSeen.createIndex({ expiresAt: 1 });

  await c.inboundRetries.createIndex({ id: 1 }, { unique: true });
  // a claim walks the due items still tried in this order
  await c.inboundRetries.createIndex({ failedAt: 1, nextAttemptAt: 1, id: 1 });

  await c.remotePosts.createIndex({ apId: 1 }, { unique: true });
  await c.remotePosts.createIndex({ board: 1, no: 1 }, { unique: true });

  await c.groupBans.createIndex({ actorId: 1, groupId: 1 }, { unique: true });

  await c.instances.createIndex({ domain: 1 }, { unique: true });

  try {
    await c.locks.updateOne({ name: CLAIM_LOCK }, { $setOnInsert: { seq: 0 } }, { upsert: true });
  } catch (e) {
    // another process starting at the same moment created it
    if (!isDuplicateKey(e)) throw e;
  }
}
