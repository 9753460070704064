import { randomUUID } from "node:crypto";
import { mergeConsensus } from "../../domain/defederation/blocklist-consensus.js";
import { diffRules } from "../../domain/defederation/blocklist-diff.js";
import { parseBlocklist } from "../../domain/defederation/blocklist-formats.js";
import { type DomainBlock, requireDomain } from "../../domain/defederation/rules.js";
import type {
  AuditActor,
  AuditEntry,
  BlocklistEntry,
  BlocklistSubscription,
  ConsensusSettings,
  RuleChange,
} from "../../domain/defederation-ports.js";
import { DomainError } from "../../domain/errors.js";
import { blockFrom, MAX_URL, updatedFrom } from "./rule-input.js";
import { type DomainRuleWriter, followsCovered } from "./rule-writer.js";
import type { DefederationOptions, Progress, SubscriptionInput, SubscriptionPatch, SyncResult } from "./types.js";

/** Rule changes a sync stores per transaction. */
const BATCH = 2000;

/**
 * Blocklist subscriptions: the lists the instance follows, how they combine (consensus), and the
 * syncs that bring the subscription-made rules in line with them, each change audited.
 */
export class BlocklistSubscriptions {
  readonly #o: DefederationOptions;
  readonly #writer: DomainRuleWriter;
  #syncing = new Map<string, Promise<SyncResult>>();

  constructor(o: DefederationOptions, writer: DomainRuleWriter) {
    this.#o = o;
    this.#writer = writer;
  }

  list(): Promise<BlocklistSubscription[]> {
    return this.#o.store.defederation.subscriptions.list();
  }

  async get(id: string): Promise<BlocklistSubscription> {
    const sub = await this.#o.store.defederation.subscriptions.get(id);
    if (!sub) throw new DomainError("not_found", "No such subscription.");
    return sub;
  }

  async add(input: SubscriptionInput, actor: AuditActor): Promise<BlocklistSubscription> {
    const sub: BlocklistSubscription = {
      id: randomUUID(),
      url: listUrl(input.url, this.#o.allowPrivateAddresses === true),
      format: input.format ?? "auto",
      priority: priority(input.priority ?? 0),
      excludes: excludes(input.excludes ?? []),
      draft: input.draft ?? false,
      createdAt: this.#o.clock(),
      lastSyncAt: null,
      lastStatus: null,
      lastChange: null,
    };
    await this.#o.store.defederation.subscriptions.create(sub);
    await this.#writer.apply(
      [],
      [this.#writer.auditEntry(actor, "subscription.create", "", null, { ...sub }, "", sub.id)],
    );
    return sub;
  }

  async update(id: string, patch: SubscriptionPatch, actor: AuditActor): Promise<BlocklistSubscription> {
    const before = await this.get(id);
    const changes: Partial<BlocklistSubscription> = {};
    if (patch.format !== undefined) changes.format = patch.format;
    if (patch.priority !== undefined) changes.priority = priority(patch.priority);
    if (patch.excludes !== undefined) changes.excludes = excludes(patch.excludes);
    if (patch.draft !== undefined) changes.draft = patch.draft;
    const after = await this.#o.store.defederation.subscriptions.update(id, changes);
    if (!after) throw new DomainError("not_found", "No such subscription.");
    await this.#writer.apply(
      [],
      [this.#writer.auditEntry(actor, "subscription.update", "", { ...before }, { ...after }, "", id)],
    );
    return after;
  }

  /** Removes a subscription; the rules only it carried are retracted. */
  async remove(id: string, actor: AuditActor): Promise<SyncResult> {
    const before = await this.get(id);
    await this.#o.store.defederation.subscriptions.delete(id);
    await this.#writer.apply(
      [],
      [this.#writer.auditEntry(actor, "subscription.delete", "", { ...before }, null, "", id)],
    );
    return this.#reconcile(null, actor, false);
  }

  async consensus(): Promise<ConsensusSettings> {
    return this.#o.store.defederation.subscriptions.consensus();
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
      // A share of none asks for nothing, the same as no share at all.
      const share = settings.minShare === 0 ? null : settings.minShare;
      if (share !== null && !(share > 0 && share <= 1)) {
        throw new DomainError("invalid", "min_share must be a fraction in (0, 1], or null.");
      }
      next.minShare = share;
    }
    if (settings.merge !== undefined) next.merge = settings.merge;
    if (settings.stageWhileFollowed !== undefined) next.stageWhileFollowed = settings.stageWhileFollowed;
    await this.#o.store.defederation.subscriptions.setConsensus(next);
    await this.#writer.apply(
      [],
      [this.#writer.auditEntry(actor, "subscription.update", "", { ...current }, { ...next }, "consensus", null)],
    );
    return this.#reconcile(null, actor, false).then(() => next);
  }

  /** Syncs every subscription whose last sync is older than the interval. */
  async syncDue(): Promise<SyncResult[]> {
    const now = this.#o.clock();
    const out: SyncResult[] = [];
    for (const sub of await this.list()) {
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
    const sub = await this.get(id);
    const fetcher = this.#o.fetcher;
    if (!fetcher) throw new DomainError("busy", "Blocklist subscriptions need federation to be on.");
    const subs = this.#o.store.defederation.subscriptions;
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
    const sub = await this.get(id);
    const result = await this.#reconcile(sub, actor, false);
    await this.#o.store.defederation.subscriptions.update(id, { lastChange: summary(result) });
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
    const { subscriptions } = this.#o.store.defederation;
    const [all, entries, settings, blocks] = await Promise.all([
      subscriptions.list(),
      subscriptions.entries(),
      subscriptions.consensus(),
      this.#o.store.defederation.rules.listBlocks(),
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
    const counts = settings.stageWhileFollowed ? await this.#writer.followCounts() : new Map<string, number>();
    const changes: RuleChange[] = [];
    const audit: AuditEntry[] = [];
    const from = (domain: string) => carriers.get(domain)?.[0] ?? sub?.id ?? null;
    const stage = (block: DomainBlock): DomainBlock => {
      if (!settings.stageWhileFollowed || block.severity !== "suspend") return block;
      if (followsCovered(counts, block.domain) === 0) return block;
      result.staged++;
      return { ...block, severity: "silence", stagedSeverity: "suspend" };
    };
    for (const e of diff.create) {
      const block = stage(blockFrom(e, "subscription", now));
      changes.push({ op: "create_block", block });
      audit.push(
        this.#writer.auditEntry(actor, "block.create", e.domain, null, block, "subscription sync", from(e.domain)),
      );
    }
    for (const { before, after } of diff.update) {
      const block = stage({ ...updatedFrom(before, after, now), stagedSeverity: null });
      changes.push({ op: "update_block", block });
      audit.push(
        this.#writer.auditEntry(
          actor,
          "block.update",
          before.domain,
          before,
          block,
          "subscription sync",
          from(before.domain),
        ),
      );
    }
    for (const b of diff.remove) {
      changes.push({ op: "delete_block", id: b.id });
      audit.push(
        this.#writer.auditEntry(
          actor,
          "block.delete",
          b.domain,
          b,
          null,
          "retracted: no subscribed list carries it",
          null,
        ),
      );
    }
    for (let i = 0; i < changes.length; i += BATCH) {
      progress?.("apply", i, changes.length);
      await this.#writer.apply(changes.slice(i, i + BATCH), audit.slice(i, i + BATCH), i + BATCH < changes.length);
    }
    if (changes.length > 0) progress?.("apply", changes.length, changes.length);
    if (sub) {
      audit.length = 0;
      await this.#writer.apply(
        [],
        [this.#writer.auditEntry(actor, "subscription.sync", "", null, summary(result), "", sub.id)],
      );
    }
    return result;
  }
}

function listUrl(input: string, allowPrivateAddresses: boolean): string {
  if (input.length > MAX_URL) throw new DomainError("invalid", "url is too long.");
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new DomainError("invalid", "url must be an absolute URL.");
  }
  const ok = u.protocol === "https:" || (allowPrivateAddresses && u.protocol === "http:");
  if (!ok) throw new DomainError("invalid", "A blocklist URL must use https.");
  if (u.username !== "" || u.password !== "") throw new DomainError("invalid", "A blocklist URL has no credentials.");
  return u.toString();
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

function priority(v: number): number {
  if (!Number.isInteger(v) || Math.abs(v) > 1_000_000) {
    throw new DomainError("invalid", "priority must be a whole number.");
  }
  return v;
}

function excludes(v: readonly string[]): string[] {
  if (v.length > 10_000) throw new DomainError("invalid", "excludes must be a list of at most 10000 domains.");
  return [...new Set(v.map((d) => requireDomain(d)))];
}
