import type { BanRepository } from "../../server/domain/ports.js";
import type { Ban } from "../../server/domain/staff.js";
import { strongestBan } from "../common/bans.js";
import { int, nullableInt, nullableStr, num, str } from "../common/guards.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface BanRow {
  id: string;
  ip_hash: string;
  board: string | null;
  reason: string;
  created_at: number;
  expires_at: number | null;
  created_by: string;
  post_ref: string | null;
}

const COLUMNS = "id, ip_hash, board, reason, created_at, expires_at, created_by, post_ref";

function banFromRow(r: BanRow): Ban {
  return {
    id: r.id,
    ipHash: r.ip_hash,
    board: r.board,
    reason: r.reason,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    createdBy: r.created_by,
    postRef: r.post_ref,
  };
}

export class SqliteBanRepository implements BanRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[BanRow]>(
        `INSERT INTO bans (${COLUMNS}) VALUES (@id, @ip_hash, @board, @reason, @created_at, @expires_at, @created_by, @post_ref)`,
      ),
      active: db.prepare<[{ ip: string; board: string; now: number }], BanRow>(
        `SELECT ${COLUMNS} FROM bans
         WHERE ip_hash = @ip AND (board IS NULL OR board = @board) AND (expires_at IS NULL OR expires_at > @now)`,
      ),
      list: db.prepare<[], BanRow>(`SELECT ${COLUMNS} FROM bans ORDER BY created_at DESC, id`),
      delete: db.prepare<[string]>("DELETE FROM bans WHERE id = ?"),
    };
  }

  async create(ban: Ban): Promise<void> {
    const row: BanRow = {
      id: str(ban.id, "id"),
      ip_hash: str(ban.ipHash, "ipHash"),
      board: nullableStr(ban.board, "board"),
      reason: str(ban.reason, "reason"),
      created_at: int(ban.createdAt, "createdAt"),
      expires_at: nullableInt(ban.expiresAt, "expiresAt"),
      created_by: str(ban.createdBy, "createdBy"),
      post_ref: nullableStr(ban.postRef, "postRef"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), "A ban with this id exists.");
  }

  async findActive(ipHash: string, board: string, now: number): Promise<Ban | null> {
    const rows = this.s.active.all({ ip: str(ipHash, "ipHash"), board: str(board, "board"), now: num(now, "now") });
    return strongestBan(rows.map(banFromRow));
  }

  async list(): Promise<Ban[]> {
    return this.s.list.all().map(banFromRow);
  }

  async delete(id: string): Promise<boolean> {
    return this.s.delete.run(str(id, "id")).changes > 0;
  }
}
