import type { ModerationLogEntry, ModerationLogRepository } from "../../server/domain/moderation-log.js";
import { int, nullableInt, str } from "../common/guards.js";
import { moderationAction } from "../common/moderation-log.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface Row {
  id: string;
  board: string;
  action: string;
  post_no: number | null;
  reason: string;
  by: string;
  created_at: number;
}

const COLUMNS = "id, board, action, post_no, reason, by, created_at";

function fromRow(r: Row): ModerationLogEntry {
  return {
    id: r.id,
    board: r.board,
    action: moderationAction(r.action),
    postNo: r.post_no,
    reason: r.reason,
    by: r.by,
    createdAt: r.created_at,
  };
}

export class SqliteModerationLog implements ModerationLogRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[Row]>(
        `INSERT INTO moderation_log (${COLUMNS}) VALUES (@id, @board, @action, @post_no, @reason, @by, @created_at)`,
      ),
      list: db.prepare<[{ board: string; before: number; limit: number }], Row>(
        `SELECT ${COLUMNS} FROM moderation_log WHERE board = @board AND created_at < @before
         ORDER BY created_at DESC, id LIMIT @limit`,
      ),
    };
  }

  async append(entry: ModerationLogEntry): Promise<void> {
    const row: Row = {
      id: str(entry.id, "id"),
      board: str(entry.board, "board"),
      action: moderationAction(entry.action),
      post_no: nullableInt(entry.postNo, "postNo"),
      reason: str(entry.reason, "reason"),
      by: str(entry.by, "by"),
      created_at: int(entry.createdAt, "createdAt"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), "A log entry with this id exists.");
  }

  async list(board: string, query: { before?: number | undefined; limit: number }): Promise<ModerationLogEntry[]> {
    const before = query.before === undefined ? Number.MAX_SAFE_INTEGER : int(query.before, "before");
    return this.s.list.all({ board: str(board, "board"), before, limit: int(query.limit, "limit") }).map(fromRow);
  }
}
