/**
 * The storage ports of federation. `storage/sqlite` and `storage/mongo` implement them and pass the
 * federation part of the contract suite (test/contract/federation*.ts). Like the other ports, every
 * method is async, times are milliseconds since the epoch passed in by the caller (so tests and
 * workers agree on "now"), and domains are compared in lower case (the adapters lowercase every
 * domain they store or look up; normalising IDNs, ports and trailing dots is the caller's job).
 */

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

/** One signed POST to make. */
export interface NewDelivery {
  /** Unique id of this delivery (one per activity and inbox). */
  id: string;
  /** Where it goes. Items for one inbox are sent one at a time, in the order they were queued. */
  inbox: string;
  /** The lowercase host of `inbox`: per-domain limits and back-off key on it. */
  domain: string;
  /** The request body, exactly as it will be sent (and signed). */
  body: string;
  /** The key to sign with (its local actor's key id). */
  keyId: string;
  /** The id of the activity in `body`, for logs and for dropping an activity's deliveries. */
  activityId: string;
}

/** A queued item as a claim hands it out: the item, and the state of its destination inbox. */
export interface Delivery extends NewDelivery {
  /** Its place in the queue: items of one inbox go out in increasing `seq`. */
  seq: number;
  /** Failed attempts so far. */
  attempts: number;
  /** When its inbox is next tried (the item is claimable only as its inbox's oldest item). */
  nextAttemptAt: number;
  /** Until when a worker holds its inbox; a lease that ran out (or whose worker died) is void. */
  leasedUntil: number | null;
  /** The worker holding the lease (see DeliveryWorkerRecord), or null. */
  leasedBy: string | null;
  lastError: string | null;
  createdAt: number;
  /** When its inbox began failing, for the current run of failures; null while it is healthy. */
  failingSince: number | null;
}

/** A delivery given up on, kept with its body so that an operator can send it again. */
export interface DroppedDelivery {
  /** The record's own number: newest drops have the highest; pages and replays name it. */
  seq: number;
  /** The delivery's id (a replay queues it under the same id). */
  id: string;
  inbox: string;
  domain: string;
  /** Empty for items dropped before bodies were kept: those cannot be replayed. */
  body: string;
  keyId: string;
  activityId: string;
  attempts: number;
  lastError: string;
  createdAt: number;
  droppedAt: number;
}

/** The backlog of one destination inbox, for operators. */
export interface PendingInbox {
  inbox: string;
  domain: string;
  /** Items queued for it. */
  items: number;
  /** When its oldest item was queued. */
  oldestCreatedAt: number;
  /** Failed attempts of the item at its head (the one tried next). */
  headAttempts: number;
  /** The last error of that item, if any. */
  lastError: string | null;
  nextAttemptAt: number;
  failingSince: number | null;
  /** Waiting for its domain's next probe rather than for a back-off of its own. */
  held: boolean;
  /** Being sent right now (a lease in force). */
  inFlight: boolean;
}

/** A running delivery worker, as it registers itself; its leases are void once it is dead. */
export interface DeliveryWorkerRecord {
  /** Random, new at every start. */
  id: string;
  /** `os.hostname()` of its machine: only there can its pid be checked. */
  host: string;
  pid: number;
  /** When its process started (`performance.timeOrigin`): tells a reused pid from the same process. */
  processStartedAt: number;
  startedAt: number;
  heartbeatAt: number;
}

/** What a failed attempt changes. */
export interface DeliveryRetry {
  /** When the item's inbox is tried again. */
  at: number;
  error: string;
  now: number;
  /**
   * Gives up on every item of the inbox queued before this time (the failed one included when it
   * is that old): they go to the dropped list, with `expiredError` as their error.
   */
  dropCreatedBefore?: number;
  expiredError?: string;
}

/**
 * The durable outbound queue: items survive restarts and are delivered at least once (a worker
 * that dies mid-delivery leaves a lease that other workers void once they see it is dead, or that
 * runs out, and the item is tried again).
 *
 * Items are kept per destination inbox in the order they were queued (`seq`). Only the oldest item
 * of an inbox is ever handed out, and only while no live lease is held on the inbox, so one inbox
 * never has two items in flight, and an inbox's back-off (its `nextAttemptAt`) holds its whole
 * backlog: once the head succeeds, the next item is due at once.
 */
export interface DeliveryQueue {
  /**
   * Queues the items at the tail of their inboxes, in the order given, all in one transaction. An
   * inbox with nothing queued is due at `now` (default: the current time); one with a backlog keeps
   * its schedule. An item whose id is already queued is left as it is, so a fan-out may be retried.
   */
  enqueue(items: NewDelivery[], now?: number): Promise<void>;
  /**
   * Leases the oldest item of up to `limit` inboxes that are due (`nextAttemptAt <= now`) and not
   * under a lease in force, earliest due first, atomically: two workers, in one process or several,
   * never hold the same inbox. A lease is in force until `leasedUntil`, unless it names a worker
   * that is no longer registered. Takes at most `perDomainLimit` inboxes of one domain, counting
   * the leases in force there, so a slow peer cannot occupy every worker. The leases name `worker`.
   */
  claim(
    now: number,
    limit: number,
    leaseMs: number,
    perDomainLimit: number,
    worker?: string | null,
  ): Promise<Delivery[]>;
  /**
   * Delivered: removes the item, releases its inbox and ends the inbox's failure run; the inbox's
   * next item is due at `now`. True when the item was there.
   */
  complete(id: string, now?: number): Promise<boolean>;
  /** A failed attempt: counts it, records the error, releases the inbox and reschedules it (see DeliveryRetry). */
  fail(id: string, retry: DeliveryRetry): Promise<boolean>;
  /**
   * Not tried because its domain is down: releases the inbox and holds it until `until` without
   * counting an attempt; `wake` ends the hold early. `dropCreatedBefore` and `expiredError` as in `fail`.
   */
  hold(
    id: string,
    hold: { until: number; now: number; dropCreatedBefore?: number; expiredError?: string },
  ): Promise<boolean>;
  /**
   * Makes the waiting inboxes of `domain` due at `now`: those held for the domain, and those whose
   * own failure run began at or after `failingSince` (they failed with the domain). Returns how many.
   */
  wake(domain: string, failingSince: number, now: number): Promise<number>;
  /**
   * Gives up on the item: removes it from the queue and records it, body included, among the dropped
   * deliveries. Its inbox is released, its failure run ends and its next item is due at `now`. True
   * when it was there.
   */
  drop(id: string, error: string, now?: number): Promise<boolean>;
  /** Items in the queue, leased or not. */
  countPending(): Promise<number>;
  /** Items in the queue for one domain. */
  pendingForDomain(domain: string): Promise<number>;
  /** Removes every queued item for a domain (defederation, a peer gone for good); returns how many. */
  removeForDomain(domain: string): Promise<number>;
  /**
   * The inboxes with a backlog, by domain then inbox, of one domain or all, at most `limit`; `now`
   * tells which leases are in force.
   */
  pendingInboxes(now: number, limit: number, domain?: string): Promise<PendingInbox[]>;
  /** Dropped deliveries, newest first, of one domain or all, those with `seq` below `before` when given. */
  listDropped(limit: number, opts?: { domain?: string; before?: number }): Promise<DroppedDelivery[]>;
  getDropped(seq: number): Promise<DroppedDelivery | null>;
  /**
   * Queues dropped deliveries again (under their ids, at the tail of their inboxes, as new at `now`)
   * and removes them from the dropped list, in one transaction; records without a body are left
   * alone. Returns how many were queued (one already queued again counts, and is not doubled).
   */
  replayDropped(seqs: number[], now: number): Promise<number>;
  /** Forgets dropped deliveries recorded before `before`; returns how many. */
  pruneDropped(before: number): Promise<number>;

  /** Registers a running worker, or refreshes its record. */
  registerWorker(worker: DeliveryWorkerRecord): Promise<void>;
  /** The worker is alive at `now`; false when its record is gone (another worker judged it dead). */
  heartbeat(id: string, now: number): Promise<boolean>;
  listWorkers(): Promise<DeliveryWorkerRecord[]>;
  /** Forgets a worker and voids its leases, in one transaction; returns how many leases it held. */
  removeWorker(id: string): Promise<number>;
}

/** Delivery health of a peer, for backing off from dead ones. */
export interface DomainHealth {
  domain: string;
  /** Failed deliveries since the last success. */
  consecutiveFailures: number;
  /** When the current run of failures began; null while the peer is healthy. */
  firstFailureAt: number | null;
  lastFailureAt: number | null;
  lastSuccessAt: number | null;
  /** While the peer counts as dead: when its next probe may go; null otherwise. */
  nextProbeAt: number | null;
}

export interface DomainHealthRepository {
  get(domain: string): Promise<DomainHealth | null>;
  /**
   * A delivery succeeded (or the peer was heard from): the run of failures, if any, ends. Returns
   * the record as it was before when this ended a run, else null.
   */
  recordSuccess(domain: string, now: number): Promise<DomainHealth | null>;
  /** A delivery failed; returns the run of failures it extends (or starts), atomically counted. */
  recordFailure(domain: string, now: number): Promise<{ consecutiveFailures: number; firstFailureAt: number }>;
  /**
   * Takes the right to probe a dead peer: atomically, when its `nextProbeAt` is unset or not after
   * `now`, sets it to `until` and returns true; otherwise returns false and changes nothing.
   */
  takeProbe(domain: string, now: number, until: number): Promise<boolean>;
  /** Sets when a peer in a failure run is next probed (no-op for a healthy one). */
  deferProbe(domain: string, at: number): Promise<void>;
  /** Every domain with a record, by name. */
  list(): Promise<DomainHealth[]>;
  /** The domains in a run of failures, by name. */
  failing(): Promise<string[]>;
}

/** Replay protection for the inbox. */
export interface InboxDedupe {
  /**
   * Records `activityId` as seen until `now + ttlMs` and tells whether it had already been seen
   * (recorded and not expired at `now`). Atomic: of callers racing on one new id, exactly one gets
   * false. A repeat within the window does not extend it.
   */
  seen(activityId: string, now: number, ttlMs: number): Promise<boolean>;
  /** Whether `activityId` is recorded and not expired at `now`; records nothing. */
  has(activityId: string, now: number): Promise<boolean>;
  /** Forgets the ids expired at `now`; returns how many. */
  prune(now: number): Promise<number>;
}

/** An activity the inbox verified but could not finish, kept to be tried again. */
export interface InboundRetry {
  /** The activity's id. */
  id: string;
  /** The board whose inbox it was posted to; null for the shared and the instance actor's inbox. */
  board: string | null;
  /** The actor whose signature verified it. */
  signer: string;
  /** The activity's JSON as received. */
  body: string;
  receivedAt: number;
  /** Tries that failed, the first (at the inbox) included. */
  attempts: number;
  nextAttemptAt: number;
  lastError: string;
  /** When it was given up on (past the retry horizon); null while it is still tried. */
  failedAt: number | null;
}

export type NewInboundRetry = Pick<InboundRetry, "id" | "board" | "signer" | "body" | "lastError">;

/**
 * The inbox's own durable queue: verified activities whose handling failed for a reason that may
 * pass (an origin unreachable, a full image queue), tried again by the instance, so that a 202
 * never stands for an activity that was lost. Several processes share it through leases.
 */
export interface InboundRetryQueue {
  /**
   * Keeps the activity, first tried at `now`, next at `nextAttemptAt`. An id already kept is left as
   * it is. True when it was added.
   */
  add(item: NewInboundRetry, now: number, nextAttemptAt: number): Promise<boolean>;
  /**
   * Leases up to `limit` items due at `now` (not given up on, not under an unexpired lease) until
   * `now + leaseMs`, oldest due first, atomically: two processes never hold the same item.
   */
  claim(now: number, limit: number, leaseMs: number): Promise<InboundRetry[]>;
  /** Done with it (acted on, ignored or refused for good): removes it. True when it was there. */
  remove(id: string): Promise<boolean>;
  /** Another failed try: counts it, records `error`, releases the lease and sets the next try. */
  retryAt(id: string, nextAttemptAt: number, error: string): Promise<boolean>;
  /** Gives up on it at `now`: kept, with `error`, for an operator to see and replay, but no longer claimed. */
  giveUp(id: string, error: string, now: number): Promise<boolean>;
  /** Items still tried (`failed: false`, soonest due first) or given up on (most recent first). */
  list(opts: { failed: boolean; limit: number }): Promise<InboundRetry[]>;
  /** Items still tried. */
  countPending(): Promise<number>;
  /** An item given up on, tried again from `now` (a fresh horizon). True when it was there. */
  replay(id: string, now: number): Promise<boolean>;
  /** Forgets items given up on before `before`; returns how many. */
  pruneFailed(before: number): Promise<number>;
}

/** A remote post mirrored locally: its ActivityPub object id and the local post. */
export interface RemotePostRef {
  apId: string;
  board: string;
  no: number;
}

/** Maps ActivityPub object ids of remote posts to the local posts that mirror them (one to one). */
export interface RemotePostIndex {
  /**
   * Records the mapping; putting the same mapping again is a no-op. Throws DomainError("conflict")
   * when the object id already maps to another post, or the post to another object.
   */
  put(ref: RemotePostRef): Promise<void>;
  get(apId: string): Promise<RemotePostRef | null>;
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
export interface FederationStore {
  readonly keys: ActorKeyRepository;
  readonly actors: RemoteActorRepository;
  readonly follows: FollowRepository;
  readonly deliveries: DeliveryQueue;
  readonly domains: DomainHealthRepository;
  readonly inboxDedupe: InboxDedupe;
  readonly inboundRetries: InboundRetryQueue;
  readonly remotePosts: RemotePostIndex;
  readonly instances: InstanceRepository;
}
