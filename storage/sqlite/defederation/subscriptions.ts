import type { Severity } from "../../../server/domain/defederation/rules.js";
import type {
  BlocklistEntry,
  BlocklistFormat,
  BlocklistSubscription,
  ConsensusSettings,
  SubscriptionRepository,
} from "../../../server/domain/defederation-ports.js";
import { DomainError } from "../../../server/domain/errors.js";
import {
  checkedConsensus,
  checkedEntries,
  checkedSubscription,
  checkedSubscriptionPatch,
  defaultConsensus,
  jsonText,
  parseJsonObject,
  patchedSubscription,
  type SubscriptionPatch,
} from "../../common/defederation.js";
import { str } from "../../common/guards.js";
import type { Db } from "../database.js";
import { conflictOnDuplicate } from "../errors.js";

interface SubscriptionRow {
  id: string;
  url: string;
  format: string;
  priority: number;
  excludes: string;
  draft: number;
  created_at: number;
  last_sync_at: number | null;
  last_status: string | null;
  last_change: string | null;
}

interface EntryRow {
  subscription_id: string;
  domain: string;
  severity: string;
  reject_media: number;
  reject_reports: number;
  public_comment: string;
  obfuscate: number;
}

interface ConsensusRow {
  min_sources: number;
  min_share: number | null;
  merge: string;
  stage_while_followed: number;
}

const COLUMNS = "id, url, format, priority, excludes, draft, created_at, last_sync_at, last_status, last_change";
const ENTRY_COLUMNS = "subscription_id, domain, severity, reject_media, reject_reports, public_comment, obfuscate";

function parseDomains(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((d): d is string => typeof d === "string") : [];
  } catch {
    return [];
  }
}

function subscriptionFromRow(r: SubscriptionRow): BlocklistSubscription {
  return {
    id: r.id,
    url: r.url,
    format: r.format as BlocklistFormat,
    priority: r.priority,
    excludes: parseDomains(r.excludes),
    draft: r.draft === 1,
    createdAt: r.created_at,
    lastSyncAt: r.last_sync_at,
    lastStatus: r.last_status,
    lastChange: parseJsonObject(r.last_change),
  };
}

function subscriptionToRow(s: BlocklistSubscription): SubscriptionRow {
  return {
    id: s.id,
    url: s.url,
    format: s.format,
    priority: s.priority,
    excludes: JSON.stringify(s.excludes),
    draft: s.draft ? 1 : 0,
    created_at: s.createdAt,
    last_sync_at: s.lastSyncAt,
    last_status: s.lastStatus,
    last_change: jsonText(s.lastChange),
  };
}

function entryFromRow(r: EntryRow): BlocklistEntry {
  return {
    domain: r.domain,
    severity: r.severity as Severity,
    rejectMedia: r.reject_media === 1,
    rejectReports: r.reject_reports === 1,
    publicComment: r.public_comment,
    obfuscate: r.obfuscate === 1,
  };
}

function entryToRow(subscriptionId: string, e: BlocklistEntry): EntryRow {
  return {
    subscription_id: subscriptionId,
    domain: e.domain,
    severity: e.severity,
    reject_media: e.rejectMedia ? 1 : 0,
    reject_reports: e.rejectReports ? 1 : 0,
    public_comment: e.publicComment,
    obfuscate: e.obfuscate ? 1 : 0,
  };
}

const URL_TAKEN = "This list is already subscribed.";

/** Subscribed blocklists on SQLite; deleting one takes its entries with it (a foreign key cascade). */
export class SqliteSubscriptionRepository implements SubscriptionRepository {
  private readonly s;
  private readonly updateTx;
  private readonly replaceTx;

  constructor(db: Db) {
    this.s = {
      list: db.prepare<[], SubscriptionRow>(
        `SELECT ${COLUMNS} FROM blocklist_subscriptions ORDER BY priority DESC, created_at, id`,
      ),
      get: db.prepare<[string], SubscriptionRow>(`SELECT ${COLUMNS} FROM blocklist_subscriptions WHERE id = ?`),
      insert: db.prepare<[SubscriptionRow]>(
        `INSERT INTO blocklist_subscriptions (${COLUMNS})
         VALUES (@id, @url, @format, @priority, @excludes, @draft, @created_at, @last_sync_at, @last_status, @last_change)`,
      ),
      update: db.prepare<[SubscriptionRow]>(
        `UPDATE blocklist_subscriptions SET url = @url, format = @format, priority = @priority, excludes = @excludes,
           draft = @draft, last_sync_at = @last_sync_at, last_status = @last_status, last_change = @last_change
         WHERE id = @id`,
      ),
      delete: db.prepare<[string]>("DELETE FROM blocklist_subscriptions WHERE id = ?"),
      clearEntries: db.prepare<[string]>("DELETE FROM blocklist_entries WHERE subscription_id = ?"),
      insertEntry: db.prepare<[EntryRow]>(
        `INSERT INTO blocklist_entries (${ENTRY_COLUMNS})
         VALUES (@subscription_id, @domain, @severity, @reject_media, @reject_reports, @public_comment, @obfuscate)`,
      ),
      ids: db
        .prepare<[], string>("SELECT id FROM blocklist_subscriptions ORDER BY priority DESC, created_at, id")
        .pluck(),
      entries: db.prepare<[], EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM blocklist_entries ORDER BY subscription_id, domain`,
      ),
      consensus: db.prepare<[], ConsensusRow>(
        "SELECT min_sources, min_share, merge, stage_while_followed FROM domain_consensus WHERE id = 1",
      ),
      setConsensus: db.prepare<[ConsensusRow]>(
        `INSERT INTO domain_consensus (id, min_sources, min_share, merge, stage_while_followed)
         VALUES (1, @min_sources, @min_share, @merge, @stage_while_followed)
         ON CONFLICT (id) DO UPDATE SET min_sources = excluded.min_sources, min_share = excluded.min_share,
           merge = excluded.merge, stage_while_followed = excluded.stage_while_followed`,
      ),
    };
    this.updateTx = db.transaction((id: string, patch: SubscriptionPatch) => {
      const row = this.s.get.get(id);
      if (!row) return null;
      const next = patchedSubscription(subscriptionFromRow(row), patch);
      conflictOnDuplicate(() => this.s.update.run(subscriptionToRow(next)), URL_TAKEN);
      return next;
    });
    this.replaceTx = db.transaction((id: string, entries: BlocklistEntry[]) => {
      if (!this.s.get.get(id)) throw new DomainError("not_found", `No subscription has id ${id}.`);
      this.s.clearEntries.run(id);
      for (const entry of entries) this.s.insertEntry.run(entryToRow(id, entry));
    });
  }

  async list(): Promise<BlocklistSubscription[]> {
    return this.s.list.all().map(subscriptionFromRow);
  }

  async get(id: string): Promise<BlocklistSubscription | null> {
    const row = this.s.get.get(str(id, "id"));
    return row ? subscriptionFromRow(row) : null;
  }

  async create(sub: BlocklistSubscription): Promise<void> {
    const row = subscriptionToRow(checkedSubscription(sub));
    conflictOnDuplicate(() => this.s.insert.run(row), URL_TAKEN);
  }

  async update(
    id: string,
    patch: Partial<Omit<BlocklistSubscription, "id" | "createdAt">>,
  ): Promise<BlocklistSubscription | null> {
    return this.updateTx.immediate(str(id, "id"), checkedSubscriptionPatch(patch));
  }

  async delete(id: string): Promise<boolean> {
    return this.s.delete.run(str(id, "id")).changes > 0;
  }

  async replaceEntries(id: string, entries: BlocklistEntry[]): Promise<void> {
    this.replaceTx.immediate(str(id, "id"), checkedEntries(entries));
  }

  async entries(): Promise<Map<string, BlocklistEntry[]>> {
    // every subscription has a list, empty until its first sync, in the order `list` gives
    const out = new Map<string, BlocklistEntry[]>(this.s.ids.all().map((id) => [id, []]));
    for (const row of this.s.entries.iterate()) out.get(row.subscription_id)?.push(entryFromRow(row));
    return out;
  }

  async consensus(): Promise<ConsensusSettings> {
    const row = this.s.consensus.get();
    if (!row) return defaultConsensus();
    return {
      minSources: row.min_sources,
      minShare: row.min_share,
      merge: row.merge as ConsensusSettings["merge"],
      stageWhileFollowed: row.stage_while_followed === 1,
    };
  }

  async setConsensus(settings: ConsensusSettings): Promise<void> {
    const c = checkedConsensus(settings);
    this.s.setConsensus.run({
      min_sources: c.minSources,
      min_share: c.minShare,
      merge: c.merge,
      stage_while_followed: c.stageWhileFollowed ? 1 : 0,
    });
  }
}
