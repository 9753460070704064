import type { BanRepository } from "../../server/domain/ports.js";
import type { Ban } from "../../server/domain/staff.js";
import { strongestBan } from "../common/bans.js";
import { int, nullableInt, nullableStr, num, str } from "../common/guards.js";
import { type BanDoc, type Collections, toBan } from "./documents.js";
import { conflictOnDuplicate } from "./errors.js";

export class MongoBanRepository implements BanRepository {
  constructor(private readonly c: Collections) {}

  async create(ban: Ban): Promise<void> {
    const doc: BanDoc = {
      id: str(ban.id, "id"),
      ipHash: str(ban.ipHash, "ipHash"),
      board: nullableStr(ban.board, "board"),
      reason: str(ban.reason, "reason"),
      createdAt: int(ban.createdAt, "createdAt"),
      expiresAt: nullableInt(ban.expiresAt, "expiresAt"),
      createdBy: str(ban.createdBy, "createdBy"),
      postRef: nullableStr(ban.postRef, "postRef"),
    };
    await conflictOnDuplicate(this.c.bans.insertOne(doc), "A ban with this id exists.");
  }

  async findActive(ipHash: string, board: string, now: number): Promise<Ban | null> {
    const docs = await this.c.bans
      .find({
        ipHash: { $eq: str(ipHash, "ipHash") },
        board: { $in: [null, str(board, "board")] },
        $or: [{ expiresAt: null }, { expiresAt: { $gt: num(now, "now") } }],
      })
      .toArray();
    return strongestBan(docs.map(toBan));
  }

  async list(): Promise<Ban[]> {
    const docs = await this.c.bans.find({}).sort({ createdAt: -1, id: 1 }).toArray();
    return docs.map(toBan);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.c.bans.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount > 0;
  }
}
