import { randomUUID } from "node:crypto";
import type { DomainAllow } from "../../domain/defederation/rules.js";
import type { AuditActor } from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import { ruleDomain, text } from "./rule-input.js";
import type { DomainRuleWriter } from "./rule-writer.js";
import type { AllowInput, DefederationOptions } from "./types.js";

/** The domains this instance federates with under FEDERATION_MODE=allowlist, each change audited. */
export class DomainAllows {
  readonly #o: DefederationOptions;
  readonly #writer: DomainRuleWriter;

  constructor(o: DefederationOptions, writer: DomainRuleWriter) {
    this.#o = o;
    this.#writer = writer;
  }

  listAllows(): Promise<DomainAllow[]> {
    return this.#o.store.defederation.rules.listAllows();
  }

  async getAllow(id: string): Promise<DomainAllow> {
    const a = await this.#o.store.defederation.rules.getAllow(id);
    if (!a) throw new DomainError("not_found", "No such domain allow.");
    return a;
  }

  async createAllow(input: AllowInput, actor: AuditActor): Promise<DomainAllow> {
    const domain = ruleDomain(input.domain, this.#o.policy.localDomain);
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
}
