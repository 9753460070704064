import type { HeldActivity, HeldRepository } from "../../../server/domain/defederation-ports.js";
import { DomainError } from "../../../server/domain/errors.js";
import { checkedHeld } from "../../common/defederation.js";
import { domainArg } from "../../common/federation.js";
import type { Db } from "../database.js";

interface Row {
  id: string;
  board: string;
  domain: string;
  actor_id: string;
  activity: string;
  received_at: number;
  reason: string;
}

const fromRow = (r: Row): HeldActivity => ({
  id: r.id,
  board: r.board,
  domain: r.domain,
  actorId: r.actor_id,
  activity: r.activity,
  receivedAt: r.received_at,
  reason: r.reason,
});

/** Held activities on SQLite. */
export class SqliteHeldRepository implements HeldRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      add: db.prepare<[Row]>(
        `INSERT INTO held_activities (id, board, domain, actor_id, activity, received_at, reason)
         VALUES (@id, @board, @domain, @actor_id, @activity, @received_at, @reason) ON CONFLICT (id) DO NOTHING`,
      ),
      get: db.prepare<[string], Row>("SELECT * FROM held_activities WHERE id = ?"),
      all: db.prepare<[], Row>("SELECT * FROM held_activities ORDER BY received_at, id"),
      byBoard: db.prepare<[string], Row>("SELECT * FROM held_activities WHERE board = ? ORDER BY received_at, id"),
      remove: db.prepare<[string]>("DELETE FROM held_activities WHERE id = ?"),
      removeByDomain: db.prepare<[string]>("DELETE FROM held_activities WHERE domain = ?"),
    };
  }

  async add(held: HeldActivity): Promise<boolean> {
    const h = checkedHeld(held);
    return (
      this.s.add.run({
        id: h.id,
        board: h.board,
        domain: h.domain,
        actor_id: h.actorId,
        activity: h.activity,
        received_at: h.receivedAt,
        reason: h.reason ?? "silenced",
      }).changes > 0
    );
  }

  async get(id: string): Promise<HeldActivity | null> {
    if (typeof id !== "string") throw new DomainError("invalid", "id must be a string.");
    const r = this.s.get.get(id);
    return r ? fromRow(r) : null;
  }

  async list(board?: string): Promise<HeldActivity[]> {
    if (board !== undefined && typeof board !== "string") throw new DomainError("invalid", "board must be a string.");
    return (board === undefined ? this.s.all.all() : this.s.byBoard.all(board)).map(fromRow);
  }

  async remove(id: string): Promise<boolean> {
    if (typeof id !== "string") throw new DomainError("invalid", "id must be a string.");
    return this.s.remove.run(id).changes > 0;
  }

  async removeByDomain(domain: string): Promise<number> {
    return this.s.removeByDomain.run(domainArg(domain)).changes;
  }
}
