import type { Collection, Db } from "mongodb";
import type { RemoteBan, RemoteBanRepository } from "../../server/domain/remote-bans.js";
import { strongestBan } from "../common/bans.js";
import { num, str } from "../common/guards.js";
import { checkedRemoteBan } from "../common/remote-bans.js";
import { conflictOnDuplicate } from "./errors.js";

export type RemoteBanDoc = RemoteBan;

export function remoteBanCollectionOf(db: Db): Collection<RemoteBanDoc> {
  return db.collection<RemoteBanDoc>("remoteBans");
}

export async function ensureRemoteBanIndexes(c: Collection<RemoteBanDoc>): Promise<void> {
  await c.createIndex({ id: 1 }, { unique: true });
  await c.createIndex({ actorId: 1 });
}

function toRemoteBan(d: RemoteBanDoc): RemoteBan {
  return {
    id: d.id,
    actorId: d.actorId,
    handle: d.handle ?? null,
    board: d.board ?? null,
    reason: d.reason,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt ?? null,
    createdBy: d.createdBy,
    deletePosts: d.deletePosts === true,
  };
}

export class MongoRemoteBanRepository implements RemoteBanRepository {
  constructor(private readonly c: Collection<RemoteBanDoc>) {}

  async create(ban: RemoteBan): Promise<void> {
    await conflictOnDuplicate(this.c.insertOne({ ...checkedRemoteBan(ban) }), "A ban with this id exists.");
  }

  async findActive(actorId: string, board: string, now: number): Promise<RemoteBan | null> {
    const docs = await this.c
      .find({
        actorId: { $eq: str(actorId, "actorId") },
        board: { $in: [null, str(board, "board")] },
        $or: [{ expiresAt: null }, { expiresAt: { $gt: num(now, "now") } }],
      })
      .toArray();
    return strongestBan(docs.map(toRemoteBan));
  }

  async list(): Promise<RemoteBan[]> {
    return (await this.c.find({}).sort({ createdAt: -1, id: 1 }).toArray()).map(toRemoteBan);
  }

  async get(id: string): Promise<RemoteBan | null> {
    const doc = await this.c.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toRemoteBan(doc) : null;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.c.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount > 0;
  }
}
