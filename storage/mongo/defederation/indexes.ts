import { isDuplicateKey } from "../errors.js";
import { type DefederationCollections, RULES_META } from "./documents.js";

/**
 * Creates the indexes defederation relies on, and the counter document every apply bumps.
 * Both are no-ops when already there, so this runs at every start. The counter exists before the
 * first transaction so no transaction has to create it.
 */
export async function ensureDefederationIndexes(c: DefederationCollections): Promise<void> {
  await c.blocks.createIndex({ id: 1 }, { unique: true });
  await c.blocks.createIndex({ domain: 1 }, { unique: true });

  await c.allows.createIndex({ id: 1 }, { unique: true });
  await c.allows.createIndex({ domain: 1 }, { unique: true });

  await c.boardRules.createIndex({ id: 1 }, { unique: true });
  await c.boardRules.createIndex({ board: 1, domain: 1 }, { unique: true });

  await c.audit.createIndex({ id: 1 }, { unique: true });
  await c.audit.createIndex({ seq: 1 }, { unique: true });
  // newest-first paging, over everything and by domain
  await c.audit.createIndex({ at: -1, seq: -1 });
  await c.audit.createIndex({ domain: 1, at: -1, seq: -1 });

  await c.subscriptions.createIndex({ id: 1 }, { unique: true });
  await c.subscriptions.createIndex({ url: 1 }, { unique: true });

  await c.entries.createIndex({ subscriptionId: 1, domain: 1 }, { unique: true });

  await c.purges.createIndex({ domain: 1 }, { unique: true });
  await c.purges.createIndex({ at: 1 });
  await c.held.createIndex({ id: 1 }, { unique: true });
  await c.held.createIndex({ board: 1, receivedAt: 1 });
  await c.held.createIndex({ domain: 1 });
  await c.peers.createIndex({ domain: 1 }, { unique: true });
  await c.peers.createIndex({ probationStart: 1 }, { partialFilterExpression: { probationEnd: { $eq: null } } });

  await c.severanceEvents.createIndex({ id: 1 }, { unique: true });
  await c.severanceEvents.createIndex({ at: -1, id: -1 });
  await c.severanceEvents.createIndex({ domain: 1, at: -1, id: -1 });
  await c.severedRelationships.createIndex({ eventId: 1, board: 1, direction: 1, remoteActor: 1 }, { unique: true });

  await c.meta.createIndex({ name: 1 }, { unique: true });
  try {
    await c.meta.updateOne({ name: RULES_META }, { $setOnInsert: { version: 0, auditSeq: 0 } }, { upsert: true });
  } catch (e) {
    // another process starting at the same moment created it
    if (!isDuplicateKey(e)) throw e;
  }
}
