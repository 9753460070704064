import type { GroupBan, GroupBanRepository } from "../../../server/domain/federation-ports.js";
import { checkedActiveQuery, checkedGroupBan } from "../../common/group-bans.js";
import { str } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toGroupBan } from "./documents.js";

export class MongoGroupBanRepository implements GroupBanRepository {
  constructor(private readonly c: Pick<FederationCollections, "groupBans">) {}

  async put(ban: GroupBan): Promise<void> {
    const b = checkedGroupBan(ban);
    const key = { actorId: b.actorId, groupId: b.groupId };
    try {
      await this.c.groupBans.replaceOne(key, b, { upsert: true });
    } catch (err) {
      // Two upserts of one key at once: the loser's insert collides, and its replacement then lands.
      if (!isDuplicateKey(err)) throw err;
      await this.c.groupBans.replaceOne(key, b);
    }
  }

  async remove(groupId: string, actorId: string): Promise<boolean> {
    const res = await this.c.groupBans.deleteOne({
      groupId: str(groupId, "groupId"),
      actorId: str(actorId, "actorId"),
    });
    return res.deletedCount > 0;
  }

  async active(actorId: string, groupIds: readonly string[], now: number): Promise<GroupBan[]> {
    const q = checkedActiveQuery(actorId, groupIds, now);
    if (q.groupIds.length === 0) return [];
    const docs = await this.c.groupBans
      .find({
        actorId: q.actorId,
        groupId: { $in: q.groupIds },
        $or: [{ expiresAt: null }, { expiresAt: { $gt: q.now } }],
      })
      .sort({ groupId: 1 })
      .toArray();
    return docs.map(toGroupBan);
  }
}
