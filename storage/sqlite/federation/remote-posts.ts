import { DomainError } from "../../../server/domain/errors.js";
import type { RemotePostIndex, RemotePostRef } from "../../../server/domain/federation-ports.js";
import { checkedRemotePostRef } from "../../common/federation.js";
import { int, str } from "../../common/guards.js";
import { CommitGroup } from "../commit-group.js";
import type { Db } from "../database.js";

interface RefRow {
  ap_id: string;
  board: string;
  no: number;
  via: string | null;
}

function refFromRow(r: RefRow): RemotePostRef {
  return { apId: r.ap_id, board: r.board, no: r.no, ...(r.via === null ? {} : { via: r.via }) };
}

const MAX_IDS_PER_QUERY = 500;

export class SqliteRemotePostIndex implements RemotePostIndex {
  private readonly s;
  private readonly putRow;

  /** `group`: mappings put in one event-loop turn commit together (see CommitGroup). */
  constructor(
    private readonly db: Db,
    private readonly group = new CommitGroup(db),
  ) {
    this.s = {
      insert: db.prepare<[RefRow]>(
        "INSERT INTO remote_posts (ap_id, board, no, via) VALUES (@ap_id, @board, @no, @via) ON CONFLICT DO NOTHING",
      ),
      get: db.prepare<[string], RefRow>("SELECT ap_id, board, no, via FROM remote_posts WHERE ap_id = ?"),
      byPost: db.prepare<[string, number], RefRow>(
        "SELECT ap_id, board, no, via FROM remote_posts WHERE board = ? AND no = ?",
      ),
      delete: db.prepare<[string]>("DELETE FROM remote_posts WHERE ap_id = ?"),
      deleteByBoard: db.prepare<[string]>("DELETE FROM remote_posts WHERE board = ?"),
    };
    // One statement, so atomic by itself (as CommitGroup needs); the read after it only explains a refusal.
    this.putRow = (row: RefRow) => {
      if (this.s.insert.run(row).changes > 0) return;
      const existing = this.s.get.get(row.ap_id);
      if (existing && existing.board === row.board && existing.no === row.no) return;
      throw new DomainError("conflict", "The object or the post is already mapped to another.");
    };
  }

  async put(ref: RemotePostRef): Promise<void> {
    const r = checkedRemotePostRef(ref);
    const row = { ap_id: r.apId, board: r.board, no: r.no, via: r.via ?? null };
    return this.group.run(() => this.putRow(row));
  }

  async get(apId: string): Promise<RemotePostRef | null> {
    const row = this.s.get.get(str(apId, "apId"));
    return row ? refFromRow(row) : null;
  }

  async getMany(apIds: readonly string[]): Promise<RemotePostRef[]> {
    const ids = [...new Set(apIds.map((id) => str(id, "apId")))];
    if (ids.length === 0) return [];
    const refs: RemotePostRef[] = [];
    // Within SQLite's bound-parameter limit however many are asked.
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_QUERY) {
      const chunk = ids.slice(i, i + MAX_IDS_PER_QUERY);
      const rows = this.db
        .prepare<string[], RefRow>(
          `SELECT ap_id, board, no, via FROM remote_posts WHERE ap_id IN (${chunk.map(() => "?").join(", ")})`,
        )
        .all(...chunk);
      refs.push(...rows.map(refFromRow));
    }
    return refs;
  }

  async delete(apId: string): Promise<boolean> {
    return this.s.delete.run(str(apId, "apId")).changes > 0;
  }

  async byBoardAndNo(board: string, no: number): Promise<RemotePostRef | null> {
    const row = this.s.byPost.get(str(board, "board"), int(no, "no"));
    return row ? refFromRow(row) : null;
  }

  async deleteByBoard(board: string): Promise<number> {
    return this.s.deleteByBoard.run(str(board, "board")).changes;
  }
}
