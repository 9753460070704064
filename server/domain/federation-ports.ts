/**
 * The storage ports of federation. `storage/sqlite` and `storage/mongo` implement them and pass the
 * federation part of the contract suite (test/contract/federation*.ts). Like the other ports, every
 * method is async, times are milliseconds since the epoch passed in by the caller (so tests and
 * workers agree on "now"), and domains are compared in lower case (the adapters lowercase every
 * domain they store or look up; normalising IDNs, ports and trailing dots is the caller's job).
 */

import type { DeliveryQueue, PeerHealthRepository } from "./delivery-ports.js";
import type { InboundRetryQueue, InboxDedupe } from "./inbound-ports.js";

// Delivery and inbox ports live in their own modules; they are part of this store and importers
// reach them through it.
export type {
  Delivery,
  DeliveryQueue,
  DeliveryRetry,
  DeliveryWorkerRecord,
  DroppedDelivery,
  NewDelivery,
  PeerHealthRecord,
  PeerHealthRepository,
  PendingInbox,
} from "./delivery-ports.js";
export type { InboundRetry, InboundRetryQueue, InboxDedupe, NewInboundRetry } from "./inbound-ports.js";

/** An RSA (or other) key pair in PEM, as the generator of a local actor's key returns it. */
export interface KeyPair {
  publicKeyPem: string;
  privateKeyPem: string;
}

/** The signing key of a local actor (a board's `Group` or the instance's `Application`). */
export interface ActorKey extends KeyPair {
  actorId: string;
  createdAt: number;
}

export interface ActorKeyRepository {
  get(actorId: string): Promise<ActorKey | null>;
  /**
   * The actor's key, created from `generate()` when it has none. Atomic: callers racing on one
   * actor (in this process or another) all end with the same stored key; `generate` may run in
   * more than one of them, and only one result is kept. Throws DomainError("invalid") when
   * `generate` returns something other than two strings.
   */
  getOrCreate(actorId: string, generate: () => KeyPair | Promise<KeyPair>, now?: number): Promise<ActorKey>;
  /** True when a key was deleted. */
  delete(actorId: string): Promise<boolean>;
}

/** A remote actor as last fetched. */
export interface RemoteActor {
  id: string;
  type: string;
  inbox: string;
  sharedInbox: string | null;
  preferredUsername: string | null;
  name: string | null;
  summary: string | null;
  url: string | null;
  iconUrl: string | null;
  followers: string | null;
  /** The id of its public key (`publicKey.id`), which signed requests name as `keyId`. */
  keyId: string;
  publicKeyPem: string;
  /** The lowercase host of `id`. */
  domain: string;
  fetchedAt: number;
  /** The JSON document as fetched; the caller bounds its size. */
  raw: string;
}

/** The cache of fetched remote actors. */
export interface RemoteActorRepository {
  get(id: string): Promise<RemoteActor | null>;
  /** The actor whose key has this id, for verifying a signature. */
  getByKeyId(keyId: string): Promise<RemoteActor | null>;
  /**
   * Stores or replaces the actor (every field). A key id names one actor: when another cached
   * actor holds the same `keyId`, that entry is evicted (it is fetched again when next needed).
   * The caller must have checked that the key belongs to the actor (same origin, `owner`).
   */
  upsert(actor: RemoteActor): Promise<void>;
  /** True when an actor was deleted. */
  delete(id: string): Promise<boolean>;
  /** The cached actors of a domain, by id. */
  listByDomain(domain: string): Promise<RemoteActor[]>;
}

export type FollowDirection = "inbound" | "outbound";
export type FollowState = "pending" | "accepted";
export const FOLLOW_DIRECTIONS: readonly FollowDirection[] = ["inbound", "outbound"];
export const FOLLOW_STATES: readonly FollowState[] = ["pending", "accepted"];

/**
 * A follow relation between a local board and a remote actor. Inbound: a remote actor (`actorId`)
 * follows the board's actor (`objectId`). Outbound: the board's actor (`actorId`) follows a remote
 * group (`objectId`). `inbox`, `sharedInbox` and `domain` always describe the remote side.
 */
export interface Follow {
  /** The id of the Follow activity. Unique: an activity id names one follow. */
  id: string;
  /** The follower. */
  actorId: string;
  /** The followed actor. */
  objectId: string;
  /** The uri of the local board involved. */
  board: string;
  direction: FollowDirection;
  state: FollowState;
  inbox: string;
  sharedInbox: string | null;
  domain: string;
  createdAt: number;
}

export interface FollowRepository {
  /**
   * Stores a follow unless one exists for (actorId, objectId). Idempotent: when it exists, only its
   * delivery addresses (`inbox`, `sharedInbox`) are refreshed from `follow` (an actor may move
   * them) and everything else, its id and state included, stays. Returns the stored follow and
   * whether it was created. Throws DomainError("conflict") when a different pair already holds
   * the activity id.
   */
  add(follow: Follow): Promise<{ follow: Follow; created: boolean }>;
  /** Marks the follow accepted; returns it, or null when there is none. Accepting twice is fine. */
  accept(actorId: string, objectId: string): Promise<Follow | null>;
  /** True when a follow was removed. */
  remove(actorId: string, objectId: string): Promise<boolean>;
  get(actorId: string, objectId: string): Promise<Follow | null>;
  /** By Follow activity id (an Accept, Reject or Undo may name only that). */
  getById(id: string): Promise<Follow | null>;
  /** The board's accepted inbound follows, oldest first. */
  followersOf(board: string): Promise<Follow[]>;
  /** The board's outbound follows, pending and accepted, oldest first. */
  followingOf(board: string): Promise<Follow[]>;
  /** The number of accepted inbound follows of the board. */
  countFollowers(board: string): Promise<number>;
  /**
   * Where to deliver the board's activities: for each accepted inbound follower its shared inbox
   * when it has one, else its inbox, each address once, sorted.
   */
  inboxesForBoard(board: string): Promise<string[]>;
  /** Removes every follow, both directions, whose remote side is on `domain`; returns how many. */
  removeByDomain(domain: string): Promise<number>;
  /** Removes every follow of a board, both directions (when the board is deleted); returns how many. */
  removeByBoard(board: string): Promise<number>;
  /**
   * Every remote domain that has follows (both directions, any state) with how many, sorted by
   * domain: domain moderation severs and counts follows through it.
   */
  domains(): Promise<Array<{ domain: string; count: number }>>;
  /** The board's inbound follows waiting for approval (pending), oldest first. */
  pendingFollowersOf(board: string): Promise<Follow[]>;
}

/** A remote post mirrored locally: its ActivityPub object id and the local post. */
export interface RemotePostRef {
  apId: string;
  board: string;
  no: number;
  /**
   * The followed group whose Announce brought the post, when one did: only that group's moderators
   * act on it. Absent for a post sent straight to us (a reply's thread says), or mirrored before
   * posts recorded it.
   */
  via?: string;
}

/** Maps ActivityPub object ids of remote posts to the local posts that mirror them (one to one). */
export interface RemotePostIndex {
  /**
   * Records the mapping; putting the same mapping again is a no-op. Throws DomainError("conflict")
   * when the object id already maps to another post, or the post to another object.
   */
  put(ref: RemotePostRef): Promise<void>;
  get(apId: string): Promise<RemotePostRef | null>;
  /** The mappings of those of `apIds` that have one (in no particular order); one query for all. */
  getMany(apIds: readonly string[]): Promise<RemotePostRef[]>;
  /** True when a mapping was deleted. */
  delete(apId: string): Promise<boolean>;
  byBoardAndNo(board: string, no: number): Promise<RemotePostRef | null>;
  /** Removes the mappings of a board's posts (when the board is deleted); returns how many. */
  deleteByBoard(board: string): Promise<number>;
}

/**
 * What a remote instance runs, as its NodeInfo said when last asked: the fan-out picks, per
 * follower inbox, the activities that software reads (see federation/delivery/software.ts).
 */
export interface InstanceSoftware {
  /** The lowercase host, as inboxes are keyed (see `NewDelivery.domain`). */
  domain: string;
  /** NodeInfo's `software.name`, lower case; null while no lookup has ever succeeded. */
  software: string | null;
  /** NodeInfo's `software.version`, when it gave one. */
  version: string | null;
  /** When the domain was last asked, whether the answer was usable or not. */
  fetchedAt: number;
  /** Why the last lookup failed; null when it succeeded. */
  lastError: string | null;
}

/** Longest software name and version kept (NodeInfo allows any string; real ones are short). */
export const MAX_SOFTWARE_FIELD_LENGTH = 100;

/**
 * The software of remote instances, one record per domain. Software names are stored in lower
 * case, and names and versions cut to MAX_SOFTWARE_FIELD_LENGTH; errors to the adapters' error cap.
 */
export interface InstanceRepository {
  get(domain: string): Promise<InstanceSoftware | null>;
  /** The records of those of `domains` that have one, by domain; unknown domains are left out. */
  getMany(domains: string[]): Promise<InstanceSoftware[]>;
  /** A lookup that worked: stores the name and version, clears the error. Returns the record. */
  recordSoftware(domain: string, software: string, version: string | null, now: number): Promise<InstanceSoftware>;
  /**
   * A lookup that failed: records when and why, and keeps the name and version learnt before (a
   * peer whose NodeInfo is down for a while still runs the same software). Returns the record.
   */
  recordFailure(domain: string, error: string, now: number): Promise<InstanceSoftware>;
  /** True when a record was deleted. */
  delete(domain: string): Promise<boolean>;
  /** Every record, by domain. */
  list(): Promise<InstanceSoftware[]>;
}

/** Everything federation stores, one repository per concern. */
/**
 * A ban a followed group's moderators announced (Lemmy's `Block` with the group as `target`): the
 * account's posts are not taken onto the boards that mirror the group while it is in force.
 */
export interface GroupBan {
  groupId: string;
  actorId: string;
  /** The moderator's public reason (`summary`), if any. */
  reason: string | null;
  /** When it ends (`endTime`); null for good. */
  expiresAt: number | null;
  createdAt: number;
}

/** Longest ban reason kept (a longer one is cut). */
export const MAX_GROUP_BAN_REASON = 500;

export interface GroupBanRepository {
  /** Records the group's ban of the account, replacing an earlier one (a new expiry or reason). */
  put(ban: GroupBan): Promise<void>;
  /** Lifts it (Undo(Block)); true when there was one. */
  remove(groupId: string, actorId: string): Promise<boolean>;
  /** The account's bans by any of `groupIds` still in force at `now`. */
  active(actorId: string, groupIds: readonly string[], now: number): Promise<GroupBan[]>;
}

export interface FederationStore {
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
}
