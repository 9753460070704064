import type { MongoClient } from "mongodb";
import type {
  BlocklistEntry,
  BlocklistSubscription,
  ConsensusSettings,
  SubscriptionRepository,
} from "../../../server/domain/defederation-ports.js";
import { DomainError } from "../../../server/domain/errors.js";
import {
  checkedConsensus,
  checkedEntries,
  checkedSubscription,
  checkedSubscriptionPatch,
  defaultConsensus,
  jsonText,
} from "../../common/defederation.js";
import { str } from "../../common/guards.js";
import { conflictOnDuplicate, isDuplicateKey } from "../errors.js";
import { inTransaction } from "../transactions.js";
import {
  type BlocklistEntryDoc,
  CONSENSUS_META,
  type DefederationCollections,
  type SubscriptionDoc,
  toEntry,
  toSubscription,
} from "./documents.js";

const URL_TAKEN = "This list is already subscribed.";

/** Racing upserts of one new key can both try to insert; the loser sees a duplicate key and retries. */
const ATTEMPTS = 3;

/**
 * Subscribed blocklists on MongoDB, one document per subscription and one per listed domain (a
 * large list would not fit one document). Deleting a subscription and replacing its entries are
 * transactions that both write the subscription's document, so they conflict and one waits for the
 * other: no entry outlives its subscription.
 */
export class MongoSubscriptionRepository implements SubscriptionRepository {
  constructor(
    private readonly client: MongoClient,
    private readonly c: DefederationCollections,
  ) {}

  async list(): Promise<BlocklistSubscription[]> {
    const docs = await this.c.subscriptions.find({}).sort({ priority: -1, createdAt: 1, id: 1 }).toArray();
    return docs.map(toSubscription);
  }

  async get(id: string): Promise<BlocklistSubscription | null> {
    const doc = await this.c.subscriptions.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toSubscription(doc) : null;
  }

  async create(sub: BlocklistSubscription): Promise<void> {
    const s = checkedSubscription(sub);
    const doc: SubscriptionDoc = {
      id: s.id,
      url: s.url,
      format: s.format,
      priority: s.priority,
      excludes: s.excludes,
      draft: s.draft,
      createdAt: s.createdAt,
      lastSyncAt: s.lastSyncAt,
      lastStatus: s.lastStatus,
      lastChangeJson: jsonText(s.lastChange),
    };
    await conflictOnDuplicate(this.c.subscriptions.insertOne(doc), URL_TAKEN);
  }

  async update(
    id: string,
    patch: Partial<Omit<BlocklistSubscription, "id" | "createdAt">>,
  ): Promise<BlocklistSubscription | null> {
    const key = str(id, "id");
    const p = checkedSubscriptionPatch(patch);
    // only known fields, each set to a checked value
    const set: Partial<SubscriptionDoc> = {};
    if (p.url !== undefined) set.url = p.url;
    if (p.format !== undefined) set.format = p.format;
    if (p.priority !== undefined) set.priority = p.priority;
    if (p.excludes !== undefined) set.excludes = p.excludes;
    if (p.draft !== undefined) set.draft = p.draft;
    if (p.lastSyncAt !== undefined) set.lastSyncAt = p.lastSyncAt;
    if (p.lastStatus !== undefined) set.lastStatus = p.lastStatus;
    if (p.lastChange !== undefined) set.lastChangeJson = jsonText(p.lastChange);
    if (Object.keys(set).length === 0) return this.get(key);
    const doc = await conflictOnDuplicate(
      this.c.subscriptions.findOneAndUpdate({ id: { $eq: key } }, { $set: set }, { returnDocument: "after" }),
      URL_TAKEN,
    );
    return doc ? toSubscription(doc) : null;
  }

  async delete(id: string): Promise<boolean> {
    const key = str(id, "id");
    return inTransaction(this.client, async (session) => {
      const res = await this.c.subscriptions.deleteOne({ id: { $eq: key } }, { session });
      if (res.deletedCount === 0) return false;
      await this.c.entries.deleteMany({ subscriptionId: { $eq: key } }, { session });
      return true;
    });
  }

  async replaceEntries(id: string, entries: BlocklistEntry[]): Promise<void> {
    const key = str(id, "id");
    const docs = checkedEntries(entries);
    await inTransaction(this.client, async (session) => {
      const res = await this.c.subscriptions.updateOne({ id: { $eq: key } }, { $inc: { entriesSeq: 1 } }, { session });
      if (res.matchedCount === 0) throw new DomainError("not_found", `No subscription has id ${key}.`);
      await this.c.entries.deleteMany({ subscriptionId: { $eq: key } }, { session });
      if (docs.length === 0) return;
      const rows: BlocklistEntryDoc[] = docs.map((e) => ({
        subscriptionId: key,
        domain: e.domain,
        severity: e.severity,
        rejectMedia: e.rejectMedia,
        rejectReports: e.rejectReports,
        publicComment: e.publicComment,
        obfuscate: e.obfuscate,
      }));
      await this.c.entries.insertMany(rows, { session, ordered: true });
    });
  }

  async entries(): Promise<Map<string, BlocklistEntry[]>> {
    // every subscription has a list, empty until its first sync, in the order `list` gives
    const subs = await this.c.subscriptions
      .find({}, { projection: { _id: 0, id: 1 } })
      .sort({ priority: -1, createdAt: 1, id: 1 })
      .toArray();
    const out = new Map<string, BlocklistEntry[]>(subs.map((s) => [s.id, []]));
    const cursor = this.c.entries.find({}).sort({ subscriptionId: 1, domain: 1 });
    for await (const doc of cursor) out.get(doc.subscriptionId)?.push(toEntry(doc));
    return out;
  }

  async consensus(): Promise<ConsensusSettings> {
    const doc = await this.c.meta.findOne({ name: CONSENSUS_META });
    if (!doc?.consensus) return defaultConsensus();
    const c = doc.consensus;
    return {
      minSources: c.minSources,
      minShare: c.minShare ?? null,
      merge: c.merge,
      stageWhileFollowed: c.stageWhileFollowed,
    };
  }

  async setConsensus(settings: ConsensusSettings): Promise<void> {
    const consensus = checkedConsensus(settings);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.c.meta.updateOne({ name: CONSENSUS_META }, { $set: { consensus } }, { upsert: true });
        return;
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }
}
