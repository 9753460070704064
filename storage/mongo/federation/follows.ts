import { DomainError } from "../../../server/domain/errors.js";
import type { Follow, FollowRepository } from "../../../server/domain/federation-ports.js";
import { checkedFollow, domainArg } from "../../common/federation.js";
import { str } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toFollow } from "./documents.js";

/** Racing adds of one new pair can both try to insert; the loser sees a duplicate key and retries. */
const ATTEMPTS = 3;

export class MongoFollowRepository implements FollowRepository {
  constructor(private readonly c: FederationCollections) {}

  async add(follow: Follow): Promise<{ follow: Follow; created: boolean }> {
    const f = checkedFollow(follow);
    for (let attempt = 1; ; attempt++) {
      try {
        // `actorId` and `objectId` come from the filter's equality (checked strings)
        const res = await this.c.follows.findOneAndUpdate(
          { actorId: f.actorId, objectId: f.objectId },
          {
            $set: { inbox: f.inbox, sharedInbox: f.sharedInbox },
            $setOnInsert: {
              id: f.id,
              board: f.board,
              direction: f.direction,
              state: f.state,
              domain: f.domain,
              createdAt: f.createdAt,
            },
          },
          { upsert: true, returnDocument: "after", includeResultMetadata: true },
        );
        if (res.value) return { follow: toFollow(res.value), created: res.lastErrorObject?.["upserted"] !== undefined };
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        // either a racing add of the same pair won (retry and find it), or the id belongs to another pair
        const holder = await this.c.follows.findOne({ id: { $eq: f.id } });
        if (holder && (holder.actorId !== f.actorId || holder.objectId !== f.objectId)) {
          throw new DomainError("conflict", "Another follow has this activity id.");
        }
        if (attempt >= ATTEMPTS) throw e;
      }
    }
  }

  async accept(actorId: string, objectId: string): Promise<Follow | null> {
    const doc = await this.c.follows.findOneAndUpdate(
      { actorId: { $eq: str(actorId, "actorId") }, objectId: { $eq: str(objectId, "objectId") } },
      { $set: { state: "accepted" } },
      { returnDocument: "after" },
    );
    return doc ? toFollow(doc) : null;
  }

  async remove(actorId: string, objectId: string): Promise<boolean> {
    const res = await this.c.follows.deleteOne({
      actorId: { $eq: str(actorId, "actorId") },
      objectId: { $eq: str(objectId, "objectId") },
    });
    return res.deletedCount > 0;
  }

  async get(actorId: string, objectId: string): Promise<Follow | null> {
    const doc = await this.c.follows.findOne({
      actorId: { $eq: str(actorId, "actorId") },
      objectId: { $eq: str(objectId, "objectId") },
    });
    return doc ? toFollow(doc) : null;
  }

  async getById(id: string): Promise<Follow | null> {
    const doc = await this.c.follows.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toFollow(doc) : null;
  }

  async followersOf(board: string): Promise<Follow[]> {
    const docs = await this.c.follows
      .find({ board: { $eq: str(board, "board") }, direction: "inbound", state: "accepted" })
      .sort({ createdAt: 1, id: 1 })
      .toArray();
    return docs.map(toFollow);
  }

  async followingOf(board: string): Promise<Follow[]> {
    const docs = await this.c.follows
      .find({ board: { $eq: str(board, "board") }, direction: "outbound" })
      .sort({ createdAt: 1, id: 1 })
      .toArray();
    return docs.map(toFollow);
  }

  async countFollowers(board: string): Promise<number> {
    return this.c.follows.countDocuments({
      board: { $eq: str(board, "board") },
      direction: "inbound",
      state: "accepted",
    });
  }

  async inboxesForBoard(board: string): Promise<string[]> {
    const rows = await this.c.follows
      .aggregate<{ _id: string }>([
        { $match: { board: { $eq: str(board, "board") }, direction: "inbound", state: "accepted" } },
        { $group: { _id: { $ifNull: ["$sharedInbox", "$inbox"] } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    return rows.map((r) => r._id);
  }

  async removeByDomain(domain: string): Promise<number> {
    return (await this.c.follows.deleteMany({ domain: { $eq: domainArg(domain) } })).deletedCount;
  }

  async removeByBoard(board: string): Promise<number> {
    return (await this.c.follows.deleteMany({ board: { $eq: str(board, "board") } })).deletedCount;
  }

  async domains(): Promise<Array<{ domain: string; count: number }>> {
    const rows = await this.c.follows
      .aggregate<{ _id: string; count: number }>([
        { $group: { _id: "$domain", count: { $sum: 1 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    return rows.map((r) => ({ domain: r._id, count: r.count }));
  }

  async pendingFollowersOf(board: string): Promise<Follow[]> {
    const docs = await this.c.follows
      .find({ board: { $eq: str(board, "board") }, direction: "inbound", state: "pending" })
      .sort({ createdAt: 1, id: 1 })
      .toArray();
    return docs.map(toFollow);
  }
}
