import { randomUUID } from "node:crypto";
import { mergeConsensus } from "../domain/blocklist-consensus.js";
import { parseMastodonCsv, toMastodonCsv } from "../domain/blocklist-csv.js";
import { diffRules } from "../domain/blocklist-diff.js";
import { parseBlocklist } from "../domain/blocklist-formats.js";
import {
  type BoardDomainRule,
  type DomainAllow,
  type DomainBlock,
  domainSuffixes,
  isSeverity,
  normalizeDomain,
  requireDomain,
  type Severity,
} from "../domain/domain-policy.js";
import {
  type AuditAction,
  type AuditActor,
  type AuditEntry,
  BLOCKLIST_FORMATS,
  type BlocklistEntry,
  type BlocklistFormat,
  type BlocklistSubscription,
  type ConsensusSettings,
  type RuleChange,
} from "../domain/domain-ports.js";
import { DomainError } from "../domain/errors.js";
import type { Store } from "../domain/ports.js";
import { publicDomainBlocks } from "../domain/public-domain-blocks.js";
import type { Clock } from "./clock.js";
import type { DomainPolicy } from "./domain-policy.js";
import type { Logger } from "./logger.js";

/** Fetches a subscribed blocklist; the federation implements it with the one guarded client. */
export interface BlocklistFetcher {
  fetch(url: string): Promise<{ text: string; contentType: string | null }>;
}

/** What a change of the rules does to data the instance holds; the composition root wires it. */
export interface DomainEffects {
  /** Severs follows both ways with the domains (and their subdomains) now suspended; returns how many. */
  severFollows(isSuspended: (domain: string) => boolean): Promise<number>;
  /** How many follows (both directions) each remote domain has, for previews and staging. */
  followCounts(): Promise<Map<string, number>>;
  /** Deletes the cached media of posts from domains now rejecting media or suspended; returns how many files. */
  dropMedia(rejects: (domain: string) => boolean): Promise<number>;
  /** Deletes the posts of a purged domain (and its subdomains); returns how many. */
  purgePosts(domain: string): Promise<number>;
  /** Every remote domain the instance holds posts or follows of. */
  remoteDomains(): Promise<string[]>;
}

export interface DomainModerationOptions {
  store: Store;
  policy: DomainPolicy;
  clock: Clock;
  logger: Logger;
  purgeGraceMs: number;
  syncIntervalMs: number;
  /** How often another process's rule changes are picked up. Default 5 s. */
  reloadIntervalMs?: number;
  fetcher?: BlocklistFetcher | null;
  effects?: DomainEffects | null;
  allowPrivateAddresses?: boolean;
}

export interface BlockInput {
  domain: string;
  severity?: Severity;
  rejectMedia?: boolean;
  rejectReports?: boolean;
  privateComment?: string;
  publicComment?: string;
  obfuscate?: boolean;
  expiresAt?: number | null;
  evidenceUrl?: string | null;
}

export type BlockPatch = Partial<Omit<BlockInput, "domain">>;

export interface ImportPreview {
  create: BlocklistEntry[];
  update: Array<{ before: DomainBlock; after: BlocklistEntry }>;
  skippedCovered: string[];
  unchanged: number;
  errors: Array<{ line: number; message: string }>;
  /** Local follows the import would sever, per domain. */
  severs: Array<{ domain: string; follows: number }>;
}

export interface ImportResult extends ImportPreview {
  applied: number;
}

export interface SyncResult {
  subscriptionId: string | null;
  created: number;
  updated: number;
  removed: number;
  staged: number;
  draft: boolean;
  errors: number;
  domains: { created: string[]; updated: string[]; removed: string[] };
}

export type Progress = (step: string, done: number, total: number) => void;

export interface SubscriptionInput {
  url: string;
  format?: BlocklistFormat;
  priority?: number;
  excludes?: string[];
  draft?: boolean;
}

const MAX_COMMENT = 1000;
const MAX_URL = 2048;
const BATCH = 2000;

/**
 * Instance-level defederation: domain blocks and allows, board rules, CSV import and export,
 * blocklist subscriptions with consensus, the audit log, expiry, staging and purges. Every change
 * goes to the store with its audit entries in one transaction, then the compiled rules are swapped
 * in `DomainPolicy` whole, and the effects on held data (follows, media, posts) follow.
 */
export class DomainModerationService {
  readonly #o: DomainModerationOptions;
  #version = -1;
  readonly #timers = new Set<NodeJS.Timeout>();
  #ticking: Promise<void> | null = null;
  #syncing = new Map<string, Promise<SyncResult>>();

  constructor(o: DomainModerationOptions) {
    this.#o = o;
  }

  get policy(): DomainPolicy {
    return this.#o.policy;
  }

  /** Hooks the federation provides once it is built (fetching lists, severing follows). */
  connect(parts: { fetcher?: BlocklistFetcher | null; effects?: DomainEffects | null }): void {
    if (parts.fetcher !== undefined) this.#o.fetcher = parts.fetcher;
    if (parts.effects !== undefined) this.#o.effects = parts.effects;
  }

  /** Loads the rules from the store and puts them in force. */
  async load(domains: readonly string[] = []): Promise<void> {
    const { rules } = this.#o.store.domains;
    const version = await rules.version();
    const [blocks, allows, boardRules] = await Promise.all([
      rules.listBlocks(),
      rules.listAllows(),
      rules.listBoardRules(),
    ]);
    this.#version = version;
    this.#o.policy.replace(this.#o.policy.compile({ blocks, allows, boardRules }), domains);
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
    await effects.severFollows((d) => policy.check(d).suspended);
    await effects.dropMedia((d) => policy.check(d).rejectMedia);
    const scheduled = new Set(await store.domains.purges.due(Number.MAX_SAFE_INTEGER));
    const now = clock();
    for (const domain of await effects.remoteDomains()) {
      if (policy.check(domain).suspended && !scheduled.has(domain)) {
        await store.domains.purges.schedule(domain, now + purgeGraceMs);
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
    if ((await store.domains.rules.version()) !== this.#version) await this.load();
    const now = clock();
    const blocks = await store.domains.rules.listBlocks();
    const system: AuditActor = { kind: "system", id: "" };
    const expired = blocks.filter((b) => b.expiresAt !== null && b.expiresAt <= now);
    if (expired.length > 0) {
      await this.#apply(
        expired.map((b) => ({ op: "delete_block", id: b.id })),
        expired.map((b) => this.#audit(system, "block.delete", b.domain, b, null, "expired", null)),
      );
      logger.info("domain rules expired", { domains: expired.map((b) => b.domain) });
    }
    const staged = blocks.filter((b) => b.stagedSeverity !== null && !expired.includes(b));
    if (staged.length > 0) {
      const counts = await this.#followCounts();
      for (const b of staged) {
        if (this.#followsCovered(counts, b.domain) > 0) continue;
        await this.#promote(b, system, "no local follows left");
      }
    }
    for (const domain of await store.domains.purges.due(now)) {
      // A rule lifted since the purge was scheduled cancels it; check again to be sure.
      if (!this.#o.policy.check(domain).suspended) {
        await store.domains.purges.done(domain);
        continue;
      }
      const n = (await this.#o.effects?.purgePosts(domain)) ?? 0;
      await store.domains.purges.done(domain);
      logger.info("purged a suspended domain's posts", { domain, posts: n });
    }
  }

  // ---------------------------------------------------------------- blocks

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
    await this.#apply(
      [{ op: "create_block", block }],
      [this.#audit(actor, "block.create", domain, null, block, reason || block.privateComment, null)],
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
    await this.#apply(
      [{ op: "update_block", block: after }],
      [this.#audit(actor, "block.update", before.domain, before, after, reason, null)],
    );
    return after;
  }

  async deleteBlock(id: string, actor: AuditActor, reason = ""): Promise<DomainBlock> {
    const before = await this.getBlock(id);
    await this.#apply(
      [{ op: "delete_block", id }],
      [this.#audit(actor, "block.delete", before.domain, before, null, reason, null)],
    );
    return before;
  }

  /** Raises a staged rule to its staged severity. */
  async confirmStaged(id: string, actor: AuditActor): Promise<DomainBlock> {
    const b = await this.getBlock(id);
    if (b.stagedSeverity === null) throw new DomainError("invalid", `${b.domain} has no staged severity.`);
    return this.#promote(b, actor, "confirmed");
  }

  async #promote(b: DomainBlock, actor: AuditActor, reason: string): Promise<DomainBlock> {
    const after: DomainBlock = {
      ...b,
      severity: b.stagedSeverity ?? b.severity,
      stagedSeverity: null,
      updatedAt: this.#o.clock(),
    };
    await this.#apply(
      [{ op: "update_block", block: after }],
      [this.#audit(actor, "block.update", b.domain, b, after, `staged rule raised: ${reason}`, null)],
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
    await this.#apply(
      [{ op: "create_allow", allow }],
      [this.#audit(actor, "allow.create", domain, null, allow, allow.comment, null)],
    );
    return allow;
  }

  async deleteAllow(id: string, actor: AuditActor): Promise<DomainAllow> {
    const before = await this.getAllow(id);
    await this.#apply(
      [{ op: "delete_allow", id }],
      [this.#audit(actor, "allow.delete", before.domain, before, null, "", null)],
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
    await this.#apply(
      [{ op: "create_board_rule", rule }],
      [this.#audit(actor, "board_rule.create", domain, null, rule, rule.comment, null)],
    );
    return rule;
  }

  async deleteBoardRule(board: string, id: string, actor: AuditActor): Promise<BoardDomainRule> {
    const rule = (await this.listBoardRules(board)).find((r) => r.id === id);
    if (!rule) throw new DomainError("not_found", "No such board rule.");
    await this.#apply(
      [{ op: "delete_board_rule", id }],
      [this.#audit(actor, "board_rule.delete", rule.domain, rule, null, "", null)],
    );
    return rule;
  }

  // ---------------------------------------------------------------- CSV

  exportCsv(): Promise<string> {
    return this.listBlocks().then((blocks) => toMastodonCsv(blocks.filter((b) => !expiredAt(b, this.#o.clock()))));
  }

  /** The public list (`/api/v1/instance/domain_blocks`, `/about/moderation`). */
  async publicBlocks(): Promise<ReturnType<typeof publicDomainBlocks>> {
    return publicDomainBlocks(await this.listBlocks(), this.#o.clock());
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
    const diff = diffRules(await this.listBlocks(), wanted, { mode: "import", now: this.#o.clock() });
    const severs = await this.#severs([...diff.create, ...diff.update.map((u) => u.after)]);
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
      audit.push(this.#audit(actor, "block.create", e.domain, null, block, "CSV import", null));
    }
    for (const { before, after } of preview.update) {
      const block: DomainBlock = { ...updatedFrom(before, after, now), origin: "manual", stagedSeverity: null };
      changes.push({ op: "update_block", block });
      audit.push(this.#audit(actor, "block.update", before.domain, before, block, "CSV import", null));
    }
    progress?.("apply", 0, changes.length);
    await this.#apply(changes, audit);
    progress?.("apply", changes.length, changes.length);
    return { ...preview, applied: changes.length };
  }

  // ---------------------------------------------------------------- audit

  audit(query: { limit?: number; before?: string; domain?: string } = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), 1000);
    const domain = query.domain === undefined ? undefined : (normalizeDomain(query.domain) ?? query.domain);
    return this.#o.store.domains.rules.audit({
      limit,
      ...(query.before !== undefined ? { before: query.before } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
  }

  /** The whole audit log, oldest first, for export. */
  async auditExport(): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await this.#o.store.domains.rules.audit({ limit: 1000, ...(before ? { before } : {}) });
      out.push(...page);
      if (page.length < 1000) break;
      before = page.at(-1)!.id;
    }
    return out.reverse();
  }

  // ---------------------------------------------------------------- subscriptions

  listSubscriptions(): Promise<BlocklistSubscription[]> {
    return this.#o.store.domains.subscriptions.list();
  }

  async getSubscription(id: string): Promise<BlocklistSubscription> {
    const sub = await this.#o.store.domains.subscriptions.get(id);
    if (!sub) throw new DomainError("not_found", "No such subscription.");
    return sub;
  }

  async addSubscription(input: SubscriptionInput, actor: AuditActor): Promise<BlocklistSubscription> {
    const sub: BlocklistSubscription = {
      id: randomUUID(),
      url: this.#listUrl(input.url),
      format: format(input.format ?? "auto"),
      priority: priority(input.priority ?? 0),
      excludes: excludes(input.excludes ?? []),
      draft: input.draft === undefined ? false : bool(input.draft, "draft"),
      createdAt: this.#o.clock(),
      lastSyncAt: null,
      lastStatus: null,
      lastChange: null,
    };
    await this.#o.store.domains.subscriptions.create(sub);
    await this.#apply([], [this.#audit(actor, "subscription.create", "", null, { ...sub }, "", sub.id)]);
    return sub;
  }

  async updateSubscription(
    id: string,
    patch: Partial<Omit<SubscriptionInput, "url">>,
    actor: AuditActor,
  ): Promise<BlocklistSubscription> {
    const before = await this.getSubscription(id);
    const changes: Partial<BlocklistSubscription> = {};
    if (patch.format !== undefined) changes.format = format(patch.format);
    if (patch.priority !== undefined) changes.priority = priority(patch.priority);
    if (patch.excludes !== undefined) changes.excludes = excludes(patch.excludes);
    if (patch.draft !== undefined) changes.draft = bool(patch.draft, "draft");
    const after = await this.#o.store.domains.subscriptions.update(id, changes);
    if (!after) throw new DomainError("not_found", "No such subscription.");
    await this.#apply([], [this.#audit(actor, "subscription.update", "", { ...before }, { ...after }, "", id)]);
    return after;
  }

  /** Removes a subscription; the rules only it carried are retracted. */
  async removeSubscription(id: string, actor: AuditActor): Promise<SyncResult> {
    const before = await this.getSubscription(id);
    await this.#o.store.domains.subscriptions.delete(id);
    await this.#apply([], [this.#audit(actor, "subscription.delete", "", { ...before }, null, "", id)]);
    return this.#reconcile(null, actor, false);
  }

  async consensus(): Promise<ConsensusSettings> {
    return this.#o.store.domains.subscriptions.consensus();
  }

  async setConsensus(settings: Partial<ConsensusSettings>, actor: AuditActor): Promise<ConsensusSettings> {
    const current = await this.consensus();
    const next: ConsensusSettings = { ...current };
    if (settings.minSources !== undefined) {
      if (!Number.isInteger(settings.minSources) || settings.minSources < 1 || settings.minSources > 1000) {
        throw new DomainError("invalid", "min_sources must be a whole number from 1.");
      }
      next.minSources = settings.minSources;
    }
    if (settings.minShare !== undefined) {
      if (settings.minShare !== null && !(settings.minShare > 0 && settings.minShare <= 1)) {
        throw new DomainError("invalid", "min_share must be a fraction in (0, 1], or null.");
      }
      next.minShare = settings.minShare;
    }
    if (settings.merge !== undefined) {
      if (settings.merge !== "strictest" && settings.merge !== "mildest") {
        throw new DomainError("invalid", "merge must be strictest or mildest.");
      }
      next.merge = settings.merge;
    }
    if (settings.stageWhileFollowed !== undefined) {
      next.stageWhileFollowed = bool(settings.stageWhileFollowed, "stage_while_followed");
    }
    await this.#o.store.domains.subscriptions.setConsensus(next);
    await this.#apply(
      [],
      [this.#audit(actor, "subscription.update", "", { ...current }, { ...next }, "consensus", null)],
    );
    return this.#reconcile(null, actor, false).then(() => next);
  }

  /** Syncs every subscription whose last sync is older than the interval. */
  async syncDue(): Promise<SyncResult[]> {
    const now = this.#o.clock();
    const out: SyncResult[] = [];
    for (const sub of await this.listSubscriptions()) {
      if (sub.lastSyncAt !== null && sub.lastSyncAt + this.#o.syncIntervalMs > now) continue;
      try {
        out.push(await this.sync(sub.id, { kind: "subscription", id: sub.id }));
      } catch (err) {
        this.#o.logger.warn("blocklist sync failed", { subscription: sub.id, err });
      }
    }
    return out;
  }

  /**
   * Fetches one subscription's list, stores what it lists, and brings the rules in line with what all
   * subscriptions say together (consensus), unless the subscription is a draft: then only what would
   * change is recorded. One sync of a subscription runs at a time.
   */
  sync(id: string, actor: AuditActor, progress?: Progress): Promise<SyncResult> {
    const running = this.#syncing.get(id);
    if (running) return running;
    const p = this.#sync(id, actor, progress).finally(() => this.#syncing.delete(id));
    this.#syncing.set(id, p);
    return p;
  }

  async #sync(id: string, actor: AuditActor, progress?: Progress): Promise<SyncResult> {
    const sub = await this.getSubscription(id);
    const fetcher = this.#o.fetcher;
    if (!fetcher) throw new DomainError("busy", "Blocklist subscriptions need federation to be on.");
    const subs = this.#o.store.domains.subscriptions;
    progress?.("fetch", 0, 1);
    let parsed: { entries: BlocklistEntry[]; errors: Array<{ line: number; message: string }> };
    try {
      const { text, contentType } = await fetcher.fetch(sub.url);
      parsed = parseBlocklist(text, sub.format, contentType ?? undefined);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await subs.update(id, { lastSyncAt: this.#o.clock(), lastStatus: `error: ${message.slice(0, 300)}` });
      throw err instanceof DomainError ? err : new DomainError("invalid", `The list could not be read: ${message}`);
    }
    progress?.("fetch", 1, 1);
    const entries = parsed.entries.filter((e) => e.domain !== this.#o.policy.localDomain);
    await subs.replaceEntries(id, entries);
    const result = await this.#reconcile(sub, actor, sub.draft, progress);
    result.errors = parsed.errors.length;
    await subs.update(id, {
      lastSyncAt: this.#o.clock(),
      lastStatus: parsed.errors.length > 0 ? `ok (${parsed.errors.length} lines skipped)` : "ok",
      lastChange: summary(result),
    });
    return result;
  }

  /** Applies what a draft subscription's last sync would change. */
  async applyDraft(id: string, actor: AuditActor): Promise<SyncResult> {
    const sub = await this.getSubscription(id);
    const result = await this.#reconcile(sub, actor, false);
    await this.#o.store.domains.subscriptions.update(id, { lastChange: summary(result) });
    return result;
  }

  /**
   * Brings the subscription-made rules in line with the merged lists. A draft subscription's own
   * entries count only when it is the one being applied (`dryRun` false with `sub` set).
   */
  async #reconcile(
    sub: BlocklistSubscription | null,
    actor: AuditActor,
    dryRun: boolean,
    progress?: Progress,
  ): Promise<SyncResult> {
    const { subscriptions } = this.#o.store.domains;
    const [all, entries, settings, blocks] = await Promise.all([
      subscriptions.list(),
      subscriptions.entries(),
      subscriptions.consensus(),
      this.listBlocks(),
    ]);
    const sources = all
      .filter((s) => !s.draft || (sub !== null && s.id === sub.id))
      .map((s) => ({ id: s.id, priority: s.priority, excludes: s.excludes, entries: entries.get(s.id) ?? [] }));
    const merged = mergeConsensus(sources, settings);
    const wanted = new Map<string, BlocklistEntry>();
    const carriers = new Map<string, string[]>();
    for (const [domain, { entry, sources: by }] of merged) {
      if (domain === this.#o.policy.localDomain) continue;
      wanted.set(domain, entry);
      carriers.set(domain, by);
    }
    const diff = diffRules(blocks, wanted, { mode: "sync", origin: "subscription", now: this.#o.clock() });
    const result: SyncResult = {
      subscriptionId: sub?.id ?? null,
      created: diff.create.length,
      updated: diff.update.length,
      removed: diff.remove.length,
      staged: 0,
      draft: dryRun,
      errors: 0,
      domains: {
        created: diff.create.map((e) => e.domain),
        updated: diff.update.map((u) => u.before.domain),
        removed: diff.remove.map((b) => b.domain),
      },
    };
    if (dryRun) return result;
    const now = this.#o.clock();
    const counts = settings.stageWhileFollowed ? await this.#followCounts() : new Map<string, number>();
    const changes: RuleChange[] = [];
    const audit: AuditEntry[] = [];
    const from = (domain: string) => carriers.get(domain)?.[0] ?? sub?.id ?? null;
    const stage = (block: DomainBlock): DomainBlock => {
      if (!settings.stageWhileFollowed || block.severity !== "suspend") return block;
      if (this.#followsCovered(counts, block.domain) === 0) return block;
      result.staged++;
      return { ...block, severity: "silence", stagedSeverity: "suspend" };
    };
    for (const e of diff.create) {
      const block = stage(blockFrom(e, "subscription", now));
      changes.push({ op: "create_block", block });
      audit.push(this.#audit(actor, "block.create", e.domain, null, block, "subscription sync", from(e.domain)));
    }
    for (const { before, after } of diff.update) {
      const block = stage({ ...updatedFrom(before, after, now), stagedSeverity: null });
      changes.push({ op: "update_block", block });
      audit.push(
        this.#audit(actor, "block.update", before.domain, before, block, "subscription sync", from(before.domain)),
      );
    }
    for (const b of diff.remove) {
      changes.push({ op: "delete_block", id: b.id });
      audit.push(
        this.#audit(actor, "block.delete", b.domain, b, null, "retracted: no subscribed list carries it", null),
      );
    }
    for (let i = 0; i < changes.length; i += BATCH) {
      progress?.("apply", i, changes.length);
      await this.#apply(changes.slice(i, i + BATCH), audit.slice(i, i + BATCH), i + BATCH < changes.length);
    }
    if (changes.length > 0) progress?.("apply", changes.length, changes.length);
    if (sub) {
      audit.length = 0;
      await this.#apply([], [this.#audit(actor, "subscription.sync", "", null, summary(result), "", sub.id)]);
    }
    return result;
  }

  // ---------------------------------------------------------------- internals

  #audit(
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
  async #apply(changes: RuleChange[], audit: AuditEntry[], deferEffects = false): Promise<void> {
    const { store } = this.#o;
    const before = this.#o.policy.index;
    await store.domains.rules.apply(changes, audit);
    if (changes.length === 0 || deferEffects) {
      if (changes.length > 0) this.#version = -1;
      return;
    }
    const domains = new Set<string>();
    for (const a of audit) if (a.domain) domains.add(a.domain);
    await this.load([...domains]);
    await this.#effects(before, [...domains]);
  }

  /** Severs follows, drops media and schedules or cancels purges for the domains whose rules changed. */
  async #effects(before: ReturnType<DomainPolicy["compile"]>, domains: string[]): Promise<void> {
    const { policy, clock, logger, store, purgeGraceMs } = this.#o;
    const now = clock();
    for (const domain of domains) {
      const was = before.check(domain, now);
      const is = policy.check(domain);
      if (is.suspended && !was.suspended) await store.domains.purges.schedule(domain, now + purgeGraceMs);
      if (!is.suspended && was.suspended) await store.domains.purges.cancel(domain);
    }
    const effects = this.#o.effects;
    if (!effects) return;
    try {
      const severed = await effects.severFollows((d) => policy.check(d).suspended);
      const dropped = await effects.dropMedia((d) => policy.check(d).rejectMedia);
      if (severed > 0 || dropped > 0) logger.info("domain rules applied to held data", { severed, dropped });
    } catch (err) {
      logger.error("could not apply domain rules to held data", { err });
    }
  }

  async #followCounts(): Promise<Map<string, number>> {
    return (await this.#o.effects?.followCounts()) ?? new Map();
  }

  /** Follows with the domain or any of its subdomains. */
  #followsCovered(counts: Map<string, number>, domain: string): number {
    let n = 0;
    for (const [d, c] of counts) if (domainSuffixes(d).includes(domain)) n += c;
    return n;
  }

  async #severs(entries: BlocklistEntry[]): Promise<Array<{ domain: string; follows: number }>> {
    const counts = await this.#followCounts();
    if (counts.size === 0) return [];
    const out: Array<{ domain: string; follows: number }> = [];
    for (const e of entries) {
      if (e.severity !== "suspend") continue;
      const n = this.#followsCovered(counts, e.domain);
      if (n > 0) out.push({ domain: e.domain, follows: n });
    }
    return out;
  }

  #listUrl(input: unknown): string {
    if (typeof input !== "string" || input.length > MAX_URL) throw new DomainError("invalid", "url is required.");
    let u: URL;
    try {
      u = new URL(input);
    } catch {
      throw new DomainError("invalid", "url must be an absolute URL.");
    }
    const ok = u.protocol === "https:" || (this.#o.allowPrivateAddresses === true && u.protocol === "http:");
    if (!ok) throw new DomainError("invalid", "A blocklist URL must use https.");
    if (u.username !== "" || u.password !== "") throw new DomainError("invalid", "A blocklist URL has no credentials.");
    return u.toString();
  }
}

function expiredAt(b: DomainBlock, now: number): boolean {
  return b.expiresAt !== null && b.expiresAt <= now;
}

function blockFrom(e: BlocklistEntry, origin: DomainBlock["origin"], now: number): DomainBlock {
  return {
    id: randomUUID(),
    domain: e.domain,
    severity: e.severity,
    rejectMedia: e.rejectMedia,
    rejectReports: e.rejectReports,
    privateComment: "",
    publicComment: e.publicComment.slice(0, MAX_COMMENT),
    obfuscate: e.obfuscate,
    expiresAt: null,
    evidenceUrl: null,
    origin,
    stagedSeverity: null,
    createdAt: now,
    updatedAt: now,
  };
}

function updatedFrom(before: DomainBlock, e: BlocklistEntry, now: number): DomainBlock {
  return {
    ...before,
    severity: e.severity,
    rejectMedia: e.rejectMedia,
    rejectReports: e.rejectReports,
    publicComment: e.publicComment.slice(0, MAX_COMMENT),
    obfuscate: e.obfuscate,
    updatedAt: now,
  };
}

function summary(r: SyncResult): Record<string, unknown> {
  const cap = (a: string[]) => a.slice(0, 200);
  return {
    created: r.created,
    updated: r.updated,
    removed: r.removed,
    staged: r.staged,
    draft: r.draft,
    errors: r.errors,
    domains: { created: cap(r.domains.created), updated: cap(r.domains.updated), removed: cap(r.domains.removed) },
  };
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== "boolean") throw new DomainError("invalid", `${name} must be true or false.`);
  return v;
}

function text(v: unknown, name: string): string {
  if (typeof v !== "string") throw new DomainError("invalid", `${name} must be text.`);
  if (v.length > MAX_COMMENT) throw new DomainError("invalid", `${name} is longer than ${MAX_COMMENT} characters.`);
  return v;
}

function evidence(v: unknown): string | null {
  if (v === null || v === "") return null;
  if (typeof v !== "string" || v.length > MAX_URL) throw new DomainError("invalid", "evidence_url must be a URL.");
  try {
    const u = new URL(v);
    if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error("scheme");
    return u.toString();
  } catch {
    throw new DomainError("invalid", "evidence_url must be an http(s) URL.");
  }
}

function format(v: unknown): BlocklistFormat {
  if (typeof v !== "string" || !(BLOCKLIST_FORMATS as readonly string[]).includes(v)) {
    throw new DomainError("invalid", `format must be one of ${BLOCKLIST_FORMATS.join(", ")}.`);
  }
  return v as BlocklistFormat;
}

function priority(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || Math.abs(v) > 1_000_000) {
    throw new DomainError("invalid", "priority must be a whole number.");
  }
  return v;
}

function excludes(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > 10_000) throw new DomainError("invalid", "excludes must be a list of domains.");
  return [...new Set(v.map((d) => requireDomain(String(d))))];
}
