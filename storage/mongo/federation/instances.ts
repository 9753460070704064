import { DomainError } from "../../../server/domain/errors.js";
import {
  type InstanceRepository,
  type InstanceSoftware,
  MAX_SOFTWARE_FIELD_LENGTH,
} from "../../../server/domain/federation-ports.js";
import { boundedError, domainArg } from "../../common/federation.js";
import { int, nullableStr, str, strList } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toInstance } from "./documents.js";

/** Racing first records of one domain can both try to insert; the loser sees a duplicate key and retries. */
const ATTEMPTS = 3;

/** Each record is one atomic upsert of checked values (the filter's `domain` is a checked string). */
export class MongoInstanceRepository implements InstanceRepository {
  constructor(private readonly c: FederationCollections) {}

  async get(domain: string): Promise<InstanceSoftware | null> {
    const doc = await this.c.instances.findOne({ domain: { $eq: domainArg(domain) } });
    return doc ? toInstance(doc) : null;
  }

  async getMany(domains: string[]): Promise<InstanceSoftware[]> {
    const list = [...new Set(strList(domains, "domains").map((d) => domainArg(d)))];
    if (list.length === 0) return [];
    const docs = await this.c.instances
      .find({ domain: { $in: list } })
      .sort({ domain: 1 })
      .toArray();
    return docs.map(toInstance);
  }

  async recordSoftware(
    domain: string,
    software: string,
    version: string | null,
    now: number,
  ): Promise<InstanceSoftware> {
    const d = domainArg(domain);
    const fields = {
      software: softwareField(software, "software"),
      version: nullableStr(version, "version")?.slice(0, MAX_SOFTWARE_FIELD_LENGTH) ?? null,
      fetchedAt: int(now, "now"),
      lastError: null,
    };
    return this.#upsert(d, { $set: fields });
  }

  async recordFailure(domain: string, error: string, now: number): Promise<InstanceSoftware> {
    const d = domainArg(domain);
    return this.#upsert(d, {
      $set: { fetchedAt: int(now, "now"), lastError: boundedError(error) },
      $setOnInsert: { software: null, version: null },
    });
  }

  async delete(domain: string): Promise<boolean> {
    const res = await this.c.instances.deleteOne({ domain: { $eq: domainArg(domain) } });
    return res.deletedCount > 0;
  }

  async list(): Promise<InstanceSoftware[]> {
    const docs = await this.c.instances.find({}).sort({ domain: 1 }).toArray();
    return docs.map(toInstance);
  }

  async #upsert(
    domain: string,
    update: { $set: Partial<InstanceSoftware>; $setOnInsert?: Partial<InstanceSoftware> },
  ): Promise<InstanceSoftware> {
    for (let attempt = 1; ; attempt++) {
      try {
        const doc = await this.c.instances.findOneAndUpdate({ domain }, update, {
          upsert: true,
          returnDocument: "after",
        });
        if (doc) return toInstance(doc);
        throw new Error(`the upsert of instance ${domain} returned nothing`);
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }
}

/** A software name as stored: lower case, within the length cap, never empty. */
function softwareField(value: unknown, what: string): string {
  const name = str(value, what).trim().toLowerCase().slice(0, MAX_SOFTWARE_FIELD_LENGTH);
  if (name === "") throw new DomainError("invalid", `${what} must not be empty.`);
  return name;
}
