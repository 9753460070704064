import type { Collection, Db } from "mongodb";
import type {
  ActorKey,
  Delivery,
  DeliveryWorkerRecord,
  DroppedDelivery,
  Follow,
  GroupBan,
  InboundRetry,
  InstanceSoftware,
  PeerHealthRecord,
  RemoteActor,
  RemotePostRef,
} from "../../../server/domain/federation-ports.js";

/*
 * Federation document shapes: the domain records themselves, field for field. Each mapper copies
 * the fields one by one, which drops `_id` so repositories return plain domain objects.
 */

export type ActorKeyDoc = ActorKey;
export type RemoteActorDoc = RemoteActor;
export type FollowDoc = Follow;
/** A queued item; its inbox's schedule and lease are in its DeliveryInboxDoc. */
export interface DeliveryDoc {
  seq: number;
  id: string;
  inbox: string;
  domain: string;
  body: string;
  keyId: string;
  activityId: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
}
/** One per inbox with a backlog. `enqueues` only moves so that an enqueue and a removal of the record conflict. */
export interface DeliveryInboxDoc {
  inbox: string;
  domain: string;
  nextAttemptAt: number;
  leasedUntil: number | null;
  leasedBy: string | null;
  failingSince: number | null;
  held: boolean;
  enqueues: number;
}
export type DroppedDeliveryDoc = DroppedDelivery;
export type DeliveryWorkerDoc = DeliveryWorkerRecord;
export type PeerHealthDoc = PeerHealthRecord;
export interface InboxSeenDoc {
  activityId: string;
  expiresAt: number;
}
export type RemotePostDoc = RemotePostRef;
export interface InboundRetryDoc extends InboundRetry {
  leasedUntil: number | null;
}
export type InstanceDoc = InstanceSoftware;
export type GroupBanDoc = GroupBan;
/**
 * A document that concurrent operations update only to conflict with each other (see deliveries.ts),
 * or a counter handing out numbers (`seq`).
 */
export interface LockDoc {
  name: string;
  seq: number;
}

export const FEDERATION_COLLECTIONS = {
  actorKeys: "actorKeys",
  remoteActors: "remoteActors",
  follows: "follows",
  deliveries: "deliveries",
  deliveryInboxes: "deliveryInboxes",
  deliveryWorkers: "deliveryWorkers",
  droppedDeliveries: "droppedDeliveries",
  domainHealth: "domainHealth",
  inboxSeen: "inboxSeen",
  inboundRetries: "inboundRetries",
  remotePosts: "remotePosts",
  locks: "federationLocks",
  instances: "instances",
  groupBans: "groupBans",
} as const;

export interface FederationCollections {
  actorKeys: Collection<ActorKeyDoc>;
  remoteActors: Collection<RemoteActorDoc>;
  follows: Collection<FollowDoc>;
  deliveries: Collection<DeliveryDoc>;
  deliveryInboxes: Collection<DeliveryInboxDoc>;
  deliveryWorkers: Collection<DeliveryWorkerDoc>;
  droppedDeliveries: Collection<DroppedDeliveryDoc>;
  domainHealth: Collection<PeerHealthDoc>;
  inboxSeen: Collection<InboxSeenDoc>;
  inboundRetries: Collection<InboundRetryDoc>;
  remotePosts: Collection<RemotePostDoc>;
  locks: Collection<LockDoc>;
  instances: Collection<InstanceDoc>;
  groupBans: Collection<GroupBanDoc>;
}

export function federationCollectionsOf(db: Db): FederationCollections {
  const n = FEDERATION_COLLECTIONS;
  return {
    actorKeys: db.collection<ActorKeyDoc>(n.actorKeys),
    remoteActors: db.collection<RemoteActorDoc>(n.remoteActors),
    follows: db.collection<FollowDoc>(n.follows),
    deliveries: db.collection<DeliveryDoc>(n.deliveries),
    deliveryInboxes: db.collection<DeliveryInboxDoc>(n.deliveryInboxes),
    deliveryWorkers: db.collection<DeliveryWorkerDoc>(n.deliveryWorkers),
    droppedDeliveries: db.collection<DroppedDeliveryDoc>(n.droppedDeliveries),
    domainHealth: db.collection<PeerHealthDoc>(n.domainHealth),
    inboxSeen: db.collection<InboxSeenDoc>(n.inboxSeen),
    inboundRetries: db.collection<InboundRetryDoc>(n.inboundRetries),
    remotePosts: db.collection<RemotePostDoc>(n.remotePosts),
    locks: db.collection<LockDoc>(n.locks),
    instances: db.collection<InstanceDoc>(n.instances),
    groupBans: db.collection<GroupBanDoc>(n.groupBans),
  };
}

export function toActorKey(d: ActorKeyDoc): ActorKey {
  return { actorId: d.actorId, publicKeyPem: d.publicKeyPem, privateKeyPem: d.privateKeyPem, createdAt: d.createdAt };
}

export function toRemoteActor(d: RemoteActorDoc): RemoteActor {
  return {
    id: d.id,
    type: d.type,
    inbox: d.inbox,
    sharedInbox: d.sharedInbox ?? null,
    preferredUsername: d.preferredUsername ?? null,
    name: d.name ?? null,
    summary: d.summary ?? null,
    url: d.url ?? null,
    iconUrl: d.iconUrl ?? null,
    followers: d.followers ?? null,
    keyId: d.keyId,
    publicKeyPem: d.publicKeyPem,
    domain: d.domain,
    fetchedAt: d.fetchedAt,
    raw: d.raw,
  };
}

export function toFollow(d: FollowDoc): Follow {
  return {
    id: d.id,
    actorId: d.actorId,
    objectId: d.objectId,
    board: d.board,
    direction: d.direction,
    state: d.state,
    inbox: d.inbox,
    sharedInbox: d.sharedInbox ?? null,
    domain: d.domain,
    createdAt: d.createdAt,
  };
}

/** A claimed item with the state of its inbox. */
export function toDelivery(d: DeliveryDoc, i: DeliveryInboxDoc): Delivery {
  return {
    seq: d.seq,
    id: d.id,
    inbox: d.inbox,
    domain: d.domain,
    body: d.body,
    keyId: d.keyId,
    activityId: d.activityId,
    attempts: d.attempts,
    nextAttemptAt: i.nextAttemptAt,
    leasedUntil: i.leasedUntil ?? null,
    leasedBy: i.leasedBy ?? null,
    lastError: d.lastError ?? null,
    createdAt: d.createdAt,
    failingSince: i.failingSince ?? null,
  };
}

export function toDroppedDelivery(d: DroppedDeliveryDoc): DroppedDelivery {
  return {
    seq: d.seq,
    id: d.id,
    inbox: d.inbox,
    domain: d.domain,
    body: d.body ?? "",
    keyId: d.keyId,
    activityId: d.activityId,
    attempts: d.attempts,
    lastError: d.lastError,
    createdAt: d.createdAt,
    droppedAt: d.droppedAt,
  };
}

export function toWorkerRecord(d: DeliveryWorkerDoc): DeliveryWorkerRecord {
  return {
    id: d.id,
    host: d.host,
    pid: d.pid,
    processStartedAt: d.processStartedAt,
    startedAt: d.startedAt,
    heartbeatAt: d.heartbeatAt,
  };
}

export function toPeerHealthRecord(d: PeerHealthDoc): PeerHealthRecord {
  return {
    domain: d.domain,
    consecutiveFailures: d.consecutiveFailures ?? 0,
    firstFailureAt: d.firstFailureAt ?? null,
    lastFailureAt: d.lastFailureAt ?? null,
    lastSuccessAt: d.lastSuccessAt ?? null,
    nextProbeAt: d.nextProbeAt ?? null,
  };
}

export function toRemotePostRef(d: RemotePostDoc): RemotePostRef {
  return { apId: d.apId, board: d.board, no: d.no, ...(typeof d.via === "string" ? { via: d.via } : {}) };
}

export function toInstance(d: InstanceDoc): InstanceSoftware {
  return {
    domain: d.domain,
    software: d.software ?? null,
    version: d.version ?? null,
    fetchedAt: d.fetchedAt,
    lastError: d.lastError ?? null,
  };
}

export function toGroupBan(d: GroupBanDoc): GroupBan {
  return { groupId: d.groupId, actorId: d.actorId, reason: d.reason, expiresAt: d.expiresAt, createdAt: d.createdAt };
}
