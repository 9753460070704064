import type { Collection, Db, Filter } from "mongodb";
import type {
  CooldownSlots,
  CounterIncrement,
  CounterKey,
  LimitStore,
  SlotRequest,
  SlotTake,
  SpentTokens,
  WindowCounters,
} from "../../server/domain/limit-ports.js";
import { nonNegativeInt } from "../common/federation.js";
import { int, str } from "../common/guards.js";
import { checkedCounterKey, checkedIncrement, checkedSlotRequest } from "../common/limit-args.js";
import { isDuplicateKey } from "./errors.js";

/*
 * The shared limits on MongoDB, for processes on several hosts. Every write is one atomic
 * single-document operation on a unique key: counters are `$inc` upserts, a cooldown slot is taken
 * by a conditional upsert (a slot held by someone else fails on the unique key instead of matching),
 * and a token is spent by inserting it. `expiresAt` is a Date under a TTL index, so MongoDB removes
 * expired documents by itself; `prune` does the same at once, a bounded batch at a time.
 */

interface CounterDoc {
  key: string;
  window: number;
  count: number;
  expiresAt: Date;
}

interface SlotDoc {
  key: string;
  at: number;
  expiresAt: Date;
  holder: string;
  prevAt: number | null;
  prevExpiresAt: Date | null;
}

interface TokenDoc {
  token: string;
  expiresAt: Date;
}

export interface LimitCollections {
  counters: Collection<CounterDoc>;
  slots: Collection<SlotDoc>;
  tokens: Collection<TokenDoc>;
}

export function limitCollectionsOf(db: Db): LimitCollections {
  return {
    counters: db.collection<CounterDoc>("limitCounters"),
    slots: db.collection<SlotDoc>("limitSlots"),
    tokens: db.collection<TokenDoc>("spentTokens"),
  };
}

export async function ensureLimitIndexes(c: LimitCollections): Promise<void> {
  await c.counters.createIndex({ key: 1, window: 1 }, { unique: true });
  await c.counters.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await c.slots.createIndex({ key: 1 }, { unique: true });
  await c.slots.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await c.tokens.createIndex({ token: 1 }, { unique: true });
  await c.tokens.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
}

/** Two first increments of one counter can both try to insert it; the loser retries and finds it. */
const ATTEMPTS = 3;
/** Increments sent at once by one `add`. */
const CONCURRENCY = 64;

class MongoWindowCounters implements WindowCounters {
  constructor(private readonly c: LimitCollections) {}

  async add(increments: readonly CounterIncrement[]): Promise<number[]> {
    const items = increments.map(checkedIncrement);
    const totals: number[] = [];
    for (let i = 0; i < items.length; i += CONCURRENCY) {
      totals.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map((item) => this.increment(item)))));
    }
    return totals;
  }

  private async increment(i: CounterIncrement): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        // Plain equality on the unique index's fields (checked values): the server may retry a
        // duplicate-key upsert by itself.
        const doc = await this.c.counters.findOneAndUpdate(
          { key: i.key, window: i.window },
          { $inc: { count: i.count }, $setOnInsert: { expiresAt: new Date(i.expiresAt) } },
          { upsert: true, returnDocument: "after", projection: { count: 1 } },
        );
        return doc?.count ?? i.count;
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }

  async totals(keys: readonly CounterKey[]): Promise<number[]> {
    const wanted = keys.map(checkedCounterKey);
    if (wanted.length === 0) return [];
    const found = new Map<string, number>();
    for (let i = 0; i < wanted.length; i += 500) {
      const docs = await this.c.counters
        .find(
          { $or: wanted.slice(i, i + 500).map((k) => ({ key: k.key, window: k.window })) },
          { projection: { key: 1, window: 1, count: 1 } },
        )
        .toArray();
      for (const d of docs) found.set(`${d.window}\u0000${d.key}`, d.count);
    }
    return wanted.map((k) => found.get(`${k.window}\u0000${k.key}`) ?? 0);
  }

  async clear(key: string): Promise<void> {
    await this.c.counters.deleteMany({ key: { $eq: str(key, "key") } });
  }
}

class MongoCooldownSlots implements CooldownSlots {
  constructor(private readonly c: LimitCollections) {}

  async take(request: SlotRequest): Promise<SlotTake> {
    const { key, holder, now, gapMs, expiresAt } = checkedSlotRequest(request);
    try {
      // Matches a free slot, or inserts a new one; a slot held by someone else matches nothing, and
      // the insert then fails on the unique key.
      await this.c.slots.findOneAndUpdate(
        { key, at: { $lte: now - gapMs } },
        [
          {
            $set: {
              prevAt: { $ifNull: ["$at", null] },
              prevExpiresAt: { $ifNull: ["$expiresAt", null] },
              at: now,
              expiresAt: new Date(expiresAt),
              // A pipeline reads a string starting with "$" as a field path: the holder is taken literally.
              holder: { $literal: holder },
            },
          },
        ],
        { upsert: true },
      );
      return { taken: true };
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    const held = await this.c.slots.findOne({ key: { $eq: key } }, { projection: { at: 1 } });
    return { taken: false, freeAt: (held?.at ?? now - gapMs) + gapMs };
  }

  async giveBack(key: string, holder: string): Promise<boolean> {
    const k = str(key, "key");
    const h = str(holder, "holder");
    if (h === "") return false;
    const first = await this.c.slots.deleteOne({ key: { $eq: k }, holder: { $eq: h }, prevAt: null });
    if (first.deletedCount > 0) return true;
    const restored = await this.c.slots.updateOne({ key: { $eq: k }, holder: { $eq: h }, prevAt: { $ne: null } }, [
      { $set: { at: "$prevAt", expiresAt: "$prevExpiresAt", holder: "", prevAt: null, prevExpiresAt: null } },
    ]);
    return restored.modifiedCount > 0;
  }
}

class MongoSpentTokens implements SpentTokens {
  constructor(private readonly c: LimitCollections) {}

  async spend(token: string, expiresAt: number): Promise<boolean> {
    try {
      await this.c.tokens.insertOne({ token: str(token, "token"), expiresAt: new Date(int(expiresAt, "expiresAt")) });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  async spent(tokens: readonly string[]): Promise<Set<string>> {
    const wanted = tokens.map((t) => str(t, "token"));
    if (wanted.length === 0) return new Set();
    const docs = await this.c.tokens.find({ token: { $in: wanted } }, { projection: { token: 1 } }).toArray();
    return new Set(docs.map((d) => d.token));
  }
}

export class MongoLimitStore implements LimitStore {
  readonly counters: WindowCounters;
  readonly slots: CooldownSlots;
  readonly tokens: SpentTokens;

  constructor(private readonly c: LimitCollections) {
    this.counters = new MongoWindowCounters(c);
    this.slots = new MongoCooldownSlots(c);
    this.tokens = new MongoSpentTokens(c);
  }

  async prune(now: number, max: number): Promise<number> {
    const before = new Date(int(now, "now"));
    const limit = nonNegativeInt(max, "max");
    if (limit === 0) return 0;
    let removed = 0;
    removed += await pruneExpired(this.c.counters, before, limit);
    removed += await pruneExpired(this.c.slots, before, limit);
    removed += await pruneExpired(this.c.tokens, before, limit);
    return removed;
  }
}

/** Deletes up to `limit` documents that expired at or before `before`. */
async function pruneExpired<T extends { expiresAt: Date }>(
  collection: Collection<T>,
  before: Date,
  limit: number,
): Promise<number> {
  const expired = { expiresAt: { $lte: before } } as Filter<T>;
  const ids = (
    await collection
      .find(expired, { projection: { _id: 1 } })
      .limit(limit)
      .toArray()
  ).map((d) => d._id);
  if (ids.length === 0) return 0;
  return (await collection.deleteMany({ _id: { $in: ids } } as Filter<T>)).deletedCount;
}
