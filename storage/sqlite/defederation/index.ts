import type {
  DefederationStore,
  DomainRuleRepository,
  HeldRepository,
  PeerDomainRepository,
  PurgeRepository,
  SubscriptionRepository,
} from "../../../server/domain/defederation-ports.js";
import type { SeveranceRepository } from "../../../server/domain/severance.js";
import type { Db } from "../database.js";
import { SqliteHeldRepository } from "./held.js";
import { SqlitePeerDomainRepository } from "./peers.js";
import { SqlitePurgeRepository } from "./purges.js";
import { SqliteDomainRuleRepository } from "./rules.js";
import { SqliteSeveranceRepository } from "./severances.js";
import { SqliteSubscriptionRepository } from "./subscriptions.js";

/** The defederation repositories on the store's connection (the schema comes from migration 4). */
export class SqliteDefederationStore implements DefederationStore {
  readonly rules: DomainRuleRepository;
  readonly subscriptions: SubscriptionRepository;
  readonly purges: PurgeRepository;
  readonly held: HeldRepository;
  readonly severances: SeveranceRepository;
  readonly peers: PeerDomainRepository;

  constructor(db: Db) {
    this.rules = new SqliteDomainRuleRepository(db);
    this.subscriptions = new SqliteSubscriptionRepository(db);
    this.purges = new SqlitePurgeRepository(db);
    this.held = new SqliteHeldRepository(db);
    this.severances = new SqliteSeveranceRepository(db);
    this.peers = new SqlitePeerDomainRepository(db);
  }
}
