import type { RemoteBan, RemoteBanRepository } from "../../server/domain/remote-bans.js";
import { strongestBan } from "../common/bans.js";
import { num, str } from "../common/guards.js";
import { checkedRemoteBan } from "../common/remote-bans.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface RemoteBanRow {
  id: string;
  actor_id: string;
  handle: string | null;
  board: string | null;
  reason: string;
  created_at: number;
  expires_at: number | null;
  created_by: string;
  delete_posts: number;
}

const COLUMNS = "id, actor_id, handle, board, reason, created_at, expires_at, created_by, delete_posts";

function fromRow(r: RemoteBanRow): RemoteBan {
  return {
    id: r.id,
    actorId: r.actor_id,
    handle: r.handle,
    board: r.board,
    reason: r.reason,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    deletePosts: r.delete_posts === 1,
  };
}

export class SqliteRemoteBanRepository implements RemoteBanRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[RemoteBanRow]>(
        `INSERT INTO remote_bans (${COLUMNS}) VALUES
         (@id, @actor_id, @handle, @board, @reason, @created_at, @expires_at, @created_by, @delete_posts)`,
      ),
      active: db.prepare<[{ actor: string; board: string; now: number }], RemoteBanRow>(
        `SELECT ${COLUMNS} FROM remote_bans
         WHERE actor_id = @actor AND (board IS NULL OR board = @board) AND (expires_at IS NULL OR expires_at > @now)`,
      ),
      list: db.prepare<[], RemoteBanRow>(`SELECT ${COLUMNS} FROM remote_bans ORDER BY created_at DESC, id`),
      get: db.prepare<[string], RemoteBanRow>(`SELECT ${COLUMNS} FROM remote_bans WHERE id = ?`),
      delete: db.prepare<[string]>("DELETE FROM remote_bans WHERE id = ?"),
    };
  }

  async create(ban: RemoteBan): Promise<void> {
    const b = checkedRemoteBan(ban);
    const row: RemoteBanRow = {
      id: b.id,
      actor_id: b.actorId,
      handle: b.handle,
      board: b.board,
      reason: b.reason,
      created_at: b.createdAt,
      expires_at: b.expiresAt,
      created_by: b.createdBy,
      delete_posts: b.deletePosts ? 1 : 0,
    };
    conflictOnDuplicate(() => this.s.insert.run(row), "A ban with this id exists.");
  }

  async findActive(actorId: string, board: string, now: number): Promise<RemoteBan | null> {
    const rows = this.s.active.all({
      actor: str(actorId, "actorId"),
      board: str(board, "board"),
      now: num(now, "now"),
    });
    return strongestBan(rows.map(fromRow));
  }

  async list(): Promise<RemoteBan[]> {
    return this.s.list.all().map(fromRow);
  }

  async get(id: string): Promise<RemoteBan | null> {
    const row = this.s.get.get(str(id, "id"));
    return row ? fromRow(row) : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.s.delete.run(str(id, "id")).changes > 0;
  }
}
