import type { PurgeRepository } from "../../../server/domain/defederation-ports.js";
import { domainArg } from "../../common/federation.js";
import { int } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import type { DefederationCollections } from "./documents.js";

/** Racing schedules of one new domain can both try to insert; the loser sees a duplicate key and retries. */
const ATTEMPTS = 3;

/** Scheduled purges on MongoDB: one document per domain, so scheduling again moves the time. */
export class MongoPurgeRepository implements PurgeRepository {
  constructor(private readonly c: DefederationCollections) {}

  async schedule(domain: string, at: number): Promise<void> {
    const d = domainArg(domain);
    const when = int(at, "at");
    for (let attempt = 1; ; attempt++) {
      try {
        // `domain` comes from the filter's equality (a checked string)
        await this.c.purges.updateOne({ domain: d }, { $set: { at: when } }, { upsert: true });
        return;
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }

  async cancel(domain: string): Promise<boolean> {
    return (await this.c.purges.deleteOne({ domain: { $eq: domainArg(domain) } })).deletedCount > 0;
  }

  async due(now: number): Promise<string[]> {
    const docs = await this.c.purges
      .find({ at: { $lte: int(now, "now") } }, { projection: { _id: 0, domain: 1 } })
      .sort({ at: 1, domain: 1 })
      .toArray();
    return docs.map((d) => d.domain);
  }

  async done(domain: string): Promise<void> {
    await this.c.purges.deleteOne({ domain: { $eq: domainArg(domain) } });
  }
}
