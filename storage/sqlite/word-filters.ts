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
import type { Db } from "./database.js";

interface AuditRow {
  id: string;
  filter_id: string;
  action: string;
  filter: string;
  by: string;
  at: number;
}

/** Word filters on SQLite: each filter a JSON row, each write with its audit entry and a version bump. */
export class SqliteWordFilters implements WordFilterRepository {
  private readonly s;
  private readonly write;

  constructor(db: Db) {
    this.s = {
      list: db.prepare<[], { filter: string }>("SELECT filter FROM word_filters ORDER BY seq"),
      get: db.prepare<[string], { filter: string }>("SELECT filter FROM word_filters WHERE id = ?"),
      insert: db.prepare<[string, string]>(
        "INSERT INTO word_filters (id, seq, filter) VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM word_filters), ?)",
      ),
      update: db.prepare<[string, string]>("UPDATE word_filters SET filter = ? WHERE id = ?"),
      remove: db.prepare<[string]>("DELETE FROM word_filters WHERE id = ?"),
      audit: db.prepare<[AuditRow]>(
        `INSERT INTO word_filter_audit (id, seq, filter_id, action, filter, by, at)
         VALUES (@id, (SELECT coalesce(max(seq), 0) + 1 FROM word_filter_audit), @filter_id, @action, @filter, @by, @at)`,
      ),
      auditList: db.prepare<[number], AuditRow>("SELECT * FROM word_filter_audit ORDER BY seq DESC LIMIT ?"),
      bump: db.prepare("UPDATE word_filter_version SET version = version + 1 WHERE id = 1"),
      version: db.prepare<[], { version: number }>("SELECT version FROM word_filter_version WHERE id = 1"),
    };
    this.write = db.transaction((apply: () => boolean, audit: FilterAuditEntry): boolean => {
      if (!apply()) return false;
      this.s.audit.run({
        id: audit.id,
        filter_id: audit.filterId,
        action: audit.action,
        filter: JSON.stringify(audit.filter),
        by: audit.by,
        at: audit.at,
      });
      this.s.bump.run();
      return true;
    });
  }

  async list(): Promise<WordFilter[]> {
    return this.s.list.all().map((r) => JSON.parse(r.filter) as WordFilter);
  }

  async get(id: string): Promise<WordFilter | null> {
    const r = this.s.get.get(str(id, "id"));
    return r ? (JSON.parse(r.filter) as WordFilter) : null;
  }

  async create(filter: WordFilter, audit: FilterAuditEntry): Promise<void> {
    const f = checkedFilter(filter);
    const a = checkedFilterAudit(audit);
    try {
      this.write.immediate(() => this.s.insert.run(f.id, JSON.stringify(f)).changes > 0, a);
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new DomainError("conflict", "A filter with this id exists.");
      }
      throw err;
    }
  }

  async update(filter: WordFilter, audit: FilterAuditEntry): Promise<boolean> {
    const f = checkedFilter(filter);
    const a = checkedFilterAudit(audit);
    return this.write.immediate(() => this.s.update.run(JSON.stringify(f), f.id).changes > 0, a);
  }

  async remove(id: string, audit: FilterAuditEntry): Promise<boolean> {
    const key = str(id, "id");
    const a = checkedFilterAudit(audit);
    return this.write.immediate(() => this.s.remove.run(key).changes > 0, a);
  }

  async version(): Promise<number> {
    return this.s.version.get()?.version ?? 0;
  }

  async audit(limit: number): Promise<FilterAuditEntry[]> {
    return this.s.auditList.all(int(limit, "limit")).map((r) => ({
      id: r.id,
      filterId: r.filter_id,
      action: r.action as FilterAuditEntry["action"],
      filter: JSON.parse(r.filter) as WordFilter,
      by: r.by,
      at: r.at,
    }));
  }
}

interface HeldRow {
  id: string;
  board: string;
  thread_no: number | null;
  reason: string;
  post: string;
  held_at: number;
}

const heldFromRow = (r: HeldRow): HeldPost => ({
  id: r.id,
  board: r.board,
  threadNo: r.thread_no,
  reason: r.reason,
  post: JSON.parse(r.post) as HeldPost["post"],
  heldAt: r.held_at,
});

/** Local posts held by a filter, on SQLite. */
export class SqliteHeldPosts implements HeldPostRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      add: db.prepare<[HeldRow]>(
        `INSERT INTO held_posts (id, board, thread_no, reason, post, held_at)
         VALUES (@id, @board, @thread_no, @reason, @post, @held_at)`,
      ),
      get: db.prepare<[string], HeldRow>("SELECT * FROM held_posts WHERE id = ?"),
      all: db.prepare<[], HeldRow>("SELECT * FROM held_posts ORDER BY held_at, id"),
      byBoard: db.prepare<[string], HeldRow>("SELECT * FROM held_posts WHERE board = ? ORDER BY held_at, id"),
      remove: db.prepare<[string]>("DELETE FROM held_posts WHERE id = ?"),
      files: db.prepare<[], { post: string }>("SELECT post FROM held_posts WHERE post LIKE '%\"sha256\"%'"),
    };
  }

  async add(held: HeldPost): Promise<void> {
    const h = checkedHeldPost(held);
    try {
      this.s.add.run({
        id: h.id,
        board: h.board,
        thread_no: h.threadNo,
        reason: h.reason,
        post: JSON.stringify(h.post),
        held_at: h.heldAt,
      });
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new DomainError("conflict", "A held post with this id exists.");
      }
      throw err;
    }
  }

  async get(id: string): Promise<HeldPost | null> {
    const r = this.s.get.get(str(id, "id"));
    return r ? heldFromRow(r) : null;
  }

  async list(board?: string): Promise<HeldPost[]> {
    const rows = board === undefined ? this.s.all.all() : this.s.byBoard.all(str(board, "board"));
    return rows.map(heldFromRow);
  }

  async remove(id: string): Promise<boolean> {
    return this.s.remove.run(str(id, "id")).changes > 0;
  }

  async referencedMedia(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const { post } of this.s.files.iterate()) {
      for (const file of filesOf(JSON.parse(post) as HeldPost["post"])) {
        out.add(file.sha256);
        out.add(file.thumbSha256);
      }
    }
    return out;
  }
}
