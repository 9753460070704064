import type { PeerHealthRecord, PeerHealthRepository } from "../../../server/domain/federation-ports.js";
import { domainArg } from "../../common/federation.js";
import { int } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toPeerHealthRecord } from "./documents.js";

/** Racing first reports on one domain can both try to insert; the loser sees a duplicate key and retries. */
const ATTEMPTS = 3;

async function retryingDuplicates<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
    }
  }
}

/** Each record is one atomic upsert, so concurrent reports on one domain each count. */
export class MongoPeerHealthRepository implements PeerHealthRepository {
  constructor(private readonly c: FederationCollections) {}

  async get(domain: string): Promise<PeerHealthRecord | null> {
    const doc = await this.c.domainHealth.findOne({ domain: { $eq: domainArg(domain) } });
    return doc ? toPeerHealthRecord(doc) : null;
  }

  async recordSuccess(domain: string, now: number): Promise<PeerHealthRecord | null> {
    const d = domainArg(domain);
    const at = int(now, "now");
    const before = await retryingDuplicates(() =>
      // `domain` comes from the filter's equality (a checked string)
      this.c.domainHealth.findOneAndUpdate(
        { domain: d },
        {
          $set: { consecutiveFailures: 0, firstFailureAt: null, nextProbeAt: null },
          $max: { lastSuccessAt: at },
          $setOnInsert: { lastFailureAt: null },
        },
        { upsert: true, returnDocument: "before" },
      ),
    );
    // One atomic update: of two successes racing, only the first sees the run it ends.
    return before && before.firstFailureAt != null ? toPeerHealthRecord(before) : null;
  }

  async recordFailure(domain: string, now: number): Promise<{ consecutiveFailures: number; firstFailureAt: number }> {
    const d = domainArg(domain);
    const at = int(now, "now");
    const doc = await retryingDuplicates(() =>
      this.c.domainHealth.findOneAndUpdate(
        { domain: d },
        [
          {
            $set: {
              consecutiveFailures: { $add: [{ $ifNull: ["$consecutiveFailures", 0] }, 1] },
              firstFailureAt: { $ifNull: ["$firstFailureAt", at] },
              lastFailureAt: { $max: ["$lastFailureAt", at] },
              lastSuccessAt: { $ifNull: ["$lastSuccessAt", null] },
              nextProbeAt: { $ifNull: ["$nextProbeAt", null] },
            },
          },
        ],
        { upsert: true, returnDocument: "after" },
      ),
    );
    return { consecutiveFailures: doc?.consecutiveFailures ?? 1, firstFailureAt: doc?.firstFailureAt ?? at };
  }

  async takeProbe(domain: string, now: number, until: number): Promise<boolean> {
    const at = int(now, "now");
    const res = await this.c.domainHealth.updateOne(
      { domain: { $eq: domainArg(domain) }, $or: [{ nextProbeAt: null }, { nextProbeAt: { $lte: at } }] },
      { $set: { nextProbeAt: int(until, "until") } },
    );
    return res.matchedCount > 0;
  }

  async deferProbe(domain: string, at: number): Promise<void> {
    await this.c.domainHealth.updateOne(
      { domain: { $eq: domainArg(domain) }, firstFailureAt: { $ne: null } },
      { $set: { nextProbeAt: int(at, "at") } },
    );
  }

  async list(): Promise<PeerHealthRecord[]> {
    const docs = await this.c.domainHealth.find({}).sort({ domain: 1 }).toArray();
    return docs.map(toPeerHealthRecord);
  }

  async failing(): Promise<string[]> {
    const docs = await this.c.domainHealth
      .find({ firstFailureAt: { $ne: null } }, { projection: { _id: 0, domain: 1 } })
      .sort({ domain: 1 })
      .toArray();
    return docs.map((d) => d.domain);
  }
}
