import type { DomainHealth, DomainHealthRepository } from "../../../server/domain/federation-ports.js";
import { domainArg } from "../../common/federation.js";
import { int } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toDomainHealth } from "./documents.js";

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
export class MongoDomainHealthRepository implements DomainHealthRepository {
  constructor(private readonly c: FederationCollections) {}

  async get(domain: string): Promise<DomainHealth | null> {
    const doc = await this.c.domainHealth.findOne({ domain: { $eq: domainArg(domain) } });
    return doc ? toDomainHealth(doc) : null;
  }

  async recordSuccess(domain: string, now: number): Promise<void> {
    const d = domainArg(domain);
    const at = int(now, "now");
    await retryingDuplicates(() =>
      // `domain` comes from the filter's equality (a checked string)
      this.c.domainHealth.updateOne(
        { domain: d },
        {
          $set: { consecutiveFailures: 0, firstFailureAt: null },
          $max: { lastSuccessAt: at },
          $setOnInsert: { lastFailureAt: null },
        },
        { upsert: true },
      ),
    );
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
            },
          },
        ],
        { upsert: true, returnDocument: "after" },
      ),
    );
    return { consecutiveFailures: doc?.consecutiveFailures ?? 1, firstFailureAt: doc?.firstFailureAt ?? at };
  }

  async list(): Promise<DomainHealth[]> {
    const docs = await this.c.domainHealth.find({}).sort({ domain: 1 }).toArray();
    return docs.map(toDomainHealth);
  }
}
