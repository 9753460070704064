import type { SessionRepository } from "../../server/domain/ports.js";
import type { Session } from "../../server/domain/staff.js";
import { int, num, str } from "../common/guards.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface SessionRow {
  id_hash: string;
  username: string;
  created_at: number;
  expires_at: number;
}

export class SqliteSessionRepository implements SessionRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[SessionRow]>(
        "INSERT INTO sessions (id_hash, username, created_at, expires_at) VALUES (@id_hash, @username, @created_at, @expires_at)",
      ),
      get: db.prepare<[string, number], SessionRow>(
        "SELECT id_hash, username, created_at, expires_at FROM sessions WHERE id_hash = ? AND expires_at > ?",
      ),
      delete: db.prepare<[string]>("DELETE FROM sessions WHERE id_hash = ?"),
      deleteExpired: db.prepare<[number]>("DELETE FROM sessions WHERE expires_at <= ?"),
    };
  }

  async create(session: Session): Promise<void> {
    const row: SessionRow = {
      id_hash: str(session.idHash, "idHash"),
      username: str(session.username, "username"),
      created_at: int(session.createdAt, "createdAt"),
      expires_at: int(session.expiresAt, "expiresAt"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), "The session exists.");
  }

  async get(idHash: string, now: number): Promise<Session | null> {
    const r = this.s.get.get(str(idHash, "idHash"), num(now, "now"));
    return r ? { idHash: r.id_hash, username: r.username, createdAt: r.created_at, expiresAt: r.expires_at } : null;
  }

  async delete(idHash: string): Promise<void> {
    this.s.delete.run(str(idHash, "idHash"));
  }

  async deleteExpired(now: number): Promise<number> {
    return this.s.deleteExpired.run(num(now, "now")).changes;
  }
}
