import type { HiddenPosterToken, HiddenPosterTokenRepository } from "../../server/domain/poster-token.js";
import { int, nullableStr, str } from "../common/guards.js";
import type { Db } from "./database.js";

interface Row {
  board: string;
  token: string;
  reason: string;
  created_by: string;
  created_at: number;
}

const COLUMNS = "board, token, reason, created_by, created_at";

function fromRow(r: Row): HiddenPosterToken {
  return { board: r.board, token: r.token, reason: r.reason, createdBy: r.created_by, createdAt: r.created_at };
}

export class SqliteHiddenTokens implements HiddenPosterTokenRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[Row]>(
        `INSERT INTO hidden_poster_tokens (${COLUMNS}) VALUES (@board, @token, @reason, @created_by, @created_at)
         ON CONFLICT (board, token) DO NOTHING`,
      ),
      remove: db.prepare<[string, string]>("DELETE FROM hidden_poster_tokens WHERE board = ? AND token = ?"),
      listBoard: db.prepare<[string], Row>(
        `SELECT ${COLUMNS} FROM hidden_poster_tokens WHERE board = ? ORDER BY created_at DESC, token`,
      ),
      listAll: db.prepare<[], Row>(
        `SELECT ${COLUMNS} FROM hidden_poster_tokens ORDER BY created_at DESC, board, token`,
      ),
    };
  }

  async hide(entry: HiddenPosterToken): Promise<boolean> {
    const row: Row = {
      board: str(entry.board, "board"),
      token: str(entry.token, "token"),
      reason: str(entry.reason, "reason"),
      created_by: str(entry.createdBy, "createdBy"),
      created_at: int(entry.createdAt, "createdAt"),
    };
    return this.s.insert.run(row).changes === 1;
  }

  async unhide(board: string, token: string): Promise<boolean> {
    return this.s.remove.run(str(board, "board"), str(token, "token")).changes === 1;
  }

  async list(board: string | null): Promise<HiddenPosterToken[]> {
    const b = nullableStr(board, "board");
    return (b === null ? this.s.listAll.all() : this.s.listBoard.all(b)).map(fromRow);
  }
}
