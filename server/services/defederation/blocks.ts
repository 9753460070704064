import { randomUUID } from "node:crypto";
import { type DomainBlock, domainSuffixes } from "../../domain/defederation/rules.js";
import type { AuditActor } from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import { evidence, expiredAt, ruleDomain, stricterThan, text } from "./rule-input.js";
import type { DomainRuleWriter } from "./rule-writer.js";
import type { BlockInput, BlockPatch, DefederationOptions } from "./types.js";

/**
 * The instance's domain blocks, each change audited. The rules every surface (admin API, staff
 * pages, command line) shares live here, defaults included: a new block suspends unless told
 * otherwise, and one on a subdomain must limit more than its parent's.
 */
export class DomainBlocks {
  readonly #o: DefederationOptions;
  readonly #writer: DomainRuleWriter;

  constructor(o: DefederationOptions, writer: DomainRuleWriter) {
    this.#o = o;
    this.#writer = writer;
  }

  listBlocks(): Promise<DomainBlock[]> {
    return this.#o.store.defederation.rules.listBlocks();
  }

  async getBlock(id: string): Promise<DomainBlock> {
    const b = await this.#o.store.defederation.rules.getBlock(id);
    if (!b) throw new DomainError("not_found", "No such domain block.");
    return b;
  }

  async createBlock(input: BlockInput, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    const domain = ruleDomain(input.domain, this.#o.policy.localDomain);
    const existing = await this.#o.store.defederation.rules.getBlockByDomain(domain);
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
    await this.#checkParent(block);
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

  /**
   * Mastodon's rule for a block on a subdomain: the most specific live block on a parent domain
   * already covers it, so a new one is refused unless it limits more (see `stricterThan`).
   */
  async #checkParent(block: DomainBlock): Promise<void> {
    const now = this.#o.clock();
    for (const parent of domainSuffixes(block.domain).slice(1)) {
      const rule = await this.#o.store.defederation.rules.getBlockByDomain(parent);
      if (!rule || expiredAt(rule, now)) continue;
      if (stricterThan(block, rule)) return;
      throw new DomainError(
        "conflict",
        `${rule.domain}, which covers ${block.domain}, already has a rule at least as strict; ` +
          "a rule on a subdomain must limit more than its parent's. Edit that rule instead.",
        { existing_domain_block_id: rule.id },
      );
    }
  }

  #validBlock(base: DomainBlock, input: BlockPatch): DomainBlock {
    const out = { ...base };
    if (input.severity !== undefined) out.severity = input.severity;
    if (input.rejectMedia !== undefined) out.rejectMedia = input.rejectMedia;
    if (input.rejectReports !== undefined) out.rejectReports = input.rejectReports;
    if (input.obfuscate !== undefined) out.obfuscate = input.obfuscate;
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
}
