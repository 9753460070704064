import type { Appeal, AppealDecision, AppealStatus } from "../../server/domain/appeal.js";
import type { AppealRepository } from "../../server/domain/ports.js";
import { int, nullableStr, str, strList } from "../common/guards.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface AppealRow {
  id: string;
  ban_id: string;
  board: string | null;
  ip_hash: string;
  ban_reason: string;
  text: string;
  status: string;
  created_at: number;
  decided_at: number | null;
  decision_reason: string | null;
  decided_by: string | null;
}

const COLUMNS =
  "id, ban_id, board, ip_hash, ban_reason, text, status, created_at, decided_at, decision_reason, decided_by";

function appealFromRow(r: AppealRow): Appeal {
  return {
    id: r.id,
    banId: r.ban_id,
    board: r.board,
    ipHash: r.ip_hash,
    banReason: r.ban_reason,
    text: r.text,
    status: r.status as AppealStatus,
    createdAt: r.created_at,
    decidedAt: r.decided_at,
    decisionReason: r.decision_reason,
    decidedBy: r.decided_by,
  };
}

export class SqliteAppealRepository implements AppealRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[AppealRow]>(
        `INSERT INTO appeals (${COLUMNS}) VALUES (@id, @ban_id, @board, @ip_hash, @ban_reason, @text, @status,
         @created_at, @decided_at, @decision_reason, @decided_by)`,
      ),
      get: db.prepare<[string], AppealRow>(`SELECT ${COLUMNS} FROM appeals WHERE id = ?`),
      forBan: db.prepare<[string], AppealRow>(`SELECT ${COLUMNS} FROM appeals WHERE ban_id = ?`),
      list: db.prepare<[{ open_only: number; boards: string | null; limit: number }], AppealRow>(
        `SELECT ${COLUMNS} FROM appeals
         WHERE (@open_only = 0 OR status = 'open')
           AND (@boards IS NULL OR board IN (SELECT value FROM json_each(@boards)))
         ORDER BY created_at DESC, id DESC LIMIT @limit`,
      ),
      decide: db.prepare<[{ id: string; status: string; at: number; reason: string; by: string }], AppealRow>(
        `UPDATE appeals SET status = @status, decided_at = @at, decision_reason = @reason, decided_by = @by
         WHERE id = @id AND status = 'open' RETURNING ${COLUMNS}`,
      ),
    };
  }

  async create(appeal: Appeal): Promise<void> {
    const row: AppealRow = {
      id: str(appeal.id, "id"),
      ban_id: str(appeal.banId, "banId"),
      board: nullableStr(appeal.board, "board"),
      ip_hash: str(appeal.ipHash, "ipHash"),
      ban_reason: str(appeal.banReason, "banReason"),
      text: str(appeal.text, "text"),
      status: str(appeal.status, "status"),
      created_at: int(appeal.createdAt, "createdAt"),
      decided_at: appeal.decidedAt === null ? null : int(appeal.decidedAt, "decidedAt"),
      decision_reason: nullableStr(appeal.decisionReason, "decisionReason"),
      decided_by: nullableStr(appeal.decidedBy, "decidedBy"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), "This ban has already been appealed.");
  }

  async get(id: string): Promise<Appeal | null> {
    const row = this.s.get.get(str(id, "id"));
    return row ? appealFromRow(row) : null;
  }

  async forBan(banId: string): Promise<Appeal | null> {
    const row = this.s.forBan.get(str(banId, "banId"));
    return row ? appealFromRow(row) : null;
  }

  async list(opts: { openOnly: boolean; boards: string[] | null; limit: number }): Promise<Appeal[]> {
    const boards = opts.boards === null ? null : JSON.stringify(strList(opts.boards, "boards"));
    return this.s.list
      .all({ open_only: opts.openOnly ? 1 : 0, boards, limit: int(opts.limit, "limit") })
      .map(appealFromRow);
  }

  async decide(id: string, d: AppealDecision): Promise<Appeal | null> {
    const row = this.s.decide.get({
      id: str(id, "id"),
      status: str(d.status, "status"),
      at: int(d.at, "at"),
      reason: str(d.reason, "reason"),
      by: str(d.by, "by"),
    });
    return row ? appealFromRow(row) : null;
  }
}
