import type { BoardDomainRule, DomainAllow, DomainBlock, Severity } from "../../../server/domain/defederation/rules.js";
import type { AuditEntry, DomainRuleRepository, RuleChange } from "../../../server/domain/defederation-ports.js";
import { DomainError } from "../../../server/domain/errors.js";
import {
  type AuditQuery,
  checkedAudit,
  checkedAuditQuery,
  checkedChanges,
  jsonText,
  parseJsonObject,
} from "../../common/defederation.js";
import { domainArg } from "../../common/federation.js";
import { str } from "../../common/guards.js";
import type { Db } from "../database.js";
import { isUniqueViolation } from "../errors.js";

interface BlockRow {
  id: string;
  domain: string;
  severity: string;
  reject_media: number;
  reject_reports: number;
  private_comment: string;
  public_comment: string;
  obfuscate: number;
  expires_at: number | null;
  evidence_url: string | null;
  origin: string;
  staged_severity: string | null;
  created_at: number;
  updated_at: number;
}

interface AllowRow {
  id: string;
  domain: string;
  comment: string;
  created_at: number;
}

interface BoardRuleRow {
  id: string;
  board: string;
  domain: string;
  severity: string;
  reject_media: number;
  comment: string;
  created_at: number;
}

interface AuditRow {
  id: string;
  at: number;
  actor_kind: string;
  actor_id: string;
  action: string;
  domain: string;
  before_json: string | null;
  after_json: string | null;
  reason: string;
  subscription_id: string | null;
}

const BLOCK_COLUMNS =
  "id, domain, severity, reject_media, reject_reports, private_comment, public_comment, obfuscate, expires_at, " +
  "evidence_url, origin, staged_severity, created_at, updated_at";
const ALLOW_COLUMNS = "id, domain, comment, created_at";
const BOARD_RULE_COLUMNS = "id, board, domain, severity, reject_media, comment, created_at";
const AUDIT_COLUMNS = "id, at, actor_kind, actor_id, action, domain, before_json, after_json, reason, subscription_id";

function params(columns: string): string {
  return columns
    .split(", ")
    .map((c) => `@${c}`)
    .join(", ");
}

function blockFromRow(r: BlockRow): DomainBlock {
  return {
    id: r.id,
    domain: r.domain,
    severity: r.severity as Severity,
    rejectMedia: r.reject_media === 1,
    rejectReports: r.reject_reports === 1,
    privateComment: r.private_comment,
    publicComment: r.public_comment,
    obfuscate: r.obfuscate === 1,
    expiresAt: r.expires_at,
    evidenceUrl: r.evidence_url,
    origin: r.origin as DomainBlock["origin"],
    stagedSeverity: r.staged_severity as Severity | null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function blockToRow(b: DomainBlock): BlockRow {
  return {
    id: b.id,
    domain: b.domain,
    severity: b.severity,
    reject_media: b.rejectMedia ? 1 : 0,
    reject_reports: b.rejectReports ? 1 : 0,
    private_comment: b.privateComment,
    public_comment: b.publicComment,
    obfuscate: b.obfuscate ? 1 : 0,
    expires_at: b.expiresAt,
    evidence_url: b.evidenceUrl,
    origin: b.origin,
    staged_severity: b.stagedSeverity,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
  };
}

function allowFromRow(r: AllowRow): DomainAllow {
  return { id: r.id, domain: r.domain, comment: r.comment, createdAt: r.created_at };
}

function allowToRow(a: DomainAllow): AllowRow {
  return { id: a.id, domain: a.domain, comment: a.comment, created_at: a.createdAt };
}

function boardRuleFromRow(r: BoardRuleRow): BoardDomainRule {
  return {
    id: r.id,
    board: r.board,
    domain: r.domain,
    severity: r.severity as BoardDomainRule["severity"],
    rejectMedia: r.reject_media === 1,
    comment: r.comment,
    createdAt: r.created_at,
  };
}

function boardRuleToRow(r: BoardDomainRule): BoardRuleRow {
  return {
    id: r.id,
    board: r.board,
    domain: r.domain,
    severity: r.severity,
    reject_media: r.rejectMedia ? 1 : 0,
    comment: r.comment,
    created_at: r.createdAt,
  };
}

function auditFromRow(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    actor: { kind: r.actor_kind as AuditEntry["actor"]["kind"], id: r.actor_id },
    action: r.action as AuditEntry["action"],
    domain: r.domain,
    before: parseJsonObject(r.before_json),
    after: parseJsonObject(r.after_json),
    reason: r.reason,
    subscriptionId: r.subscription_id,
  };
}

function auditToRow(e: AuditEntry): AuditRow {
  return {
    id: e.id,
    at: e.at,
    actor_kind: e.actor.kind,
    actor_id: e.actor.id,
    action: e.action,
    domain: e.domain,
    before_json: jsonText(e.before),
    after_json: jsonText(e.after),
    reason: e.reason,
    subscription_id: e.subscriptionId,
  };
}

/** Runs one write of an apply, turning a unique violation into the port's conflict. */
function unique(run: () => unknown, message: string): void {
  try {
    run();
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError("conflict", message);
    throw e;
  }
}

function found(changes: number, message: string): void {
  if (changes === 0) throw new DomainError("not_found", message);
}

/**
 * Domain rules on SQLite. `apply` is one IMMEDIATE transaction over prepared statements: the
 * unique indexes detect conflicts, a statement that changes no row detects a missing id, and any
 * throw rolls back every change, the audit entries and the version bump together.
 */
export class SqliteDomainRuleRepository implements DomainRuleRepository {
  private readonly s;
  private readonly applyTx;

  constructor(db: Db) {
    const audit = (where: string) =>
      db.prepare<[{ before_at: number; before_seq: number; domain: string | null; limit: number }], AuditRow>(
        `SELECT ${AUDIT_COLUMNS} FROM domain_audit
         WHERE ${where}
         ORDER BY at DESC, seq DESC LIMIT @limit`,
      );
    this.s = {
      listBlocks: db.prepare<[], BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM domain_blocks ORDER BY domain`),
      getBlock: db.prepare<[string], BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM domain_blocks WHERE id = ?`),
      blockByDomain: db.prepare<[string], BlockRow>(`SELECT ${BLOCK_COLUMNS} FROM domain_blocks WHERE domain = ?`),
      insertBlock: db.prepare<[BlockRow]>(
        `INSERT INTO domain_blocks (${BLOCK_COLUMNS}) VALUES (${params(BLOCK_COLUMNS)})`,
      ),
      // the id and the creation time are the record's identity: an update keeps them
      updateBlock: db.prepare<[BlockRow]>(
        `UPDATE domain_blocks SET domain = @domain, severity = @severity, reject_media = @reject_media,
           reject_reports = @reject_reports, private_comment = @private_comment, public_comment = @public_comment,
           obfuscate = @obfuscate, expires_at = @expires_at, evidence_url = @evidence_url, origin = @origin,
           staged_severity = @staged_severity, updated_at = @updated_at
         WHERE id = @id`,
      ),
      deleteBlock: db.prepare<[string]>("DELETE FROM domain_blocks WHERE id = ?"),
      listAllows: db.prepare<[], AllowRow>(`SELECT ${ALLOW_COLUMNS} FROM domain_allows ORDER BY domain`),
      getAllow: db.prepare<[string], AllowRow>(`SELECT ${ALLOW_COLUMNS} FROM domain_allows WHERE id = ?`),
      insertAllow: db.prepare<[AllowRow]>(
        `INSERT INTO domain_allows (${ALLOW_COLUMNS}) VALUES (${params(ALLOW_COLUMNS)})`,
      ),
      deleteAllow: db.prepare<[string]>("DELETE FROM domain_allows WHERE id = ?"),
      listBoardRules: db.prepare<[], BoardRuleRow>(
        `SELECT ${BOARD_RULE_COLUMNS} FROM domain_board_rules ORDER BY board, domain`,
      ),
      boardRulesOf: db.prepare<[string], BoardRuleRow>(
        `SELECT ${BOARD_RULE_COLUMNS} FROM domain_board_rules WHERE board = ? ORDER BY domain`,
      ),
      insertBoardRule: db.prepare<[BoardRuleRow]>(
        `INSERT INTO domain_board_rules (${BOARD_RULE_COLUMNS}) VALUES (${params(BOARD_RULE_COLUMNS)})`,
      ),
      deleteBoardRule: db.prepare<[string]>("DELETE FROM domain_board_rules WHERE id = ?"),
      insertAudit: db.prepare<[AuditRow]>(
        `INSERT INTO domain_audit (${AUDIT_COLUMNS}) VALUES (${params(AUDIT_COLUMNS)})`,
      ),
      auditCursor: db.prepare<[string], { at: number; seq: number }>("SELECT at, seq FROM domain_audit WHERE id = ?"),
      // Four shapes rather than one with optional terms, so each uses its index (a term like
      // "@domain IS NULL OR domain = @domain" would hide it from the planner).
      auditAll: audit("1"),
      auditBefore: audit("(at, seq) < (@before_at, @before_seq)"),
      auditDomain: audit("domain = @domain"),
      auditDomainBefore: audit("domain = @domain AND (at, seq) < (@before_at, @before_seq)"),
      bumpVersion: db.prepare<[]>("UPDATE domain_rules_version SET version = version + 1 WHERE id = 1"),
      version: db.prepare<[], number>("SELECT version FROM domain_rules_version WHERE id = 1").pluck(),
    };
    this.applyTx = db.transaction((changes: RuleChange[], entries: AuditEntry[]) => {
      for (const change of changes) this.applyOne(change);
      for (const entry of entries) {
        unique(() => this.s.insertAudit.run(auditToRow(entry)), `An audit entry with id ${entry.id} exists.`);
      }
      this.s.bumpVersion.run();
    });
  }

  private applyOne(c: RuleChange): void {
    const s = this.s;
    switch (c.op) {
      case "create_block":
        unique(() => s.insertBlock.run(blockToRow(c.block)), `${c.block.domain} already has a block.`);
        return;
      case "update_block": {
        let changes = 0;
        unique(() => {
          changes = s.updateBlock.run(blockToRow(c.block)).changes;
        }, `${c.block.domain} already has a block.`);
        found(changes, `No block has id ${c.block.id}.`);
        return;
      }
      case "delete_block":
        found(s.deleteBlock.run(c.id).changes, `No block has id ${c.id}.`);
        return;
      case "create_allow":
        unique(() => s.insertAllow.run(allowToRow(c.allow)), `${c.allow.domain} is already allowed.`);
        return;
      case "delete_allow":
        found(s.deleteAllow.run(c.id).changes, `No allow rule has id ${c.id}.`);
        return;
      case "create_board_rule":
        unique(
          () => s.insertBoardRule.run(boardRuleToRow(c.rule)),
          `/${c.rule.board}/ already has a rule on ${c.rule.domain}.`,
        );
        return;
      case "delete_board_rule":
        found(s.deleteBoardRule.run(c.id).changes, `No board rule has id ${c.id}.`);
        return;
    }
  }

  async listBlocks(): Promise<DomainBlock[]> {
    return this.s.listBlocks.all().map(blockFromRow);
  }

  async getBlock(id: string): Promise<DomainBlock | null> {
    const row = this.s.getBlock.get(str(id, "id"));
    return row ? blockFromRow(row) : null;
  }

  async getBlockByDomain(domain: string): Promise<DomainBlock | null> {
    const row = this.s.blockByDomain.get(domainArg(domain));
    return row ? blockFromRow(row) : null;
  }

  async listAllows(): Promise<DomainAllow[]> {
    return this.s.listAllows.all().map(allowFromRow);
  }

  async getAllow(id: string): Promise<DomainAllow | null> {
    const row = this.s.getAllow.get(str(id, "id"));
    return row ? allowFromRow(row) : null;
  }

  async listBoardRules(board?: string): Promise<BoardDomainRule[]> {
    const rows = board === undefined ? this.s.listBoardRules.all() : this.s.boardRulesOf.all(str(board, "board"));
    return rows.map(boardRuleFromRow);
  }

  async apply(changes: RuleChange[], audit: AuditEntry[]): Promise<void> {
    // everything is checked before the transaction opens, so a bad value never holds the write lock
    this.applyTx.immediate(checkedChanges(changes), checkedAudit(audit));
  }

  async version(): Promise<number> {
    return this.s.version.get() ?? 0;
  }

  async audit(query: { limit: number; before?: string; domain?: string }): Promise<AuditEntry[]> {
    return this.readAudit(checkedAuditQuery(query)).map(auditFromRow);
  }

  private readAudit(q: AuditQuery): AuditRow[] {
    if (q.limit === 0) return [];
    let cursor = { at: 0, seq: 0 };
    if (q.before !== null) {
      const at = this.s.auditCursor.get(q.before);
      // the log is append-only, so an id it does not hold was never a page boundary: nothing follows it
      if (!at) return [];
      cursor = at;
    }
    const args = { before_at: cursor.at, before_seq: cursor.seq, domain: q.domain, limit: q.limit };
    if (q.domain === null) return (q.before === null ? this.s.auditAll : this.s.auditBefore).all(args);
    return (q.before === null ? this.s.auditDomain : this.s.auditDomainBefore).all(args);
  }
}
