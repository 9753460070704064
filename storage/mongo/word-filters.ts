import type { Collection, Db, MongoClient } from "mongodb";
import { DomainError } from "../../server/domain/errors.js";
import { filesOf } from "../../server/domain/post.js";
import type {
  FilterAuditEntry,
  HeldPost,
  HeldPostRepository,
  WordFilter,
  WordFilterRepository,
} from "../../server/domain/word-filters.js";
import { int, str } from "../common/guards.js";
import { checkedFilter, checkedFilterAudit, checkedHeldPost } from "../common/word-filters.js";
import { isDuplicateKey } from "./errors.js";
import { inTransaction } from "./transactions.js";

type FilterDoc = WordFilter & { _id: string; seq: number };
type AuditDoc = FilterAuditEntry & { _id: string };
interface VersionDoc {
  _id: "word_filters";
  version: number;
}
type HeldDoc = HeldPost & { _id: string };

const VERSION_ID = "word_filters" as const;

function filterOf(d: FilterDoc): WordFilter {
  return {
    id: d.id,
    pattern: d.pattern,
    regex: d.regex,
    board: d.board,
    action: d.action,
    replacement: d.replacement,
    scope: d.scope,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** Word filters on MongoDB: each write with its audit entry and the version bump in one transaction. */
export class MongoWordFilters implements WordFilterRepository {
  private readonly filters: Collection<FilterDoc>;
  private readonly auditLog: Collection<AuditDoc>;
  private readonly versions: Collection<VersionDoc>;

  constructor(
    private readonly client: MongoClient,
    db: Db,
  ) {
    this.filters = db.collection<FilterDoc>("word_filters");
    this.auditLog = db.collection<AuditDoc>("word_filter_audit");
    this.versions = db.collection<VersionDoc>("word_filter_version");
  }

  async ensureIndexes(): Promise<void> {
    await this.filters.createIndex({ seq: 1 });
    await this.auditLog.createIndex({ at: -1, _id: -1 });
  }

  async list(): Promise<WordFilter[]> {
    return (await this.filters.find({}).sort({ seq: 1 }).toArray()).map(filterOf);
  }

  async get(id: string): Promise<WordFilter | null> {
    const d = await this.filters.findOne({ _id: { $eq: str(id, "id") } });
    return d ? filterOf(d) : null;
  }

  /** Runs `apply` and, when it changed something, appends the audit entry and bumps the version. */
  private write(apply: (session: import("mongodb").ClientSession) => Promise<boolean>, audit: FilterAuditEntry) {
    const a = checkedFilterAudit(audit);
    return inTransaction(this.client, async (session) => {
      if (!(await apply(session))) return false;
      await this.auditLog.insertOne({ _id: a.id, ...a }, { session });
      await this.versions.updateOne({ _id: VERSION_ID }, { $inc: { version: 1 } }, { session, upsert: true });
      return true;
    });
  }

  async create(filter: WordFilter, audit: FilterAuditEntry): Promise<void> {
    const f = checkedFilter(filter);
    try {
      await this.write(async (session) => {
        const last = await this.filters.find({}, { session }).sort({ seq: -1 }).limit(1).toArray();
        await this.filters.insertOne({ _id: f.id, seq: (last[0]?.seq ?? 0) + 1, ...f }, { session });
        return true;
      }, audit);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError("conflict", "A filter with this id exists.");
      throw err;
    }
  }

  async update(filter: WordFilter, audit: FilterAuditEntry): Promise<boolean> {
    const f = checkedFilter(filter);
    return this.write(async (session) => {
      const res = await this.filters.updateOne({ _id: { $eq: f.id } }, { $set: { ...f } }, { session });
      return res.matchedCount === 1;
    }, audit);
  }

  async remove(id: string, audit: FilterAuditEntry): Promise<boolean> {
    const key = str(id, "id");
    return this.write(async (session) => {
      const res = await this.filters.deleteOne({ _id: { $eq: key } }, { session });
      return res.deletedCount === 1;
    }, audit);
  }

  async version(): Promise<number> {
    return (await this.versions.findOne({ _id: VERSION_ID }))?.version ?? 0;
  }

  async audit(limit: number): Promise<FilterAuditEntry[]> {
    const docs = await this.auditLog.find({}).sort({ at: -1, _id: -1 }).limit(int(limit, "limit")).toArray();
    return docs.map((d) => ({
      id: d.id,
      filterId: d.filterId,
      action: d.action,
      filter: d.filter,
      by: d.by,
      at: d.at,
    }));
  }
}

/** Local posts held by a filter, on MongoDB. */
export class MongoHeldPosts implements HeldPostRepository {
  private readonly c: Collection<HeldDoc>;

  constructor(db: Db) {
    this.c = db.collection<HeldDoc>("held_posts");
  }

  async ensureIndexes(): Promise<void> {
    await this.c.createIndex({ board: 1, heldAt: 1 });
  }

  async add(held: HeldPost): Promise<void> {
    const h = checkedHeldPost(held);
    try {
      await this.c.insertOne({ _id: h.id, ...h });
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError("conflict", "A held post with this id exists.");
      throw err;
    }
  }

  async get(id: string): Promise<HeldPost | null> {
    const d = await this.c.findOne({ _id: { $eq: str(id, "id") } });
    return d ? heldOf(d) : null;
  }

  async list(board?: string): Promise<HeldPost[]> {
    const q = board === undefined ? {} : { board: { $eq: str(board, "board") } };
    return (await this.c.find(q).sort({ heldAt: 1, _id: 1 }).toArray()).map(heldOf);
  }

  async remove(id: string): Promise<boolean> {
    return (await this.c.deleteOne({ _id: { $eq: str(id, "id") } })).deletedCount === 1;
  }

  async referencedMedia(): Promise<Set<string>> {
    const out = new Set<string>();
    const projection = { "post.file": 1, "post.extraFiles": 1 };
    for await (const d of this.c.find({ "post.file": { $ne: null } }, { projection })) {
      for (const file of d.post ? filesOf(d.post) : []) {
        out.add(file.sha256);
        out.add(file.thumbSha256);
      }
    }
    return out;
  }
}

function heldOf(d: HeldDoc): HeldPost {
  return { id: d.id, board: d.board, threadNo: d.threadNo, reason: d.reason, post: d.post, heldAt: d.heldAt };
}
