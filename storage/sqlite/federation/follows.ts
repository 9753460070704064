import type { Follow, FollowRepository } from "../../../server/domain/federation-ports.js";
import { checkedFollow, domainArg } from "../../common/federation.js";
import { str } from "../../common/guards.js";
import type { Db } from "../database.js";
import { conflictOnDuplicate } from "../errors.js";

interface FollowRow {
  id: string;
  actor_id: string;
  object_id: string;
  board: string;
  direction: string;
  state: string;
  inbox: string;
  shared_inbox: string | null;
  domain: string;
  created_at: number;
}

const COLUMNS = "id, actor_id, object_id, board, direction, state, inbox, shared_inbox, domain, created_at";

function followFromRow(r: FollowRow): Follow {
  return {
    id: r.id,
    actorId: r.actor_id,
    objectId: r.object_id,
    board: r.board,
    direction: r.direction as Follow["direction"],
    state: r.state as Follow["state"],
    inbox: r.inbox,
    sharedInbox: r.shared_inbox,
    domain: r.domain,
    createdAt: r.created_at,
  };
}

function followToRow(f: Follow): FollowRow {
  return {
    id: f.id,
    actor_id: f.actorId,
    object_id: f.objectId,
    board: f.board,
    direction: f.direction,
    state: f.state,
    inbox: f.inbox,
    shared_inbox: f.sharedInbox,
    domain: f.domain,
    created_at: f.createdAt,
  };
}

export class SqliteFollowRepository implements FollowRepository {
  private readonly s;
  private readonly addTx;

  constructor(db: Db) {
    this.s = {
      get: db.prepare<[string, string], FollowRow>(
        `SELECT ${COLUMNS} FROM follows WHERE actor_id = ? AND object_id = ?`,
      ),
      byId: db.prepare<[string], FollowRow>(`SELECT ${COLUMNS} FROM follows WHERE id = ?`),
      insert: db.prepare<[FollowRow]>(
        `INSERT INTO follows (${COLUMNS})
         VALUES (@id, @actor_id, @object_id, @board, @direction, @state, @inbox, @shared_inbox, @domain, @created_at)`,
      ),
      refresh: db.prepare<
        [{ actor_id: string; object_id: string; inbox: string; shared_inbox: string | null }],
        FollowRow
      >(
        `UPDATE follows SET inbox = @inbox, shared_inbox = @shared_inbox
         WHERE actor_id = @actor_id AND object_id = @object_id
         RETURNING ${COLUMNS}`,
      ),
      accept: db.prepare<[string, string], FollowRow>(
        `UPDATE follows SET state = 'accepted' WHERE actor_id = ? AND object_id = ? RETURNING ${COLUMNS}`,
      ),
      remove: db.prepare<[string, string]>("DELETE FROM follows WHERE actor_id = ? AND object_id = ?"),
      following: db.prepare<[string], FollowRow>(
        `SELECT ${COLUMNS} FROM follows WHERE board = ? AND direction = 'outbound' ORDER BY created_at, id`,
      ),
      followers: db.prepare<[string], FollowRow>(
        `SELECT ${COLUMNS} FROM follows WHERE board = ? AND direction = 'inbound' AND state = 'accepted'
         ORDER BY created_at, id`,
      ),
      countFollowers: db
        .prepare<[string], number>(
          "SELECT count(*) FROM follows WHERE board = ? AND direction = 'inbound' AND state = 'accepted'",
        )
        .pluck(),
      inboxes: db
        .prepare<[string], string>(
          `SELECT DISTINCT coalesce(shared_inbox, inbox) AS target FROM follows
           WHERE board = ? AND direction = 'inbound' AND state = 'accepted'
           ORDER BY target`,
        )
        .pluck(),
      removeByDomain: db.prepare<[string]>("DELETE FROM follows WHERE domain = ?"),
      removeByBoard: db.prepare<[string]>("DELETE FROM follows WHERE board = ?"),
      domains: db.prepare<[], { domain: string; count: number }>(
        "SELECT domain, count(*) AS count FROM follows GROUP BY domain ORDER BY domain",
      ),
      pending: db.prepare<[string], FollowRow>(
        `SELECT ${COLUMNS} FROM follows WHERE board = ? AND direction = 'inbound' AND state = 'pending'
         ORDER BY created_at, id`,
      ),
    };
    this.addTx = db.transaction((row: FollowRow) => {
      const refreshed = this.s.refresh.get(row);
      if (refreshed) return { follow: followFromRow(refreshed), created: false };
      conflictOnDuplicate(() => this.s.insert.run(row), "Another follow has this activity id.");
      return { follow: followFromRow(row), created: true };
    });
  }

  async add(follow: Follow): Promise<{ follow: Follow; created: boolean }> {
    return this.addTx.immediate(followToRow(checkedFollow(follow)));
  }

  async accept(actorId: string, objectId: string): Promise<Follow | null> {
    const row = this.s.accept.get(str(actorId, "actorId"), str(objectId, "objectId"));
    return row ? followFromRow(row) : null;
  }

  async remove(actorId: string, objectId: string): Promise<boolean> {
    return this.s.remove.run(str(actorId, "actorId"), str(objectId, "objectId")).changes > 0;
  }

  async get(actorId: string, objectId: string): Promise<Follow | null> {
    const row = this.s.get.get(str(actorId, "actorId"), str(objectId, "objectId"));
    return row ? followFromRow(row) : null;
  }

  async getById(id: string): Promise<Follow | null> {
    const row = this.s.byId.get(str(id, "id"));
    return row ? followFromRow(row) : null;
  }

  async followersOf(board: string): Promise<Follow[]> {
    return this.s.followers.all(str(board, "board")).map(followFromRow);
  }

  async followingOf(board: string): Promise<Follow[]> {
    return this.s.following.all(str(board, "board")).map(followFromRow);
  }

  async countFollowers(board: string): Promise<number> {
    return this.s.countFollowers.get(str(board, "board")) ?? 0;
  }

  async inboxesForBoard(board: string): Promise<string[]> {
    return this.s.inboxes.all(str(board, "board"));
  }

  async removeByDomain(domain: string): Promise<number> {
    return this.s.removeByDomain.run(domainArg(domain)).changes;
  }

  async removeByBoard(board: string): Promise<number> {
    return this.s.removeByBoard.run(str(board, "board")).changes;
  }

  async domains(): Promise<Array<{ domain: string; count: number }>> {
    return this.s.domains.all().map((r) => ({ domain: r.domain, count: r.count }));
  }

  async pendingFollowersOf(board: string): Promise<Follow[]> {
    return this.s.pending.all(str(board, "board")).map(followFromRow);
  }
}
