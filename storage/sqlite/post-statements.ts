import type { ThreadOrder } from "../../server/domain/ports.js";
import type { Db } from "./database.js";
import {
  FILE_COLUMNS,
  type FileRow,
  POST_COLUMNS,
  POST_PARAMS,
  type PostRow,
  postColumnsOf,
  THREAD_COLUMNS,
  type ThreadRow,
} from "./rows.js";

/** A post's key and files, for walking every post's files. */
export type FilesRow = FileRow & Pick<PostRow, "board" | "no" | "extra_files">;

/** A listing row: the OP's columns plus the thread's, prefixed `t_`. */
export type ListingRow = PostRow & { [K in keyof ThreadRow as `t_${K}`]: ThreadRow[K] };

const ORDER_COLUMN: Record<ThreadOrder, string> = {
  bump: "t.bumped_at",
  created: "t.created_at",
  replies: "t.reply_count",
};

function listingSql(archived: boolean, order: ThreadOrder): string {
  const threadCols = THREAD_COLUMNS.split(", ")
    .map((c) => `t.${c} AS t_${c}`)
    .join(", ");
  // The index restricts a live page to the live threads (a few hundred at most, sorted in memory)
  // rather than every thread the board ever archived; the archive walks it in bump order.
  // Live listings put stickies first, among themselves in bump order; the archive has no stickies.
  const stickyFirst = archived ? "" : "t.sticky DESC, (CASE WHEN t.sticky = 1 THEN t.bumped_at ELSE 0 END) DESC, ";
  return `SELECT ${postColumnsOf("p")}, ${threadCols}
    FROM threads t INDEXED BY threads_listing JOIN posts p ON p.board = t.board AND p.no = t.no
    WHERE t.board = @board AND t.archived = ${archived ? 1 : 0}
    ORDER BY ${stickyFirst}${ORDER_COLUMN[order]} DESC, t.no DESC
    LIMIT @limit OFFSET @offset`;
}

/** Every statement the post repository runs, prepared once when the store opens. */
export function preparePostStatements(db: Db) {
  const listing = {} as Record<`${"live" | "archived"}:${ThreadOrder}`, ReturnType<typeof prepareListing>>;
  function prepareListing(archived: boolean, order: ThreadOrder) {
    return db.prepare<[{ board: string; limit: number; offset: number }], ListingRow>(listingSql(archived, order));
  }
  for (const order of Object.keys(ORDER_COLUMN) as ThreadOrder[]) {
    listing[`live:${order}`] = prepareListing(false, order);
    listing[`archived:${order}`] = prepareListing(true, order);
  }

  return {
    listing,
    /** Takes the board's next number and marks the board changed (at `now`), in one statement. */
    allocate: db
      .prepare<[number, string], number>(
        `UPDATE boards SET next_no = next_no + 1, version = version + 1, modified_at = max(modified_at, ?)
         WHERE uri = ? RETURNING next_no - 1`,
      )
      .pluck(),
    /**
     * The board's next file id: the wanted one (milliseconds), or one past the last given out when
     * that is not lower, so two posts in one millisecond, or from two processes, never share one.
     */
    takeTim: db
      .prepare<[number, string], number>(
        "UPDATE boards SET last_tim = max(last_tim + 1, ?) WHERE uri = ? RETURNING last_tim",
      )
      .pluck(),
    /** `n` consecutive file ids from the wanted one (or past the last given out): see reserveTims. */
    reserveTims: db
      .prepare<[number, number, string, number], number>(
        "UPDATE boards SET last_tim = max(last_tim + 1, ?) + ? WHERE uri = ? RETURNING last_tim - ?",
      )
      .pluck(),
    /** Keeps the board's last file id at or past one stored as asked (`exactTim`). */
    raiseTim: db.prepare<[number, string]>("UPDATE boards SET last_tim = max(last_tim, ?) WHERE uri = ?"),
    touchBoard: db.prepare<[number, string]>(
      "UPDATE boards SET version = version + 1, modified_at = max(modified_at, ?) WHERE uri = ?",
    ),
    insertPost: db.prepare<[PostRow]>(`INSERT INTO posts (${POST_COLUMNS}) VALUES (${POST_PARAMS})`),
    insertThread: db.prepare<[{ board: string; no: number; created_at: number }]>(
      `INSERT INTO threads (board, no, created_at, bumped_at, modified_at)
       VALUES (@board, @no, @created_at, @created_at, @created_at)`,
    ),
    countLive: db.prepare<[string], number>("SELECT count(*) FROM threads WHERE board = ? AND archived = 0").pluck(),
    archiveOldest: db
      .prepare<[{ board: string; n: number; at: number }], number>(
        `UPDATE threads SET archived = 1, archived_at = @at, version = version + 1, modified_at = max(modified_at, @at)
       WHERE board = @board AND no IN (
         SELECT no FROM threads WHERE board = @board AND archived = 0 AND sticky = 0
         ORDER BY bumped_at ASC, no ASC LIMIT @n)
       RETURNING no`,
      )
      .pluck(),
    /** Bumps with max() so a reply stamped earlier than the last bump (clock skew) never sinks the thread. */
    afterReply: db.prepare<[{ board: string; no: number; images: number; bump: number | null; now: number }]>(
      `UPDATE threads SET reply_count = reply_count + 1, image_count = image_count + @images,
         bumped_at = CASE WHEN @bump IS NULL THEN bumped_at ELSE max(bumped_at, @bump) END, version = version + 1,
         modified_at = max(modified_at, @now, CASE WHEN @bump IS NULL THEN 0 ELSE @bump END)
       WHERE board = @board AND no = @no`,
    ),
    afterReplyDeleted: db.prepare<[{ board: string; no: number; images: number; now: number }]>(
      `UPDATE threads SET reply_count = max(reply_count - 1, 0), image_count = max(image_count - @images, 0),
         version = version + 1, modified_at = max(modified_at, @now)
       WHERE board = @board AND no = @no`,
    ),
    afterFileDeleted: db.prepare<[{ board: string; no: number; images: number; now: number }]>(
      `UPDATE threads SET image_count = max(image_count - @images, 0), version = version + 1,
         modified_at = max(modified_at, @now)
       WHERE board = @board AND no = @no`,
    ),
    getPost: db.prepare<[string, number], PostRow>(`SELECT ${POST_COLUMNS} FROM posts WHERE board = ? AND no = ?`),
    getOrigin: db
      .prepare<[string, number], [string, number, number, string | null, string | null]>(
        "SELECT board, no, thread_no, ap_id, fedi_actor FROM posts WHERE board = ? AND no = ?",
      )
      .raw(true),
    getThread: db.prepare<[string, number], ThreadRow>(
      `SELECT ${THREAD_COLUMNS} FROM threads WHERE board = ? AND no = ?`,
    ),
    /** getPost and getThread as values (see postRowFromValues), for the reads on every post. */
    getPostValues: db
      .prepare<[string, number], unknown[]>(`SELECT ${POST_COLUMNS} FROM posts WHERE board = ? AND no = ?`)
      .raw(true),
    getThreadValues: db
      .prepare<[string, number], unknown[]>(`SELECT ${THREAD_COLUMNS} FROM threads WHERE board = ? AND no = ?`)
      .raw(true),
    threadPosts: db.prepare<[string, number], PostRow>(
      `SELECT ${POST_COLUMNS} FROM posts WHERE board = ? AND thread_no = ? ORDER BY no`,
    ),
    countThreads: db
      .prepare<[string, number], number>("SELECT count(*) FROM threads WHERE board = ? AND archived = ?")
      .pluck(),
    /*
     * For each wanted thread, the number of its n-th newest reply is found by walking the
     * (board, thread_no, no) index backwards n steps; then one range scan per thread reads exactly
     * those replies. Cost is O(n) per thread however long the thread is, and it is one statement.
     * CROSS JOIN pins the wanted threads as the outer loop (SQLite never reorders it), and INDEXED BY
     * keeps the planner from range-scanning the primary key on `no` instead. `from_no` is the only
     * bound on `no` (replies always number above their OP), so the range starts right at it.
     */
    lastReplies: db.prepare<[{ board: string; nos: string; n: number }], PostRow>(
      `WITH wanted(thread_no) AS (SELECT DISTINCT value FROM json_each(@nos)),
       cut AS MATERIALIZED (
         SELECT w.thread_no,
           coalesce((SELECT q.no FROM posts q WHERE q.board = @board AND q.thread_no = w.thread_no AND q.no > w.thread_no
                     ORDER BY q.no DESC LIMIT 1 OFFSET @n - 1), w.thread_no + 1) AS from_no
         FROM wanted w)
       SELECT ${postColumnsOf("p")} FROM cut
       CROSS JOIN posts p INDEXED BY posts_thread ON p.board = @board AND p.thread_no = cut.thread_no AND p.no >= cut.from_no
       ORDER BY p.thread_no, p.no`,
    ),
    fileByTim: db.prepare<[string, number], FileRow>(
      `SELECT ${FILE_COLUMNS} FROM posts WHERE board = ? AND file_tim = ? LIMIT 1`,
    ),
    extraFilesByTim: db
      .prepare<[string, number], string | null>(
        `SELECT p.extra_files FROM post_extra_files e
         JOIN posts p ON p.board = e.board AND p.no = e.no
         WHERE e.board = ? AND e.tim = ? LIMIT 1`,
      )
      .pluck(),
    /** A page of posts with files after a (board, no), walking the primary key. */
    filesAfter: db.prepare<[{ board: string; no: number; limit: number }], FilesRow>(
      `SELECT board, no, ${FILE_COLUMNS}, extra_files FROM posts
       WHERE (board, no) > (@board, @no) AND file_sha256 IS NOT NULL ORDER BY board, no LIMIT @limit`,
    ),
    setFiles: db.prepare<[PostRow]>(
      `UPDATE posts SET ${[...FILE_COLUMNS.split(", "), "file_deleted", "extra_files"].map((c) => `${c} = @${c}`).join(", ")}
       WHERE board = @board AND no = @no`,
    ),
    deleteThread: db.prepare<[string, number]>("DELETE FROM threads WHERE board = ? AND no = ?"),
    deletePost: db.prepare<[string, number]>("DELETE FROM posts WHERE board = ? AND no = ?"),
    setText: db.prepare<[{ board: string; no: number; comment: string; html: string }], PostRow>(
      `UPDATE posts SET comment = @comment, html = @html WHERE board = @board AND no = @no RETURNING ${POST_COLUMNS}`,
    ),
    setTextAndSubject: db.prepare<
      [{ board: string; no: number; comment: string; html: string; subject: string | null }],
      PostRow
    >(
      `UPDATE posts SET comment = @comment, html = @html, subject = @subject WHERE board = @board AND no = @no
       RETURNING ${POST_COLUMNS}`,
    ),
    touchThread: db.prepare<[number, string, number]>(
      "UPDATE threads SET version = version + 1, modified_at = max(modified_at, ?) WHERE board = ? AND no = ?",
    ),
    setFlags: db.prepare<
      [
        {
          board: string;
          no: number;
          sticky: number | null;
          locked: number | null;
          archived: number | null;
          now: number;
        },
      ],
      ThreadRow
    >(
      `UPDATE threads SET
         sticky = coalesce(@sticky, sticky),
         locked = coalesce(@locked, locked),
         archived_at = CASE WHEN @archived IS NULL THEN archived_at
                            WHEN @archived = 1 THEN CASE WHEN archived = 1 THEN archived_at ELSE @now END
                            ELSE NULL END,
         archived = coalesce(@archived, archived),
         version = version + 1,
         modified_at = max(modified_at, @now)
       WHERE board = @board AND no = @no
       RETURNING ${THREAD_COLUMNS}`,
    ),
    referenced: db.prepare<[], { a: string; b: string }>(
      "SELECT file_sha256 AS a, file_thumb_sha256 AS b FROM posts WHERE file_sha256 IS NOT NULL " +
        "UNION ALL SELECT sha256, thumb_sha256 FROM post_extra_files",
    ),
    lastThreadTime: db
      .prepare<[string], number>(
        "SELECT created_at FROM posts WHERE ip_hash = ? AND no = thread_no ORDER BY created_at DESC LIMIT 1",
      )
      .pluck(),
    lastReplyTime: db
      .prepare<[string], number>(
        "SELECT created_at FROM posts WHERE ip_hash = ? AND no <> thread_no ORDER BY created_at DESC LIMIT 1",
      )
      .pluck(),
    byIpHash: db.prepare<[string, number], PostRow>(
      `SELECT ${POST_COLUMNS} FROM posts WHERE ip_hash = ? ORDER BY created_at DESC, board, no DESC LIMIT ?`,
    ),
    byPosterToken: db.prepare<[string, string, number], PostRow>(
      `SELECT ${POST_COLUMNS} FROM posts WHERE board = ? AND poster_token = ? ORDER BY no DESC LIMIT ?`,
    ),
    countPosts: db.prepare<[], number>("SELECT count(*) FROM posts").pluck(),
  };
}

export type PostStatements = ReturnType<typeof preparePostStatements>;
