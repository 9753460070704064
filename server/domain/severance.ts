import type { Severity } from "./defederation/rules.js";
import type { AuditEntry } from "./defederation-ports.js";
import type { FollowDirection, FollowState } from "./federation-ports.js";

/*
 * Severed relationships: when a domain rule cuts follows, what was cut and why is kept, so staff can
 * see which boards lost which followers and follows, and the public moderation page can count them.
 * One event per rule change and domain; each event holds the relationships it severed.
 */

/** The audit reason of rules a CSV import writes; severances tell imports by it. */
export const CSV_IMPORT_REASON = "CSV import";

/** Where the rule that severed came from. */
export type SeveranceOrigin = "admin" | "cli" | "import" | "subscription" | "consensus" | "system";
export const SEVERANCE_ORIGINS: readonly SeveranceOrigin[] = [
  "admin",
  "cli",
  "import",
  "subscription",
  "consensus",
  "system",
];

export interface SeveranceEvent {
  id: string;
  at: number;
  /** The domain of the rule that severed (a follow from a subdomain counts under it). */
  domain: string;
  severity: Severity;
  /** The rule's public comment (never its private one). */
  publicReason: string;
  origin: SeveranceOrigin;
  /** Remote actors that followed a local board. */
  followersLost: number;
  /** Remote boards or groups a local board followed. */
  followingLost: number;
}

/** One relationship a severance cut. */
export interface SeveredRelationship {
  eventId: string;
  /** The uri of the local board. */
  board: string;
  /** `inbound`: the remote actor followed the board; `outbound`: the board followed it. */
  direction: FollowDirection;
  state: FollowState;
  /** The remote follower, or the remote board or group followed. */
  remoteActor: string;
  /** The remote actor's own domain. */
  domain: string;
}

export interface SeveranceQuery {
  limit: number;
  /** An event id: only events older than it. */
  before?: string;
  domain?: string;
}

export interface SeveranceRepository {
  /** Stores the event with its relationships, all or nothing. */
  record(event: SeveranceEvent, relationships: readonly SeveredRelationship[]): Promise<void>;
  /** Newest first. An unknown `before` yields nothing. */
  list(query: SeveranceQuery): Promise<SeveranceEvent[]>;
  get(id: string): Promise<SeveranceEvent | null>;
  /** The event's relationships, by board, direction and remote actor. */
  relationships(eventId: string): Promise<SeveredRelationship[]>;
  /** Follows lost (both directions, every event) per rule domain, sorted by domain. */
  lostByDomain(): Promise<Array<{ domain: string; follows: number }>>;
}

/**
 * Where a rule came from, from the rule's origin, the audit entry that changed it (when this change
 * did) and whether subscribed lists must agree before they block.
 */
export function severanceOrigin(
  ruleOrigin: "manual" | "subscription",
  entry: AuditEntry | null,
  consensusNeeded: boolean,
): SeveranceOrigin {
  if (ruleOrigin === "subscription") return consensusNeeded ? "consensus" : "subscription";
  if (entry === null) return "system";
  if (entry.reason === CSV_IMPORT_REASON) return "import";
  switch (entry.actor.kind) {
    case "user":
    case "token":
      return "admin";
    case "cli":
      return "cli";
    case "subscription":
      return "subscription";
    case "system":
      return "system";
  }
}
