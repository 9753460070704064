import { randomUUID } from "node:crypto";
import { domainSuffixes } from "../../domain/defederation/rules.js";
import type {
  AuditAction,
  AuditActor,
  AuditEntry,
  BlocklistEntry,
  RuleChange,
} from "../../domain/defederation-ports.js";
import { MAX_COMMENT } from "./rule-input.js";
import type { DomainPolicy } from "./rules-in-force.js";
import { recordSeverance } from "./severance-records.js";
import type { DefederationOptions } from "./types.js";

/** Follows with the domain or any of its subdomains. */
export function followsCovered(counts: Map<string, number>, domain: string): number {
  let n = 0;
  for (const [d, c] of counts) if (domainSuffixes(d).includes(domain)) n += c;
  return n;
}

/**
 * How every change of the domain rules is made: stored with its audit entries in one transaction,
 * then the compiled rules are swapped in `DomainPolicy` whole, and the effects on held data
 * (follows, media, purges) follow. One per DomainModerationService, which shares its options.
 */
export class DomainRuleWriter {
  readonly #o: DefederationOptions;
  #version = -1;

  constructor(o: DefederationOptions) {
    this.#o = o;
  }

  /** The version of the rules in force; -1 once a write was stored without reloading them. */
  get version(): number {
    return this.#version;
  }

  /** Loads the rules from the store and puts them in force. */
  async load(domains: readonly string[] = []): Promise<void> {
    const { rules } = this.#o.store.defederation;
    const version = await rules.version();
    const [blocks, allows, boardRules] = await Promise.all([
      rules.listBlocks(),
      rules.listAllows(),
      rules.listBoardRules(),
    ]);
    this.#version = version;
    this.#o.policy.replace(this.#o.policy.compile({ blocks, allows, boardRules }), domains);
  }

  auditEntry(
    actor: AuditActor,
    action: AuditAction,
    domain: string,
    before: object | null,
    after: object | null,
    reason: string,
    subscriptionId: string | null,
  ): AuditEntry {
    return {
      id: randomUUID(),
      at: this.#o.clock(),
      actor,
      action,
      domain,
      before: before === null ? null : { ...before },
      after: after === null ? null : { ...after },
      reason: reason.slice(0, MAX_COMMENT),
      subscriptionId,
    };
  }

  /**
   * Stores the changes with their audit entries (one transaction), puts the new rules in force and
   * carries out their effects. `deferEffects` skips reloading between batches of one sync.
   */
  async apply(changes: RuleChange[], audit: AuditEntry[], deferEffects = false): Promise<void> {
    const { store } = this.#o;
    const before = this.#o.policy.index;
    await store.defederation.rules.apply(changes, audit);
    if (changes.length === 0 || deferEffects) {
      if (changes.length > 0) this.#version = -1;
      return;
    }
    const domains = new Set<string>();
    for (const a of audit) if (a.domain) domains.add(a.domain);
    await this.load([...domains]);
    await this.#effects(before, [...domains], audit);
  }

  /** Severs follows, drops media and schedules or cancels purges for the domains whose rules changed. */
  async #effects(
    before: ReturnType<DomainPolicy["compile"]>,
    domains: string[],
    audit: readonly AuditEntry[],
  ): Promise<void> {
    const { policy, clock, logger, store, purgeGraceMs } = this.#o;
    const now = clock();
    for (const domain of domains) {
      const was = before.check(domain, now);
      const is = policy.check(domain);
      if (is.suspended && !was.suspended) await store.defederation.purges.schedule(domain, now + purgeGraceMs);
      if (!is.suspended && was.suspended) await store.defederation.purges.cancel(domain);
    }
    const effects = this.#o.effects;
    if (!effects) return;
    try {
      const severed = await effects.severFollows(
        (d) => policy.check(d).suspended,
        (follows) => recordSeverance(this.#o, follows, audit).then(() => undefined),
      );
      const dropped = await effects.dropMedia((d) => policy.check(d).rejectMedia);
      if (severed > 0 || dropped > 0) logger.info("domain rules applied to held data", { severed, dropped });
    } catch (err) {
      logger.error("could not apply domain rules to held data", { err });
    }
  }

  async followCounts(): Promise<Map<string, number>> {
    return (await this.#o.effects?.followCounts()) ?? new Map();
  }

  /** Local follows that suspending the entries would sever, per domain. */
  async severs(entries: BlocklistEntry[]): Promise<Array<{ domain: string; follows: number }>> {
    const counts = await this.followCounts();
    if (counts.size === 0) return [];
    const out: Array<{ domain: string; follows: number }> = [];
    for (const e of entries) {
      if (e.severity !== "suspend") continue;
      const n = followsCovered(counts, e.domain);
      if (n > 0) out.push({ domain: e.domain, follows: n });
    }
    return out;
  }
}
