import type {
  ActorKeyRepository,
  DeliveryQueue,
  FederationStore,
  FollowRepository,
  GroupBanRepository,
  InboundRetryQueue,
  InboxDedupe,
  InstanceRepository,
  PeerHealthRepository,
  RemoteActorRepository,
  RemotePostIndex,
} from "../../../server/domain/federation-ports.js";
import { CommitGroup } from "../commit-group.js";
import type { Db } from "../database.js";
import { SqliteRemoteActorRepository } from "./actors.js";
import { CachedFollowRepository } from "./cached-follows.js";
import { SqliteDeliveryQueue } from "./deliveries.js";
import { SqliteFollowRepository } from "./follows.js";
import { SqliteGroupBanRepository } from "./group-bans.js";
import { SqliteInboundRetryQueue } from "./inbound-retries.js";
import { SqliteInboxDedupe } from "./inbox-dedupe.js";
import { SqliteInstanceRepository } from "./instances.js";
import { SqliteActorKeyRepository } from "./keys.js";
import { SqlitePeerHealthRepository } from "./peer-health.js";
import { SqliteRemotePostIndex } from "./remote-posts.js";

/** The federation repositories on the store's connection (the schema comes from migrations 2, 3, 7 and 11). */
export class SqliteFederationStore implements FederationStore {
  readonly keys: ActorKeyRepository;
  readonly actors: RemoteActorRepository;
  readonly follows: FollowRepository;
  readonly deliveries: DeliveryQueue;
  readonly peerHealth: PeerHealthRepository;
  readonly inboxDedupe: InboxDedupe;
  readonly inboundRetries: InboundRetryQueue;
  readonly remotePosts: RemotePostIndex;
  readonly instances: InstanceRepository;
  readonly groupBans: GroupBanRepository;

  /** `group`: the store's grouped commits, shared with the post repository (see CommitGroup). */
  constructor(db: Db, group = new CommitGroup(db)) {
    this.keys = new SqliteActorKeyRepository(db);
    this.actors = new SqliteRemoteActorRepository(db);
    this.follows = new CachedFollowRepository(new SqliteFollowRepository(db), db);
    this.deliveries = new SqliteDeliveryQueue(db);
    this.peerHealth = new SqlitePeerHealthRepository(db);
    this.inboxDedupe = new SqliteInboxDedupe(db, group);
    this.inboundRetries = new SqliteInboundRetryQueue(db);
    this.remotePosts = new SqliteRemotePostIndex(db, group);
    this.instances = new SqliteInstanceRepository(db);
    this.groupBans = new SqliteGroupBanRepository(db);
  }
}
