import type { Collection, Db } from "mongodb";
import type { PeerDomain } from "../../../server/domain/defederation/probation.js";
import type { BoardDomainRule, DomainAllow, DomainBlock } from "../../../server/domain/defederation/rules.js";
import type {
  AuditEntry,
  BlocklistEntry,
  BlocklistSubscription,
  ConsensusSettings,
  HeldActivity,
} from "../../../server/domain/defederation-ports.js";
import type { SeveranceEvent, SeveredRelationship } from "../../../server/domain/severance.js";
import { parseJsonObject } from "../../common/defederation.js";

/*
 * Defederation document shapes. Free-form JSON (an audit entry's before/after, a sync's
 * summary) is stored as a JSON string: its keys are chosen by whoever wrote it (domain names hold
 * dots) and must never be read by the server as field paths or operators. Each mapper copies the
 * fields one by one, which drops `_id` and the internal fields.
 */

export type DomainBlockDoc = DomainBlock;
export type DomainAllowDoc = DomainAllow;
export type BoardDomainRuleDoc = BoardDomainRule;

export interface DomainAuditDoc {
  id: string;
  /** The order entries were written in, from the rules counter: the tie-break within one `at`. */
  seq: number;
  at: number;
  actorKind: AuditEntry["actor"]["kind"];
  actorId: string;
  action: AuditEntry["action"];
  domain: string;
  beforeJson: string | null;
  afterJson: string | null;
  reason: string;
  subscriptionId: string | null;
}

export type SubscriptionDoc = Omit<BlocklistSubscription, "lastChange"> & {
  lastChangeJson: string | null;
  /** Bumped by every replaceEntries, so a replace and a delete of one subscription conflict. */
  entriesSeq?: number;
};

export type BlocklistEntryDoc = BlocklistEntry & { subscriptionId: string };

export interface DomainPurgeDoc {
  domain: string;
  at: number;
}

/** `rules`: the rules version and the audit sequence; `consensus`: the settings once set. */
export interface DomainMetaDoc {
  name: string;
  version?: number;
  auditSeq?: number;
  consensus?: ConsensusSettings;
}

export type SeveranceEventDoc = SeveranceEvent;
export type SeveredRelationshipDoc = SeveredRelationship;

export const RULES_META = "rules";
export const CONSENSUS_META = "consensus";

export const DEFEDERATION_COLLECTIONS = {
  blocks: "domainBlocks",
  allows: "domainAllows",
  boardRules: "boardDomainRules",
  audit: "domainAudit",
  subscriptions: "blocklistSubscriptions",
  entries: "blocklistEntries",
  purges: "domainPurges",
  held: "heldActivities",
  meta: "domainMeta",
  severanceEvents: "severanceEvents",
  severedRelationships: "severedRelationships",
  peers: "peerDomains",
} as const;

export interface DefederationCollections {
  blocks: Collection<DomainBlockDoc>;
  allows: Collection<DomainAllowDoc>;
  boardRules: Collection<BoardDomainRuleDoc>;
  audit: Collection<DomainAuditDoc>;
  subscriptions: Collection<SubscriptionDoc>;
  entries: Collection<BlocklistEntryDoc>;
  purges: Collection<DomainPurgeDoc>;
  held: Collection<HeldActivity>;
  meta: Collection<DomainMetaDoc>;
  severanceEvents: Collection<SeveranceEventDoc>;
  severedRelationships: Collection<SeveredRelationshipDoc>;
  peers: Collection<PeerDomain>;
}

export function defederationCollectionsOf(db: Db): DefederationCollections {
  const n = DEFEDERATION_COLLECTIONS;
  return {
    blocks: db.collection<DomainBlockDoc>(n.blocks),
    allows: db.collection<DomainAllowDoc>(n.allows),
    boardRules: db.collection<BoardDomainRuleDoc>(n.boardRules),
    audit: db.collection<DomainAuditDoc>(n.audit),
    subscriptions: db.collection<SubscriptionDoc>(n.subscriptions),
    entries: db.collection<BlocklistEntryDoc>(n.entries),
    purges: db.collection<DomainPurgeDoc>(n.purges),
    held: db.collection<HeldActivity>(n.held),
    meta: db.collection<DomainMetaDoc>(n.meta),
    severanceEvents: db.collection<SeveranceEventDoc>(n.severanceEvents),
    severedRelationships: db.collection<SeveredRelationshipDoc>(n.severedRelationships),
    peers: db.collection<PeerDomain>(n.peers),
  };
}

export function toBlock(d: DomainBlockDoc): DomainBlock {
  return {
    id: d.id,
    domain: d.domain,
    severity: d.severity,
    rejectMedia: d.rejectMedia,
    rejectReports: d.rejectReports,
    privateComment: d.privateComment,
    publicComment: d.publicComment,
    obfuscate: d.obfuscate,
    expiresAt: d.expiresAt ?? null,
    evidenceUrl: d.evidenceUrl ?? null,
    origin: d.origin,
    stagedSeverity: d.stagedSeverity ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function toAllow(d: DomainAllowDoc): DomainAllow {
  return { id: d.id, domain: d.domain, comment: d.comment, createdAt: d.createdAt };
}

export function toBoardRule(d: BoardDomainRuleDoc): BoardDomainRule {
  return {
    id: d.id,
    board: d.board,
    domain: d.domain,
    severity: d.severity,
    rejectMedia: d.rejectMedia,
    comment: d.comment,
    createdAt: d.createdAt,
  };
}

export function toAuditEntry(d: DomainAuditDoc): AuditEntry {
  return {
    id: d.id,
    at: d.at,
    actor: { kind: d.actorKind, id: d.actorId },
    action: d.action,
    domain: d.domain,
    before: parseJsonObject(d.beforeJson),
    after: parseJsonObject(d.afterJson),
    reason: d.reason,
    subscriptionId: d.subscriptionId ?? null,
  };
}

export function toSubscription(d: SubscriptionDoc): BlocklistSubscription {
  return {
    id: d.id,
    url: d.url,
    format: d.format,
    priority: d.priority,
    excludes: [...(d.excludes ?? [])],
    draft: d.draft,
    createdAt: d.createdAt,
    lastSyncAt: d.lastSyncAt ?? null,
    lastStatus: d.lastStatus ?? null,
    lastChange: parseJsonObject(d.lastChangeJson),
  };
}

export function toEntry(d: BlocklistEntryDoc): BlocklistEntry {
  return {
    domain: d.domain,
    severity: d.severity,
    rejectMedia: d.rejectMedia,
    rejectReports: d.rejectReports,
    publicComment: d.publicComment,
    obfuscate: d.obfuscate,
  };
}
