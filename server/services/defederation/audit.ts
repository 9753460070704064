import { normalizeDomain } from "../../domain/defederation/rules.js";
import type { AuditEntry } from "../../domain/defederation-ports.js";
import type { DefederationOptions } from "./types.js";

/** The audit log of every rule change, newest first, by page or whole for export. */
export class DefederationAudit {
  readonly #o: DefederationOptions;

  constructor(o: DefederationOptions) {
    this.#o = o;
  }

  page(query: { limit?: number; before?: string; domain?: string } = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), 1000);
    const domain = query.domain === undefined ? undefined : (normalizeDomain(query.domain) ?? query.domain);
    return this.#o.store.defederation.rules.audit({
      limit,
      ...(query.before !== undefined ? { before: query.before } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
  }

  /** The whole audit log, oldest first, for export. */
  async export(): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await this.#o.store.defederation.rules.audit({ limit: 1000, ...(before ? { before } : {}) });
      out.push(...page);
      if (page.length < 1000) break;
      before = page.at(-1)!.id;
    }
    return out.reverse();
  }
}
