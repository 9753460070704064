import type { PeerDomain } from "./defederation/probation.js";
import type { BoardDomainRule, DomainAllow, DomainBlock, Severity } from "./defederation/rules.js";
import type { SeveranceRepository } from "./severance.js";

/*
 * The storage ports of defederation. `storage/sqlite` and `storage/mongo`
 * implement them and pass the same contract suite (test/contract). Domains are stored normalised
 * (server/domain/defederation/rules.ts `normalizeDomain`): the caller normalises, the adapters compare
 * exactly. Times are milliseconds since the epoch, passed in by the caller.
 */

/** Who changed a rule, as the audit log records it. */
export interface AuditActor {
  /** `user` (a staff account), `token` (an API token), `cli`, `subscription` (a sync) or `system` (expiry, staging). */
  kind: "user" | "token" | "cli" | "subscription" | "system";
  /** The user name, token id, subscription id, or empty. */
  id: string;
}

export type AuditAction =
  | "block.create"
  | "block.update"
  | "block.delete"
  | "allow.create"
  | "allow.delete"
  | "board_rule.create"
  | "board_rule.delete"
  | "subscription.create"
  | "subscription.update"
  | "subscription.delete"
  | "subscription.sync"
  | "probation.start"
  | "probation.end"
  | "probation.vouch";

/** One entry of the append-only audit log of rule changes. */
export interface AuditEntry {
  id: string;
  at: number;
  actor: AuditActor;
  action: AuditAction;
  /** The domain the change is about (empty for subscription entries without one). */
  domain: string;
  /** The rule before and after the change, as JSON objects (null when it did not exist). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Why, as the person or the sync gave it. */
  reason: string;
  /** The subscription the change came from, if any. */
  subscriptionId: string | null;
}

/** A change to the rule set, applied with others in one transaction. */
export type RuleChange =
  | { op: "create_block"; block: DomainBlock }
  | { op: "update_block"; block: DomainBlock }
  | { op: "delete_block"; id: string }
  | { op: "create_allow"; allow: DomainAllow }
  | { op: "delete_allow"; id: string }
  | { op: "create_board_rule"; rule: BoardDomainRule }
  | { op: "delete_board_rule"; id: string };

export interface DomainRuleRepository {
  listBlocks(): Promise<DomainBlock[]>;
  getBlock(id: string): Promise<DomainBlock | null>;
  getBlockByDomain(domain: string): Promise<DomainBlock | null>;
  listAllows(): Promise<DomainAllow[]>;
  getAllow(id: string): Promise<DomainAllow | null>;
  /** Board rules, of one board or of all boards. */
  listBoardRules(board?: string): Promise<BoardDomainRule[]>;
  /**
   * Applies the changes and appends the audit entries in one transaction: all or nothing. Throws
   * DomainError("conflict") when a created block, allow or board rule's domain already has one
   * (per board for board rules), DomainError("not_found") when an updated or deleted id does not
   * exist. 20,000 changes must take well under 5 s on SQLite.
   */
  apply(changes: RuleChange[], audit: AuditEntry[]): Promise<void>;
  /** Incremented by every `apply`: another process sharing the store reloads its rules when it moves. */
  version(): Promise<number>;
  /** The audit log, newest first; `before` is an entry id to page from (exclusive). */
  audit(query: { limit: number; before?: string; domain?: string }): Promise<AuditEntry[]>;
}

/** The formats a subscribed blocklist can be read in. `auto` guesses from the content. */
export type BlocklistFormat = "auto" | "mastodon_csv" | "gotosocial_json" | "mastodon_api" | "plain";
export const BLOCKLIST_FORMATS: readonly BlocklistFormat[] = [
  "auto",
  "mastodon_csv",
  "gotosocial_json",
  "mastodon_api",
  "plain",
];

/** One domain as a source lists it. */
export interface BlocklistEntry {
  domain: string;
  severity: Severity;
  rejectMedia: boolean;
  rejectReports: boolean;
  publicComment: string;
  obfuscate: boolean;
}

/** A remote blocklist the instance follows. */
export interface BlocklistSubscription {
  id: string;
  url: string;
  format: BlocklistFormat;
  /** Higher first: the highest-priority source listing a domain gives its comment and flags. */
  priority: number;
  /** Domains (normalised; their subdomains too) this subscription never blocks. */
  excludes: string[];
  /** When true, syncs only record what would change; an admin applies it. */
  draft: boolean;
  createdAt: number;
  lastSyncAt: number | null;
  /** `ok` or the error of the last sync. */
  lastStatus: string | null;
  /** What the last sync changed or, for a draft, would change: counts and domains. */
  lastChange: Record<string, unknown> | null;
}

/** How subscribed lists combine into rules. One per instance. */
export interface ConsensusSettings {
  /** Block only when at least this many sources list the domain (1 = any). */
  minSources: number;
  /** ... or at least this share (0..1] of all sources; null to use `minSources` alone. */
  minShare: number | null;
  /** The merged severity of a domain the sources disagree on. */
  merge: "strictest" | "mildest";
  /** Stage a new consensus `suspend` as `silence` while local follows with the domain exist. */
  stageWhileFollowed: boolean;
}

export const DEFAULT_CONSENSUS: Readonly<ConsensusSettings> = Object.freeze({
  minSources: 1,
  minShare: null,
  merge: "strictest",
  stageWhileFollowed: true,
});

export interface SubscriptionRepository {
  list(): Promise<BlocklistSubscription[]>;
  get(id: string): Promise<BlocklistSubscription | null>;
  /** Throws DomainError("conflict") when the URL is already subscribed. */
  create(sub: BlocklistSubscription): Promise<void>;
  /** Returns the updated subscription, or null when it does not exist. */
  update(
    id: string,
    patch: Partial<Omit<BlocklistSubscription, "id" | "createdAt">>,
  ): Promise<BlocklistSubscription | null>;
  /** Deletes the subscription and its entries; true when it existed. */
  delete(id: string): Promise<boolean>;
  /** Replaces what the subscription last listed (one transaction). */
  replaceEntries(id: string, entries: BlocklistEntry[]): Promise<void>;
  /** What each subscription last listed, by subscription id. */
  entries(): Promise<Map<string, BlocklistEntry[]>>;
  consensus(): Promise<ConsensusSettings>;
  setConsensus(settings: ConsensusSettings): Promise<void>;
}

/** Data of suspended domains waiting to be purged after the grace period. */
export interface PurgeRepository {
  /** Schedules (or moves) the purge of a domain's data. */
  schedule(domain: string, at: number): Promise<void>;
  /** Cancels a scheduled purge (the suspension was lifted); true when one was scheduled. */
  cancel(domain: string): Promise<boolean>;
  /** The domains whose purge is due at `now`. */
  due(now: number): Promise<string[]>;
  done(domain: string): Promise<void>;
}

/** An inbound activity held for a moderator: a new thread from a silenced domain, or a post a word filter held. */
export interface HeldActivity {
  /** The activity's id (unique: the same activity is held once). */
  id: string;
  board: string;
  /** The normalised domain of its actor. */
  domain: string;
  actorId: string;
  /** The activity as received (JSON text, bounded by the inbox's size limit). */
  activity: string;
  receivedAt: number;
  /**
   * Why it is held: `silenced` (the default: its domain is silenced on the board), `probation` (a
   * new peer), or what a word filter said, for staff.
   */
  reason?: HeldReason;
}

/** `silenced`, `probation`, or a word filter's description of what it matched. */
export type HeldReason = string;

export interface HeldRepository {
  /** Holds the activity; false when one with its id is already held. */
  add(held: HeldActivity): Promise<boolean>;
  get(id: string): Promise<HeldActivity | null>;
  /** Held activities, oldest first, of one board or all. */
  list(board?: string): Promise<HeldActivity[]>;
  /** True when it was held. */
  remove(id: string): Promise<boolean>;
  /** Drops everything held from a domain (it was suspended); returns how many. */
  removeByDomain(domain: string): Promise<number>;
}

/** Every remote host seen, from the first time, and its probation. */
export interface PeerDomainRepository {
  /**
   * Records the host's first appearance as `peer` unless it is already known; returns the stored
   * record and whether this call created it.
   */
  firstSeen(peer: PeerDomain): Promise<{ peer: PeerDomain; created: boolean }>;
  get(domain: string): Promise<PeerDomain | null>;
  /** Creates or replaces the host's record. */
  put(peer: PeerDomain): Promise<void>;
  /** The hosts whose probation runs (started and not recorded as over), oldest start first. */
  listRunning(): Promise<PeerDomain[]>;
}

/** Everything defederation stores. `Store.defederation` in server/domain/ports.ts. */
export interface DefederationStore {
  rules: DomainRuleRepository;
  subscriptions: SubscriptionRepository;
  purges: PurgeRepository;
  held: HeldRepository;
  /** What domain rules severed (./severance.ts). */
  severances: SeveranceRepository;
  /** Remote hosts seen and their probation (./defederation/probation.ts). */
  peers: PeerDomainRepository;
}
