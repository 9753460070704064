import type { PendingAnnouncements, PostKey } from "../../server/domain/ports.js";
import { int, page, str } from "../common/guards.js";
import type { CommitGroup } from "./commit-group.js";
import type { Db } from "./database.js";

/** The statement the post transactions record a pending announcement with. */
export function prepareAnnounceInsert(db: Db) {
  return db.prepare<[{ board: string; no: number; created_at: number }]>(
    "INSERT INTO announce_pending (board, no, created_at) VALUES (@board, @no, @created_at) ON CONFLICT DO NOTHING",
  );
}

/**
 * Pending announcements on SQLite (recorded by the post repository, in each post's transaction).
 * Forgetting them joins the store's grouped commit (see CommitGroup): a post's record is removed in
 * the commit of the next posts instead of in a write transaction of its own.
 */
export class SqlitePendingAnnouncements implements PendingAnnouncements {
  private readonly s;
  private readonly doneTx;

  constructor(
    db: Db,
    private readonly group: CommitGroup,
  ) {
    this.s = {
      list: db.prepare<[number, number], PostKey>(
        "SELECT board, no FROM announce_pending WHERE created_at < ? ORDER BY created_at, board, no LIMIT ?",
      ),
      remove: db.prepare<[string, number]>("DELETE FROM announce_pending WHERE board = ? AND no = ?"),
    };
    const s = this.s;
    this.doneTx = db.transaction((posts: PostKey[]) => {
      for (const p of posts) s.remove.run(p.board, p.no);
    });
  }

  async list(before: number, limit: number): Promise<PostKey[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    return this.s.list.all(int(before, "before"), max);
  }

  async done(posts: PostKey[]): Promise<void> {
    const keys = posts.map((p) => ({ board: str(p.board, "board"), no: int(p.no, "no") }));
    if (keys.length > 0) await this.group.run(() => this.doneTx(keys));
  }
}
