import { parseMastodonCsv, toMastodonCsv } from "../../domain/defederation/blocklist-csv.js";
import { diffRules } from "../../domain/defederation/blocklist-diff.js";
import { publicDomainBlocks } from "../../domain/defederation/public-list.js";
import type { DomainBlock } from "../../domain/defederation/rules.js";
import type { AuditActor, AuditEntry, BlocklistEntry, RuleChange } from "../../domain/defederation-ports.js";
import { CSV_IMPORT_REASON } from "../../domain/severance.js";
import { blockFrom, expiredAt, updatedFrom } from "./rule-input.js";
import type { DomainRuleWriter } from "./rule-writer.js";
import type { DefederationOptions, ImportPreview, ImportResult, Progress } from "./types.js";

/** The domain blocks as lists: Mastodon's CSV out and in (with a preview), and the public list. */
export class DomainRuleLists {
  readonly #o: DefederationOptions;
  readonly #writer: DomainRuleWriter;

  constructor(o: DefederationOptions, writer: DomainRuleWriter) {
    this.#o = o;
    this.#writer = writer;
  }

  exportCsv(): Promise<string> {
    return this.#o.store.defederation.rules
      .listBlocks()
      .then((blocks) => toMastodonCsv(blocks.filter((b) => !expiredAt(b, this.#o.clock()))));
  }

  /** The public list (`/api/v1/instance/domain_blocks`, `/about/moderation`). */
  async publicBlocks(): Promise<ReturnType<typeof publicDomainBlocks>> {
    return publicDomainBlocks(await this.#o.store.defederation.rules.listBlocks(), this.#o.clock());
  }

  /** What importing a Mastodon CSV would change, without changing anything. */
  async previewImport(csv: string): Promise<ImportPreview> {
    const parsed = parseMastodonCsv(csv);
    const wanted = new Map<string, BlocklistEntry>();
    for (const e of parsed.entries) {
      if (e.domain === this.#o.policy.localDomain) {
        parsed.errors.push({ line: 0, message: `${e.domain} is this instance's own domain` });
        continue;
      }
      wanted.set(e.domain, e);
    }
    const diff = diffRules(await this.#o.store.defederation.rules.listBlocks(), wanted, {
      mode: "import",
      now: this.#o.clock(),
    });
    const severs = await this.#writer.severs([...diff.create, ...diff.update.map((u) => u.after)]);
    return {
      create: diff.create,
      update: diff.update,
      skippedCovered: diff.skippedCovered,
      unchanged: diff.unchanged,
      errors: parsed.errors,
      severs,
    };
  }

  /** Imports a Mastodon CSV: creates missing rules and updates changed ones, never removes. */
  async importCsv(csv: string, actor: AuditActor, progress?: Progress): Promise<ImportResult> {
    progress?.("parse", 0, 1);
    const preview = await this.previewImport(csv);
    const now = this.#o.clock();
    const changes: RuleChange[] = [];
    const audit: AuditEntry[] = [];
    for (const e of preview.create) {
      const block = blockFrom(e, "manual", now);
      changes.push({ op: "create_block", block });
      audit.push(this.#writer.auditEntry(actor, "block.create", e.domain, null, block, CSV_IMPORT_REASON, null));
    }
    for (const { before, after } of preview.update) {
      const block: DomainBlock = { ...updatedFrom(before, after, now), origin: "manual", stagedSeverity: null };
      changes.push({ op: "update_block", block });
      audit.push(this.#writer.auditEntry(actor, "block.update", before.domain, before, block, CSV_IMPORT_REASON, null));
    }
    progress?.("apply", 0, changes.length);
    await this.#writer.apply(changes, audit);
    progress?.("apply", changes.length, changes.length);
    return { ...preview, applied: changes.length };
  }
}
