import type {
  ActorKeyRepository,
  DeliveryQueue,
  DomainHealthRepository,
  FederationStore,
  FollowRepository,
  InboxDedupe,
  RemoteActorRepository,
  RemotePostIndex,
} from "../../../server/domain/federation-ports.js";
import type { Db } from "../database.js";
import { SqliteRemoteActorRepository } from "./actors.js";
import { SqliteDeliveryQueue } from "./deliveries.js";
import { SqliteDomainHealthRepository } from "./domains.js";
import { SqliteFollowRepository } from "./follows.js";
import { SqliteInboxDedupe } from "./inbox-dedupe.js";
import { SqliteActorKeyRepository } from "./keys.js";
import { SqliteRemotePostIndex } from "./remote-posts.js";

/** The federation repositories on the store's connection (the schema comes from migration 2). */
export class SqliteFederationStore implements FederationStore {
  readonly keys: ActorKeyRepository;
  readonly actors: RemoteActorRepository;
  readonly follows: FollowRepository;
  readonly deliveries: DeliveryQueue;
  readonly domains: DomainHealthRepository;
  readonly inboxDedupe: InboxDedupe;
  readonly remotePosts: RemotePostIndex;

  constructor(db: Db) {
    this.keys = new SqliteActorKeyRepository(db);
    this.actors = new SqliteRemoteActorRepository(db);
    this.follows = new SqliteFollowRepository(db);
    this.deliveries = new SqliteDeliveryQueue(db);
    this.domains = new SqliteDomainHealthRepository(db);
    this.inboxDedupe = new SqliteInboxDedupe(db);
    this.remotePosts = new SqliteRemotePostIndex(db);
  }
}
