import type { GroupBan, GroupBanRepository } from "../../../server/domain/federation-ports.js";
import { checkedActiveQuery, checkedGroupBan } from "../../common/group-bans.js";
import { str } from "../../common/guards.js";
import type { Db } from "../database.js";

interface GroupBanRow {
  actor_id: string;
  group_id: string;
  reason: string | null;
  expires_at: number | null;
  created_at: number;
}

const COLUMNS = "actor_id, group_id, reason, expires_at, created_at";

function banFromRow(r: GroupBanRow): GroupBan {
  return {
    groupId: r.group_id,
    actorId: r.actor_id,
    reason: r.reason,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
  };
}

export class SqliteGroupBanRepository implements GroupBanRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      put: db.prepare<[GroupBanRow]>(
        `INSERT INTO group_bans (${COLUMNS}) VALUES (@actor_id, @group_id, @reason, @expires_at, @created_at)
         ON CONFLICT (actor_id, group_id) DO UPDATE SET reason = excluded.reason,
           expires_at = excluded.expires_at, created_at = excluded.created_at`,
      ),
      remove: db.prepare<[string, string]>("DELETE FROM group_bans WHERE group_id = ? AND actor_id = ?"),
      // the groups travel as one JSON array parameter
      active: db.prepare<[string, string, number], GroupBanRow>(
        `SELECT ${COLUMNS} FROM group_bans WHERE actor_id = ?
           AND group_id IN (SELECT value FROM json_each(?))
           AND (expires_at IS NULL OR expires_at > ?)
         ORDER BY group_id`,
      ),
    };
  }

  async put(ban: GroupBan): Promise<void> {
    const b = checkedGroupBan(ban);
    this.s.put.run({
      actor_id: b.actorId,
      group_id: b.groupId,
      reason: b.reason,
      expires_at: b.expiresAt,
      created_at: b.createdAt,
    });
  }

  async remove(groupId: string, actorId: string): Promise<boolean> {
    return this.s.remove.run(str(groupId, "groupId"), str(actorId, "actorId")).changes > 0;
  }

  async active(actorId: string, groupIds: readonly string[], now: number): Promise<GroupBan[]> {
    const q = checkedActiveQuery(actorId, groupIds, now);
    if (q.groupIds.length === 0) return [];
    return this.s.active.all(q.actorId, JSON.stringify(q.groupIds), q.now).map(banFromRow);
  }
}
