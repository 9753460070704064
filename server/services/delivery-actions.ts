import type { DroppedDelivery, InboundRetry, PendingInbox } from "../domain/federation-ports.js";

/** How many dropped deliveries a bulk replay queued again, and how many it left because their domain is suspended. */
export interface ReplayOutcome {
  queued: number;
  refused: number;
}

/**
 * What operators can see and do about outbound deliveries, from the admin API, the admin pages and
 * the command line: the backlog per destination inbox, the deliveries given up on, and sending
 * those again. Every method throws DomainError: "not_found" for an unknown dropped delivery,
 * "conflict" when its domain is suspended now (the message gives the rule's reason),
 * "unprocessable" for one recorded before bodies were kept, "invalid" for a malformed domain.
 */
export interface DeliveryActions {
  /** Inboxes with a backlog, by domain then inbox, of one domain or all. */
  pending(opts?: { domain?: string; limit?: number }): Promise<PendingInbox[]>;
  /** Dropped deliveries, newest first, of one domain or all, those numbered below `before` when given. */
  dropped(opts: { domain?: string; limit: number; before?: number }): Promise<DroppedDelivery[]>;
  /**
   * Queues a dropped delivery again at the tail of its inbox, as new (its 7 days start again), and
   * removes it from the dropped list. Returns it as it was dropped.
   */
  retry(seq: number): Promise<DroppedDelivery>;
  /** The same for every dropped delivery of a domain; refused as a whole when the domain is suspended. */
  retryDomain(domain: string): Promise<ReplayOutcome>;
  /** The same for every dropped delivery; those whose domain is suspended stay dropped. */
  retryAll(): Promise<ReplayOutcome>;
  /**
   * Activities received and verified whose handling failed for a reason that may pass (their
   * origin unreachable): those still tried (`failed: false`, soonest due first) or given up on
   * after the retry horizon (most recent first).
   */
  inbound(opts: { failed: boolean; limit: number }): Promise<InboundRetry[]>;
  /** Tries an activity given up on again, from now, with a fresh horizon. "not_found" when it is not given up on. */
  retryInbound(id: string): Promise<void>;
  /** The same for every activity given up on; returns how many. */
  retryAllInbound(): Promise<number>;
}
