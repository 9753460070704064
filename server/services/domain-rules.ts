import { randomUUID } from "node:crypto";
import {
  type BoardDomainRule,
  type DomainAllow,
  type DomainBlock,
  isSeverity,
  requireDomain,
} from "../domain/domain-policy.js";
import type { AuditActor } from "../domain/domain-ports.js";
import { DomainError } from "../domain/errors.js";
import type { BlockInput, BlockPatch, DomainModerationOptions } from "./domain-moderation-types.js";
import { bool, evidence, text } from "./domain-rule-input.js";
import type { DomainRuleWriter } from "./domain-rule-writer.js";

/** The instance's domain blocks and allows and the boards' own rules, each change audited. */
export class DomainRules {
  readonly #o: DomainModerationOptions;
  readonly #writer: DomainRuleWriter;

  constructor(o: DomainModerationOptions, writer: DomainRuleWriter) {
    this.#o = o;
    this.#writer = writer;
  }

  listBlocks(): Promise<DomainBlock[]> {
    return this.#o.store.domains.rules.listBlocks();
  }

  async getBlock(id: string): Promise<DomainBlock> {
    const b = await this.#o.store.domains.rules.getBlock(id);
    if (!b) throw new DomainError("not_found", "No such domain block.");
    return b;
  }

  async createBlock(input: BlockInput, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    const domain = this.#domain(input.domain);
    const existing = await this.#o.store.domains.rules.getBlockByDomain(domain);
    if (existing) {
      throw new DomainError("conflict", `${domain} already has a rule.`, { existing_domain_block_id: existing.id });
    }
    const now = this.#o.clock();
    const block = this.#validBlock(
      {
        id: randomUUID(),
        domain,
        severity: "suspend",
        rejectMedia: false,
        rejectReports: false,
        privateComment: "",
        publicComment: "",
        obfuscate: false,
        expiresAt: null,
        evidenceUrl: null,
        origin: "manual",
        stagedSeverity: null,
        createdAt: now,
        updatedAt: now,
      },
      input,
    );
    await this.#writer.apply(
      [{ op: "create_block", block }],
      [this.#writer.auditEntry(actor, "block.create", domain, null, block, reason || block.privateComment, null)],
    );
    return block;
  }

  async updateBlock(id: string, patch: BlockPatch, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    const before = await this.getBlock(id);
    // A person editing a rule makes it theirs: subscriptions no longer retract it.
    const after = this.#validBlock(
      { ...before, origin: "manual", stagedSeverity: null, updatedAt: this.#o.clock() },
      patch,
    );
    await this.#writer.apply(
      [{ op: "update_block", block: after }],
      [this.#writer.auditEntry(actor, "block.update", before.domain, before, after, reason, null)],
    );
    return after;
  }

  async deleteBlock(id: string, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    const before = await this.getBlock(id);
    await this.#writer.apply(
      [{ op: "delete_block", id }],
      [this.#writer.auditEntry(actor, "block.delete", before.domain, before, null, reason, null)],
    );
    return before;
  }

  /** Raises a staged rule to its staged severity. */
  async confirmStaged(id: string, actor: AuditActor): Promise<DomainBlock> {
    const b = await this.getBlock(id);
    if (b.stagedSeverity === null) throw new DomainError("invalid", `${b.domain} has no staged severity.`);
    return this.promote(b, actor, "confirmed");
  }

  /** Raises a staged rule to its staged severity, the audit entry giving `reason`. */
  async promote(b: DomainBlock, actor: AuditActor, reason: string): Promise<DomainBlock> {
    const after: DomainBlock = {
      ...b,
      severity: b.stagedSeverity ?? b.severity,
      stagedSeverity: null,
      updatedAt: this.#o.clock(),
    };
    await this.#writer.apply(
      [{ op: "update_block", block: after }],
      [this.#writer.auditEntry(actor, "block.update", b.domain, b, after, `staged rule raised: ${reason}`, null)],
    );
    return after;
  }

  #validBlock(base: DomainBlock, input: BlockPatch): DomainBlock {
    const out = { ...base };
    if (input.severity !== undefined) {
      if (!isSeverity(input.severity)) throw new DomainError("invalid", "severity must be silence, suspend or noop.");
      out.severity = input.severity;
    }
    if (input.rejectMedia !== undefined) out.rejectMedia = bool(input.rejectMedia, "reject_media");
    if (input.rejectReports !== undefined) out.rejectReports = bool(input.rejectReports, "reject_reports");
    if (input.obfuscate !== undefined) out.obfuscate = bool(input.obfuscate, "obfuscate");
    if (input.privateComment !== undefined) out.privateComment = text(input.privateComment, "private_comment");
    if (input.publicComment !== undefined) out.publicComment = text(input.publicComment, "public_comment");
    if (input.expiresAt !== undefined) {
      if (input.expiresAt !== null && (!Number.isFinite(input.expiresAt) || input.expiresAt <= this.#o.clock())) {
        throw new DomainError("invalid", "The expiry must be a time in the future.");
      }
      out.expiresAt = input.expiresAt;
    }
    if (input.evidenceUrl !== undefined) out.evidenceUrl = evidence(input.evidenceUrl);
    return out;
  }

  #domain(input: unknown): string {
    if (typeof input !== "string") throw new DomainError("invalid", "domain is required.");
    const domain = requireDomain(input);
    if (domain === this.#o.policy.localDomain) {
      throw new DomainError("invalid", "This instance cannot have a rule on its own domain.");
    }
    return domain;
  }

  // ---------------------------------------------------------------- allows

  listAllows(): Promise<DomainAllow[]> {
    return this.#o.store.domains.rules.listAllows();
  }

  async getAllow(id: string): Promise<DomainAllow> {
    const a = await this.#o.store.domains.rules.getAllow(id);
    if (!a) throw new DomainError("not_found", "No such domain allow.");
    return a;
  }

  async createAllow(input: { domain: string; comment?: string }, actor: AuditActor): Promise<DomainAllow> {
    const domain = this.#domain(input.domain);
    const allows = await this.listAllows();
    const existing = allows.find((a) => a.domain === domain);
    if (existing) return existing;
    const allow: DomainAllow = {
      id: randomUUID(),
      domain,
      comment: input.comment === undefined ? "" : text(input.comment, "comment"),
      createdAt: this.#o.clock(),
    };
    await this.#writer.apply(
      [{ op: "create_allow", allow }],
      [this.#writer.auditEntry(actor, "allow.create", domain, null, allow, allow.comment, null)],
    );
    return allow;
  }

  async deleteAllow(id: string, actor: AuditActor): Promise<DomainAllow> {
    const before = await this.getAllow(id);
    await this.#writer.apply(
      [{ op: "delete_allow", id }],
      [this.#writer.auditEntry(actor, "allow.delete", before.domain, before, null, "", null)],
    );
    return before;
  }

  // ---------------------------------------------------------------- board rules

  listBoardRules(board?: string): Promise<BoardDomainRule[]> {
    return this.#o.store.domains.rules.listBoardRules(board);
  }

  async createBoardRule(
    board: string,
    input: { domain: string; severity?: "silence" | "suspend"; rejectMedia?: boolean; comment?: string },
    actor: AuditActor,
  ): Promise<BoardDomainRule> {
    if (!(await this.#o.store.boards.get(board)))
      throw new DomainError("not_found", `Board /${board}/ does not exist.`);
    const domain = this.#domain(input.domain);
    const severity = input.severity ?? "suspend";
    if (severity !== "silence" && severity !== "suspend") {
      throw new DomainError("invalid", "A board rule's severity is silence or suspend.");
    }
    const rule: BoardDomainRule = {
      id: randomUUID(),
      board,
      domain,
      severity,
      rejectMedia: input.rejectMedia === undefined ? false : bool(input.rejectMedia, "reject_media"),
      comment: input.comment === undefined ? "" : text(input.comment, "comment"),
      createdAt: this.#o.clock(),
    };
    await this.#writer.apply(
      [{ op: "create_board_rule", rule }],
      [this.#writer.auditEntry(actor, "board_rule.create", domain, null, rule, rule.comment, null)],
    );
    return rule;
  }

  async deleteBoardRule(board: string, id: string, actor: AuditActor): Promise<BoardDomainRule> {
    const rule = (await this.listBoardRules(board)).find((r) => r.id === id);
    if (!rule) throw new DomainError("not_found", "No such board rule.");
    await this.#writer.apply(
      [{ op: "delete_board_rule", id }],
      [this.#writer.auditEntry(actor, "board_rule.delete", rule.domain, rule, null, "", null)],
    );
    return rule;
  }
}
