import type { InboxDedupe } from "../../../server/domain/federation-ports.js";
import { nonNegativeInt } from "../../common/federation.js";
import { int, str } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import type { FederationCollections } from "./documents.js";

/** Two first sightings of one id can both try to insert; the loser retries and finds the winner's entry. */
const ATTEMPTS = 3;

export class MongoInboxDedupe implements InboxDedupe {
  constructor(private readonly c: FederationCollections) {}

  async seen(activityId: string, now: number, ttlMs: number): Promise<boolean> {
    const id = str(activityId, "activityId");
    const at = int(now, "now");
    const expires = at + nonNegativeInt(ttlMs, "ttlMs");
    for (let attempt = 1; ; attempt++) {
      try {
        // One atomic upsert: an entry still in force keeps its expiry, an expired or new one gets
        // `expires`. The document as it was before tells whether the id had been seen.
        const before = await this.c.inboxSeen.findOneAndUpdate(
          { activityId: id },
          [{ $set: { expiresAt: { $cond: [{ $gt: ["$expiresAt", at] }, "$expiresAt", expires] } } }],
          { upsert: true, returnDocument: "before" },
        );
        return before !== null && before.expiresAt > at;
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }

  async has(activityId: string, now: number): Promise<boolean> {
    const id = str(activityId, "activityId");
    const found = await this.c.inboxSeen.findOne({ activityId: { $eq: id }, expiresAt: { $gt: int(now, "now") } });
    return found !== null;
  }

  async prune(now: number): Promise<number> {
    return (await this.c.inboxSeen.deleteMany({ expiresAt: { $lte: int(now, "now") } })).deletedCount;
  }
}
