import type { BoardDomainRule, DomainAllow, DomainBlock } from "../../server/domain/defederation/rules.js";
import type {
  AuditEntry,
  BlocklistEntry,
  BlocklistSubscription,
  RuleChange,
} from "../../server/domain/defederation-ports.js";

/* Complete domain moderation records for the contract suites, each overridable field by field. */

export function domainBlock(domain: string, overrides: Partial<DomainBlock> = {}): DomainBlock {
  return {
    id: `block-${domain}`,
    domain,
    severity: "suspend",
    rejectMedia: false,
    rejectReports: false,
    privateComment: "spam wave",
    publicComment: "spam",
    obfuscate: false,
    expiresAt: null,
    evidenceUrl: null,
    origin: "manual",
    stagedSeverity: null,
    createdAt: 1000,
    updatedAt: 1000,
    ...overrides,
  };
}

export function domainAllow(domain: string, overrides: Partial<DomainAllow> = {}): DomainAllow {
  return { id: `allow-${domain}`, domain, comment: "friends", createdAt: 1000, ...overrides };
}

export function boardRule(board: string, domain: string, overrides: Partial<BoardDomainRule> = {}): BoardDomainRule {
  return {
    id: `rule-${board}-${domain}`,
    board,
    domain,
    severity: "silence",
    rejectMedia: true,
    comment: "off-topic",
    createdAt: 1000,
    ...overrides,
  };
}

export function auditEntry(id: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id,
    at: 1000,
    actor: { kind: "user", id: "admin" },
    action: "block.create",
    domain: "spam.example",
    before: null,
    after: { severity: "suspend" },
    reason: "spam",
    subscriptionId: null,
    ...overrides,
  };
}

export function subscription(id: string, overrides: Partial<BlocklistSubscription> = {}): BlocklistSubscription {
  return {
    id,
    url: `https://lists.example/${id}.csv`,
    format: "mastodon_csv",
    priority: 0,
    excludes: [],
    draft: false,
    createdAt: 1000,
    lastSyncAt: null,
    lastStatus: null,
    lastChange: null,
    ...overrides,
  };
}

export function listEntry(domain: string, overrides: Partial<BlocklistEntry> = {}): BlocklistEntry {
  return {
    domain,
    severity: "suspend",
    rejectMedia: false,
    rejectReports: false,
    publicComment: "",
    obfuscate: false,
    ...overrides,
  };
}

/** The change that creates `block`. */
export function createBlock(block: DomainBlock): RuleChange {
  return { op: "create_block", block };
}
