import type { PublicDomainBlock } from "../../domain/defederation/public-list.js";
import {
  type BoardDomainRule,
  type DomainAllow,
  type DomainBlock,
  normalizeDomain,
} from "../../domain/defederation/rules.js";
import type {
  AuditActor,
  AuditEntry,
  BlocklistSubscription,
  ConsensusSettings,
} from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import type { SeveranceEvent, SeveredRelationship } from "../../domain/severance.js";
import { DomainAllows } from "./allows.js";
import { DefederationAudit } from "./audit.js";
import { DomainBlocks } from "./blocks.js";
import { BoardRules } from "./board-rules.js";
import { DomainRuleLists } from "./lists.js";
import { DomainRuleWriter, followsCovered } from "./rule-writer.js";
import type { DomainPolicy } from "./rules-in-force.js";
import { recordSeverance } from "./severance-records.js";
import { BlocklistSubscriptions } from "./subscriptions.js";
import type {
  AllowInput,
  BlockInput,
  BlockPatch,
  BoardRuleInput,
  DefederationOptions,
  ImportPreview,
  ImportResult,
  Progress,
  SubscriptionInput,
  SubscriptionPatch,
  SyncResult,
} from "./types.js";

/**
 * Instance-level defederation: domain blocks and allows, board rules, CSV import and export,
 * blocklist subscriptions with consensus, the audit log, expiry, staging and purges. Every change
 * goes to the store with its audit entries in one transaction, then the compiled rules are swapped
 * in `DomainPolicy` whole, and the effects on held data (follows, media, posts) follow
 * (./rule-writer.ts). This class runs the periodic work and answers for the parts, which share its
 * options and its writer: blocks (./blocks.ts), allows (./allows.ts), board rules
 * (./board-rules.ts), the rules as lists (./lists.ts), the subscriptions and consensus
 * (./subscriptions.ts) and the audit log (./audit.ts).
 */
export class DefederationService {
  readonly #o: DefederationOptions;
  readonly #writer: DomainRuleWriter;
  readonly #blocks: DomainBlocks;
  readonly #allows: DomainAllows;
  readonly #boardRules: BoardRules;
  readonly #audit: DefederationAudit;
  readonly #lists: DomainRuleLists;
  readonly #subscriptions: BlocklistSubscriptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #ticking: Promise<void> | null = null;

  constructor(o: DefederationOptions) {
    this.#o = o;
    this.#writer = new DomainRuleWriter(o);
    this.#blocks = new DomainBlocks(o, this.#writer);
    this.#allows = new DomainAllows(o, this.#writer);
    this.#boardRules = new BoardRules(o, this.#writer);
    this.#audit = new DefederationAudit(o);
    this.#lists = new DomainRuleLists(o, this.#writer);
    this.#subscriptions = new BlocklistSubscriptions(o, this.#writer);
  }

  get policy(): DomainPolicy {
    return this.#o.policy;
  }

  /** Loads the rules from the store and puts them in force. */
  load(domains: readonly string[] = []): Promise<void> {
    return this.#writer.load(domains);
  }

  /** Loads the rules and starts the periodic work (reload, expiry, staging, purges, syncs). */
  async start(opts: { syncs?: boolean } = {}): Promise<void> {
    await this.load();
    this.stop();
    await this.reconcile().catch((err: unknown) =>
      this.#o.logger.error("domain moderation: could not apply the rules to held data", { err }),
    );
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => {
        fn().catch((err: unknown) => this.#o.logger.error("domain moderation: periodic work failed", { err }));
      }, ms);
      t.unref();
      this.#timers.add(t);
    };
    every(this.#o.reloadIntervalMs ?? 5000, () => this.tick());
    // Only one kind of process fetches lists (not ATOLL_ROLE=web), so a split deployment syncs once.
    if (opts.syncs !== false) every(Math.min(this.#o.syncIntervalMs, 3_600_000), () => this.syncDue());
  }

  /**
   * Applies the rules in force to everything held, not only to what a change names: at start, the
   * rules may differ from those the data was last reconciled with (FEDERATION_MODE switched to
   * allowlist, rules written by another process while this one was down). Severs follows, drops
   * media, and schedules a purge for every held domain now suspended that has none.
   */
  async reconcile(): Promise<void> {
    const { effects } = this.#o;
    if (!effects) return;
    const { policy, store, clock, purgeGraceMs } = this.#o;
    await effects.severFollows(
      (d) => policy.check(d).suspended,
      (follows) => recordSeverance(this.#o, follows, []).then(() => undefined),
    );
    await effects.dropMedia((d) => policy.check(d).rejectMedia);
    const scheduled = new Set(await store.defederation.purges.due(Number.MAX_SAFE_INTEGER));
    const now = clock();
    for (const domain of await effects.remoteDomains()) {
      if (policy.check(domain).suspended && !scheduled.has(domain)) {
        await store.defederation.purges.schedule(domain, now + purgeGraceMs);
      }
    }
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.clear();
  }

  /**
   * The periodic work, one run at a time: picks up rule changes made by another process, removes
   * rules that expired, promotes staged rules whose domain has no follows left, and purges the
   * data of domains suspended longer than the grace period.
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = null;
    });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const { store, clock, logger } = this.#o;
    if ((await store.defederation.rules.version()) !== this.#writer.version) await this.load();
    const now = clock();
    const blocks = await store.defederation.rules.listBlocks();
    const system: AuditActor = { kind: "system", id: "" };
    const expired = blocks.filter((b) => b.expiresAt !== null && b.expiresAt <= now);
    if (expired.length > 0) {
      await this.#writer.apply(
        expired.map((b) => ({ op: "delete_block", id: b.id })),
        expired.map((b) => this.#writer.auditEntry(system, "block.delete", b.domain, b, null, "expired", null)),
      );
      logger.info("domain rules expired", { domains: expired.map((b) => b.domain) });
    }
    const staged = blocks.filter((b) => b.stagedSeverity !== null && !expired.includes(b));
    if (staged.length > 0) {
      const counts = await this.#writer.followCounts();
      for (const b of staged) {
        if (followsCovered(counts, b.domain) > 0) continue;
        await this.#blocks.promote(b, system, "no local follows left");
      }
    }
    for (const domain of await store.defederation.purges.due(now)) {
      // A rule lifted since the purge was scheduled cancels it; check again to be sure.
      if (!this.#o.policy.check(domain).suspended) {
        await store.defederation.purges.done(domain);
        continue;
      }
      const n = (await this.#o.effects?.purgePosts(domain)) ?? 0;
      await store.defederation.purges.done(domain);
      logger.info("purged a suspended domain's posts", { domain, posts: n });
    }
  }

  // ---------------------------------------------------------------- blocks, allows, board rules

  listBlocks(): Promise<DomainBlock[]> {
    return this.#blocks.listBlocks();
  }

  getBlock(id: string): Promise<DomainBlock> {
    return this.#blocks.getBlock(id);
  }

  createBlock(input: BlockInput, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    return this.#blocks.createBlock(input, actor, reason);
  }

  updateBlock(id: string, patch: BlockPatch, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    return this.#blocks.updateBlock(id, patch, actor, reason);
  }

  deleteBlock(id: string, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    return this.#blocks.deleteBlock(id, actor, reason);
  }

  /** Raises a staged rule to its staged severity. */
  confirmStaged(id: string, actor: AuditActor): Promise<DomainBlock> {
    return this.#blocks.confirmStaged(id, actor);
  }

  listAllows(): Promise<DomainAllow[]> {
    return this.#allows.listAllows();
  }

  getAllow(id: string): Promise<DomainAllow> {
    return this.#allows.getAllow(id);
  }

  createAllow(input: AllowInput, actor: AuditActor): Promise<DomainAllow> {
    return this.#allows.createAllow(input, actor);
  }

  deleteAllow(id: string, actor: AuditActor): Promise<DomainAllow> {
    return this.#allows.deleteAllow(id, actor);
  }

  listBoardRules(board?: string): Promise<BoardDomainRule[]> {
    return this.#boardRules.listBoardRules(board);
  }

  createBoardRule(board: string, input: BoardRuleInput, actor: AuditActor): Promise<BoardDomainRule> {
    return this.#boardRules.createBoardRule(board, input, actor);
  }

  deleteBoardRule(board: string, id: string, actor: AuditActor): Promise<BoardDomainRule> {
    return this.#boardRules.deleteBoardRule(board, id, actor);
  }

  // ---------------------------------------------------------------- CSV and the public list

  exportCsv(): Promise<string> {
    return this.#lists.exportCsv();
  }

  /** The public list (`/api/v1/instance/domain_blocks`, `/about/moderation`). */
  publicBlocks(): Promise<PublicDomainBlock[]> {
    return this.#lists.publicBlocks();
  }

  /** What importing a Mastodon CSV would change, without changing anything. */
  previewImport(csv: string): Promise<ImportPreview> {
    return this.#lists.previewImport(csv);
  }

  /** Imports a Mastodon CSV: creates missing rules and updates changed ones, never removes. */
  importCsv(csv: string, actor: AuditActor, progress?: Progress): Promise<ImportResult> {
    return this.#lists.importCsv(csv, actor, progress);
  }

  // ---------------------------------------------------------------- audit

  audit(query: { limit?: number; before?: string; domain?: string } = {}): Promise<AuditEntry[]> {
    return this.#audit.page(query);
  }

  /** The whole audit log, oldest first, for export. */
  auditExport(): Promise<AuditEntry[]> {
    return this.#audit.export();
  }

  // ---------------------------------------------------------------- severed relationships

  /** What suspensions severed, newest first (server/domain/severance.ts). */
  severances(query: { limit: number; before?: string; domain?: string }): Promise<SeveranceEvent[]> {
    if (query.domain === undefined) return this.#o.store.defederation.severances.list(query);
    const domain = normalizeDomain(query.domain);
    if (domain === null) throw new DomainError("invalid", "domain is not a domain name.");
    return this.#o.store.defederation.severances.list({ ...query, domain });
  }

  /** One severance event with the relationships it cut. */
  async severance(id: string): Promise<{ event: SeveranceEvent; relationships: SeveredRelationship[] }> {
    const { severances } = this.#o.store.defederation;
    const event = await severances.get(id);
    if (!event) throw new DomainError("not_found", "Record not found");
    return { event, relationships: await severances.relationships(id) };
  }

  /** Follows lost per rule domain, for the public moderation page (counts only, never names). */
  followsLost(): Promise<Array<{ domain: string; follows: number }>> {
    return this.#o.store.defederation.severances.lostByDomain();
  }

  // ---------------------------------------------------------------- subscriptions

  listSubscriptions(): Promise<BlocklistSubscription[]> {
    return this.#subscriptions.list();
  }

  getSubscription(id: string): Promise<BlocklistSubscription> {
    return this.#subscriptions.get(id);
  }

  addSubscription(input: SubscriptionInput, actor: AuditActor): Promise<BlocklistSubscription> {
    return this.#subscriptions.add(input, actor);
  }

  updateSubscription(id: string, patch: SubscriptionPatch, actor: AuditActor): Promise<BlocklistSubscription> {
    return this.#subscriptions.update(id, patch, actor);
  }

  /** Removes a subscription; the rules only it carried are retracted. */
  removeSubscription(id: string, actor: AuditActor): Promise<SyncResult> {
    return this.#subscriptions.remove(id, actor);
  }

  consensus(): Promise<ConsensusSettings> {
    return this.#subscriptions.consensus();
  }

  setConsensus(settings: Partial<ConsensusSettings>, actor: AuditActor): Promise<ConsensusSettings> {
    return this.#subscriptions.setConsensus(settings, actor);
  }

  /** Syncs every subscription whose last sync is older than the interval. */
  syncDue(): Promise<SyncResult[]> {
    return this.#subscriptions.syncDue();
  }

  /** Fetches one subscription's list and brings the rules in line (see BlocklistSubscriptions.sync). */
  sync(id: string, actor: AuditActor, progress?: Progress): Promise<SyncResult> {
    return this.#subscriptions.sync(id, actor, progress);
  }

  /** Applies what a draft subscription's last sync would change. */
  applyDraft(id: string, actor: AuditActor): Promise<SyncResult> {
    return this.#subscriptions.applyDraft(id, actor);
  }
}
