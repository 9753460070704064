import type { ActorKey, ActorKeyRepository, KeyPair } from "../../../server/domain/federation-ports.js";
import { checkedKeyPair } from "../../common/federation.js";
import { int, str } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toActorKey } from "./documents.js";

/** Racing upserts of one new key can both try to insert; the loser sees a duplicate key and retries. */
const ATTEMPTS = 3;

export class MongoActorKeyRepository implements ActorKeyRepository {
  constructor(private readonly c: FederationCollections) {}

  async get(actorId: string): Promise<ActorKey | null> {
    const doc = await this.c.actorKeys.findOne({ actorId: { $eq: str(actorId, "actorId") } });
    return doc ? toActorKey(doc) : null;
  }

  async getOrCreate(
    actorId: string,
    generate: () => KeyPair | Promise<KeyPair>,
    now: number = Date.now(),
  ): Promise<ActorKey> {
    const id = str(actorId, "actorId");
    const createdAt = int(now, "now");
    const existing = await this.c.actorKeys.findOne({ actorId: { $eq: id } });
    if (existing) return toActorKey(existing);
    const pair = checkedKeyPair(await generate());
    for (let attempt = 1; ; attempt++) {
      try {
        // $setOnInsert: the first writer's key is kept; `actorId` comes from the filter's equality
        const doc = await this.c.actorKeys.findOneAndUpdate(
          { actorId: id },
          { $setOnInsert: { publicKeyPem: pair.publicKeyPem, privateKeyPem: pair.privateKeyPem, createdAt } },
          { upsert: true, returnDocument: "after" },
        );
        if (doc) return toActorKey(doc);
      } catch (e) {
        if (!isDuplicateKey(e) || attempt >= ATTEMPTS) throw e;
      }
    }
  }

  async delete(actorId: string): Promise<boolean> {
    return (await this.c.actorKeys.deleteOne({ actorId: { $eq: str(actorId, "actorId") } })).deletedCount > 0;
  }
}
