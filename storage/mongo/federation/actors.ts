import type { RemoteActor, RemoteActorRepository } from "../../../server/domain/federation-ports.js";
import { checkedRemoteActor, domainArg } from "../../common/federation.js";
import { str } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toRemoteActor } from "./documents.js";

/** Concurrent upserts of one actor (or of two actors naming one key) can collide on a unique index. */
const ATTEMPTS = 3;

export class MongoRemoteActorRepository implements RemoteActorRepository {
  constructor(private readonly c: FederationCollections) {}

  async get(id: string): Promise<RemoteActor | null> {
    const doc = await this.c.remoteActors.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toRemoteActor(doc) : null;
  }

  async getByKeyId(keyId: string): Promise<RemoteActor | null> {
    const doc = await this.c.remoteActors.findOne({ keyId: { $eq: str(keyId, "keyId") } });
    return doc ? toRemoteActor(doc) : null;
  }

  async upsert(actor: RemoteActor): Promise<void> {
    const doc = checkedRemoteActor(actor);
    for (let attempt = 1; ; attempt++) {
      try {
        // a key id names one actor: whoever held it before is evicted from the cache
        await this.c.remoteActors.deleteMany({ keyId: { $eq: doc.keyId }, id: { $ne: doc.id } });
        // a replacement document is stored as data: its values are never read as operators
        await this.c.remoteActors.replaceOne({ id: { $eq: doc.id } }, { ...doc }, { upsert: true });
        return;
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }

  async delete(id: string): Promise<boolean> {
    return (await this.c.remoteActors.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount > 0;
  }

  async listByDomain(domain: string): Promise<RemoteActor[]> {
    const docs = await this.c.remoteActors
      .find({ domain: { $eq: domainArg(domain) } })
      .sort({ id: 1 })
      .toArray();
    return docs.map(toRemoteActor);
  }
}
