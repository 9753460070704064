import type { InboxDedupe } from "../../../server/domain/federation-ports.js";
import { nonNegativeInt } from "../../common/federation.js";
import { int, str } from "../../common/guards.js";
import { CommitGroup } from "../commit-group.js";
import type { Db } from "../database.js";

export class SqliteInboxDedupe implements InboxDedupe {
  private readonly s;

  /** `group`: records of one event-loop turn commit together (see CommitGroup). */
  constructor(
    db: Db,
    private readonly group = new CommitGroup(db),
  ) {
    this.s = {
      /**
       * Inserts the id, or renews an entry that has expired; an entry still in force is left as it
       * is, so the statement changes no row exactly when the id was already seen.
       */
      record: db.prepare<[{ id: string; now: number; expires: number }]>(
        `INSERT INTO inbox_seen (activity_id, expires_at) VALUES (@id, @expires)
         ON CONFLICT (activity_id) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= @now`,
      ),
      has: db
        .prepare<[{ id: string; now: number }], number>(
          "SELECT 1 FROM inbox_seen WHERE activity_id = @id AND expires_at > @now",
        )
        .pluck(),
      prune: db.prepare<[number]>("DELETE FROM inbox_seen WHERE expires_at <= ?"),
    };
  }

  async seen(activityId: string, now: number, ttlMs: number): Promise<boolean> {
    const at = int(now, "now");
    const params = { id: str(activityId, "activityId"), now: at, expires: at + nonNegativeInt(ttlMs, "ttlMs") };
    return this.group.run(() => this.s.record.run(params).changes === 0);
  }

  async has(activityId: string, now: number): Promise<boolean> {
    return this.s.has.get({ id: str(activityId, "activityId"), now: int(now, "now") }) !== undefined;
  }

  async prune(now: number): Promise<number> {
    return this.s.prune.run(int(now, "now")).changes;
  }
}
