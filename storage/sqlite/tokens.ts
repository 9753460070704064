import type { TokenRepository } from "../../server/domain/ports.js";
import type { ApiToken } from "../../server/domain/staff.js";
import { int, str } from "../common/guards.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface TokenRow {
  id: string;
  token_hash: string;
  label: string;
  created_at: number;
}

function tokenFromRow(r: TokenRow): ApiToken {
  return { id: r.id, tokenHash: r.token_hash, label: r.label, createdAt: r.created_at };
}

export class SqliteTokenRepository implements TokenRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[TokenRow]>(
        "INSERT INTO tokens (id, token_hash, label, created_at) VALUES (@id, @token_hash, @label, @created_at)",
      ),
      byHash: db.prepare<[string], TokenRow>(
        "SELECT id, token_hash, label, created_at FROM tokens WHERE token_hash = ?",
      ),
      list: db.prepare<[], TokenRow>("SELECT id, token_hash, label, created_at FROM tokens ORDER BY created_at, id"),
      delete: db.prepare<[string]>("DELETE FROM tokens WHERE id = ?"),
    };
  }

  async create(token: ApiToken): Promise<void> {
    const row: TokenRow = {
      id: str(token.id, "id"),
      token_hash: str(token.tokenHash, "tokenHash"),
      label: str(token.label, "label"),
      created_at: int(token.createdAt, "createdAt"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), "A token with this id or hash exists.");
  }

  async findByHash(tokenHash: string): Promise<ApiToken | null> {
    const row = this.s.byHash.get(str(tokenHash, "tokenHash"));
    return row ? tokenFromRow(row) : null;
  }

  async list(): Promise<ApiToken[]> {
    return this.s.list.all().map(tokenFromRow);
  }

  async delete(id: string): Promise<boolean> {
    return this.s.delete.run(str(id, "id")).changes > 0;
  }
}
