import type { PostSearchRepository } from "../../server/domain/ports.js";
import type { Post } from "../../server/domain/post.js";
import type { PostSearchQuery } from "../../server/domain/search.js";
import type { Db } from "./database.js";
import { type PostRow, postColumnsOf, postFromRow } from "./rows.js";

/** Each word as an FTS5 string: never read as an operator, a column filter or a prefix. */
function matchExpression(words: readonly string[]): string {
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" ");
}

const MATCHING = `SELECT ${postColumnsOf("p")} FROM posts p
  WHERE p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH @match)
  AND p.board IN (SELECT value FROM json_each(@boards))`;

/** Search through the FTS5 index the posts table keeps in step (see the post-search migration). */
export class SqlitePostSearch implements PostSearchRepository {
  private readonly byNumber;
  private readonly byTime;

  constructor(db: Db) {
    this.byNumber = db.prepare<{ match: string; boards: string; before: number; limit: number }, PostRow>(
      `${MATCHING} AND p.no < @before ORDER BY p.no DESC LIMIT @limit`,
    );
    this.byTime = db.prepare<
      { match: string; boards: string; at: number; board: string; no: number; limit: number },
      PostRow
    >(
      `${MATCHING} AND (p.created_at < @at OR (p.created_at = @at AND (p.board < @board OR (p.board = @board AND p.no < @no))))
      ORDER BY p.created_at DESC, p.board DESC, p.no DESC LIMIT @limit`,
    );
  }

  async search(q: PostSearchQuery): Promise<Post[]> {
    if (q.words.length === 0 || q.boards.length === 0 || q.limit < 1) return [];
    const common = { match: matchExpression(q.words), boards: JSON.stringify(q.boards), limit: q.limit };
    const rows =
      q.order === "number"
        ? this.byNumber.all({ ...common, before: q.before ?? Number.MAX_SAFE_INTEGER })
        : this.byTime.all({
            ...common,
            at: q.before?.createdAt ?? Number.MAX_SAFE_INTEGER,
            board: q.before?.board ?? "",
            no: q.before?.no ?? 0,
          });
    return rows.map(postFromRow);
  }
}
