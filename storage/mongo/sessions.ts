import type { SessionRepository } from "../../server/domain/ports.js";
import type { Session } from "../../server/domain/staff.js";
import { int, num, str } from "../common/guards.js";
import { type Collections, type SessionDoc, toSession } from "./documents.js";
import { conflictOnDuplicate } from "./errors.js";

export class MongoSessionRepository implements SessionRepository {
  constructor(private readonly c: Collections) {}

  async create(session: Session): Promise<void> {
    const doc: SessionDoc = {
      idHash: str(session.idHash, "idHash"),
      username: str(session.username, "username"),
      createdAt: int(session.createdAt, "createdAt"),
      expiresAt: int(session.expiresAt, "expiresAt"),
    };
    await conflictOnDuplicate(this.c.sessions.insertOne(doc), "The session exists.");
  }

  async get(idHash: string, now: number): Promise<Session | null> {
    const doc = await this.c.sessions.findOne({
      idHash: { $eq: str(idHash, "idHash") },
      expiresAt: { $gt: num(now, "now") },
    });
    return doc ? toSession(doc) : null;
  }

  async delete(idHash: string): Promise<void> {
    await this.c.sessions.deleteOne({ idHash: { $eq: str(idHash, "idHash") } });
  }

  async deleteExpired(now: number): Promise<number> {
    return (await this.c.sessions.deleteMany({ expiresAt: { $lte: num(now, "now") } })).deletedCount;
  }
}
