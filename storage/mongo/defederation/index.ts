import type { MongoClient } from "mongodb";
import type {
  DefederationStore,
  DomainRuleRepository,
  HeldRepository,
  PeerDomainRepository,
  PurgeRepository,
  SubscriptionRepository,
} from "../../../server/domain/defederation-ports.js";
import type { SeveranceRepository } from "../../../server/domain/severance.js";
import type { DefederationCollections } from "./documents.js";
import { MongoHeldRepository } from "./held.js";
import { MongoPeerDomainRepository } from "./peers.js";
import { MongoPurgeRepository } from "./purges.js";
import { MongoDomainRuleRepository } from "./rules.js";
import { MongoSeveranceRepository } from "./severances.js";
import { MongoSubscriptionRepository } from "./subscriptions.js";

export { defederationCollectionsOf } from "./documents.js";
export { ensureDefederationIndexes } from "./indexes.js";
export { seedKnownPeers } from "./peers.js";

/** The defederation repositories over the store's client (indexes come from ensureDefederationIndexes). */
export class MongoDefederationStore implements DefederationStore {
  readonly rules: DomainRuleRepository;
  readonly subscriptions: SubscriptionRepository;
  readonly purges: PurgeRepository;
  readonly held: HeldRepository;
  readonly severances: SeveranceRepository;
  readonly peers: PeerDomainRepository;

  constructor(client: MongoClient, c: DefederationCollections) {
    this.rules = new MongoDomainRuleRepository(client, c);
    this.subscriptions = new MongoSubscriptionRepository(client, c);
    this.purges = new MongoPurgeRepository(c);
    this.held = new MongoHeldRepository(c);
    this.severances = new MongoSeveranceRepository(client, c);
    this.peers = new MongoPeerDomainRepository(c);
  }
}
