import type { MongoClient } from "mongodb";
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
import { MongoRemoteActorRepository } from "./actors.js";
import { MongoDeliveryQueue } from "./deliveries.js";
import type { FederationCollections } from "./documents.js";
import { MongoFollowRepository } from "./follows.js";
import { MongoGroupBanRepository } from "./group-bans.js";
import { MongoInboundRetryQueue } from "./inbound-retries.js";
import { MongoInboxDedupe } from "./inbox-dedupe.js";
import { MongoInstanceRepository } from "./instances.js";
import { MongoActorKeyRepository } from "./keys.js";
import { MongoPeerHealthRepository } from "./peer-health.js";
import { MongoRemotePostIndex } from "./remote-posts.js";

/** The federation repositories over the store's client (indexes come from ensureFederationIndexes). */
export class MongoFederationStore implements FederationStore {
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

  constructor(client: MongoClient, c: FederationCollections) {
    this.keys = new MongoActorKeyRepository(c);
    this.actors = new MongoRemoteActorRepository(c);
    this.follows = new MongoFollowRepository(c);
    this.deliveries = new MongoDeliveryQueue(client, c);
    this.peerHealth = new MongoPeerHealthRepository(c);
    this.inboxDedupe = new MongoInboxDedupe(c);
    this.inboundRetries = new MongoInboundRetryQueue(c);
    this.remotePosts = new MongoRemotePostIndex(c);
    this.instances = new MongoInstanceRepository(c);
    this.groupBans = new MongoGroupBanRepository(c);
  }
}
