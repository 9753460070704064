/**
 * The storage ports of outbound delivery: the durable queue of signed POSTs and the health of the
 * peers they go to. Part of the federation store (see federation-ports.ts, whose conventions hold
 * here: async methods, times in milliseconds passed in by the caller, domains in lower case).
 */

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
   * Of a domain's inboxes, `worker` holds at most `workerShare` (default `perDomainLimit`),
   * counting its own leases in force, so workers sharing the queue share each domain's limit
   * instead of the one whose sends finish first taking every slot as it frees.
   */
  claim(
    now: number,
    limit: number,
    leaseMs: number,
    perDomainLimit: number,
    worker?: string | null,
    workerShare?: number,
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
export interface PeerHealthRecord {
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

export interface PeerHealthRepository {
  get(domain: string): Promise<PeerHealthRecord | null>;
  /**
   * A delivery succeeded (or the peer was heard from): the run of failures, if any, ends. Returns
   * the record as it was before when this ended a run, else null.
   */
  recordSuccess(domain: string, now: number): Promise<PeerHealthRecord | null>;
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
  list(): Promise<PeerHealthRecord[]>;
  /** The domains in a run of failures, by name. */
  failing(): Promise<string[]>;
}
