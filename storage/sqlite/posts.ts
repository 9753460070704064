import { DomainError, TimTaken } from "../../server/domain/errors.js";
import type {
  AnnounceOption,
  FileDeletion,
  ListThreadsQuery,
  PostFiles,
  PostKey,
  PostRepository,
  ThreadOrder,
} from "../../server/domain/ports.js";
import {
  filesOf,
  type NewPost,
  type Post,
  type PostFile,
  type PostOrigin,
  type ThreadState,
  type ThreadSummary,
} from "../../server/domain/post.js";
import { addressesOf } from "../common/addresses.js";
import { withoutFile } from "../common/file-deletion.js";
import { int, intList, nullableStr, num, optBool, page, str } from "../common/guards.js";
import { countLimit } from "../common/limits.js";
import { buildPost } from "../common/new-post.js";
import { prepareAnnounceInsert } from "./announcements.js";
import { CommitGroup } from "./commit-group.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";
import { OrphanFinder } from "./orphans.js";
import { type ListingRow, type PostStatements, preparePostStatements } from "./post-statements.js";
import {
  fileFromRow,
  POST_COLUMNS,
  type PostRow,
  parseFiles,
  postFromRow,
  postRowFromValues,
  postToRow,
  threadFromRow,
  threadRowFromValues,
} from "./rows.js";

const ORDERS: readonly ThreadOrder[] = ["bump", "created", "replies"];

function threadFromListing(row: ListingRow): ThreadState {
  return threadFromRow({
    board: row.t_board,
    no: row.t_no,
    created_at: row.t_created_at,
    bumped_at: row.t_bumped_at,
    reply_count: row.t_reply_count,
    image_count: row.t_image_count,
    sticky: row.t_sticky,
    locked: row.t_locked,
    archived: row.t_archived,
    archived_at: row.t_archived_at,
    version: row.t_version,
    modified_at: row.t_modified_at,
  });
}

function flag(value: boolean | undefined): number | null {
  return value === undefined ? null : value ? 1 : 0;
}

/**
 * Posts and threads on SQLite. Every write runs in an IMMEDIATE transaction that takes the write
 * lock up front (no lock upgrade that could fail under another process), and numbering happens
 * inside it: a refused or failed write consumes no number. New threads and replies share their
 * transaction with the other writes of the same event-loop turn (see CommitGroup), each as its own
 * savepoint.
 */
export class SqlitePostRepository implements PostRepository {
  private readonly s: PostStatements;
  private readonly orphans: OrphanFinder;
  private readonly tx;
  /** Queries by fediverse author, for domain moderation (rare: a scan is fine). */
  private readonly byAuthor;
  private readonly recent;

  /** `group`: new posts of one event-loop turn commit together (see CommitGroup). */
  constructor(
    db: Db,
    private readonly group = new CommitGroup(db),
  ) {
    this.s = preparePostStatements(db);
    this.orphans = new OrphanFinder(db);
    const s = this.s;
    this.byAuthor = {
      authors: db
        .prepare<[], string>("SELECT DISTINCT fedi_actor FROM posts WHERE fedi_actor IS NOT NULL ORDER BY fedi_actor")
        .pluck(),
      posts: db.prepare<[string], PostRow>(
        `SELECT ${POST_COLUMNS} FROM posts WHERE fedi_actor IN (SELECT value FROM json_each(?)) ORDER BY board, no`,
      ),
    };
    this.recent = {
      page: db.prepare<[string, number, number], PostRow>(
        `SELECT ${POST_COLUMNS} FROM posts WHERE board = ? ORDER BY no DESC LIMIT ? OFFSET ?`,
      ),
      count: db.prepare<[string], number>("SELECT count(*) FROM posts WHERE board = ?").pluck(),
    };

    const allocate = (board: string, now: number): number => {
      const no = s.allocate.get(now, board);
      if (no === undefined) throw new DomainError("not_found", `No board /${board}/.`);
      return no;
    };
    const insert = (post: Post, announce: boolean) => {
      conflictOnDuplicate(() => s.insertPost.run(postToRow(post)), `Post ${post.board}/${post.no} already exists.`);
      if (announce) pending.run({ board: post.board, no: post.no, created_at: post.createdAt });
    };
    const pending = prepareAnnounceInsert(db);
    /**
     * The post as given, its file id raised where needed to stay unique within the board; `exact`:
     * refused (TimTaken, the transaction rolled back) instead.
     */
    const withTim = (board: string, input: NewPost, exact: boolean): NewPost => {
      if (!input.file) return input;
      // Further files take the ids right after the first's.
      const take = (f: PostFile, wanted: number): PostFile => {
        const tim = s.takeTim.get(wanted, board);
        return tim === undefined || tim === f.tim ? f : { ...f, tim };
      };
      const extra = input.extraFiles ?? [];
      if (!Array.isArray(extra)) throw new DomainError("invalid", "extraFiles must be a list.");
      const wanted = int(input.file.tim, "file.tim");
      if (exact) {
        const files = [input.file, ...extra];
        for (const f of files) {
          const tim = int(f.tim, "file.tim");
          if (s.fileByTim.get(board, tim) || s.extraFilesByTim.get(board, tim)) throw new TimTaken(tim);
          s.raiseTim.run(tim, board);
        }
        return input;
      }
      return { ...input, file: take(input.file, wanted), extraFiles: extra.map((f) => take(f, 0)) };
    };

    this.tx = {
      createThread: db.transaction(
        (board: string, input: NewPost, maxThreads: number, announce: boolean, exact: boolean) => {
          const no = allocate(board, Date.now());
          const post = buildPost(board, no, no, withTim(board, input, exact));
          s.insertThread.run({ board, no, created_at: post.createdAt });
          insert(post, announce);
          const excess = s.countLive.get(board)! - maxThreads;
          const archived = excess > 0 ? s.archiveOldest.all({ board, n: excess, at: post.createdAt }) : [];
          return { post, archived: archived.sort((a, b) => a - b) };
        },
      ),

      createReply: db.transaction(
        (
          board: string,
          threadNo: number,
          input: NewPost,
          bumpLimit: number,
          imageLimit: number,
          announce: boolean,
          exact: boolean,
        ) => {
          const values = s.getThreadValues.get(board, threadNo);
          if (!values) throw new DomainError("not_found", `No thread ${threadNo} on /${board}/.`);
          const thread = threadRowFromValues(values);
          if (thread.locked || thread.archived) {
            throw new DomainError("locked", thread.archived ? "This thread is archived." : "This thread is locked.");
          }
          if (input.file && thread.image_count >= imageLimit) throw new DomainError("forbidden", "image limit reached");
          const now = Date.now();
          const post = buildPost(board, allocate(board, now), threadNo, withTim(board, input, exact));
          insert(post, announce);
          const bump = !post.sage && thread.reply_count < bumpLimit;
          s.afterReply.run({ board, no: threadNo, images: post.file ? 1 : 0, bump: bump ? post.createdAt : null, now });
          return post;
        },
      ),

      deletePost: db.transaction((board: string, no: number) => {
        const now = Date.now();
        const row = s.getPost.get(board, no);
        if (!row) return { deleted: [] as Post[], orphans: [] as string[] };
        let deleted: Post[];
        if (row.no === row.thread_no) {
          deleted = s.threadPosts.all(board, no).map(postFromRow);
          s.deleteThread.run(board, no); // the posts go with it through the cascade
        } else {
          deleted = [postFromRow(row)];
          s.deletePost.run(board, no);
          s.afterReplyDeleted.run({ board, no: row.thread_no, images: row.file_sha256 === null ? 0 : 1, now });
        }
        s.touchBoard.run(now, board);
        return { deleted, orphans: this.orphans.find(addressesOf(deleted.flatMap(filesOf))) };
      }),

      deleteFile: db.transaction((board: string, no: number, tim: number | undefined) => {
        const row = s.getPost.get(board, no);
        if (!row) return { file: null, removed: [], post: null, orphans: [] as string[] };
        const before = postFromRow(row);
        const { post, removed } = withoutFile(before, tim);
        const [file] = removed;
        if (!file) return { file: null, removed, post: before, orphans: [] as string[] };
        s.setFiles.run(postToRow(post));
        // an OP's image is not counted in imageCount, but the thread still renders differently
        const now = Date.now();
        const images = row.no !== row.thread_no && post.file === null ? 1 : 0;
        s.afterFileDeleted.run({ board, no: row.thread_no, images, now });
        s.touchBoard.run(now, board);
        return { file, removed, post, orphans: this.orphans.find(addressesOf(removed)) };
      }),

      updatePostText: db.transaction(
        (board: string, no: number, comment: string, html: string, subject: string | null | undefined) => {
          const row =
            subject === undefined
              ? s.setText.get({ board, no, comment, html })
              : s.setTextAndSubject.get({ board, no, comment, html, subject });
          if (!row) return null;
          const now = Date.now();
          s.touchThread.run(now, board, row.thread_no);
          s.touchBoard.run(now, board);
          return postFromRow(row);
        },
      ),

      setThreadFlags: db.transaction(
        (board: string, no: number, sticky: number | null, locked: number | null, archived: number | null) => {
          const now = Date.now();
          const row = s.setFlags.get({ board, no, sticky, locked, archived, now });
          if (!row) return null;
          s.touchBoard.run(now, board);
          return threadFromRow(row);
        },
      ),
    };
  }

  async createThread(
    board: string,
    post: NewPost,
    limits: { maxThreads: number } & AnnounceOption,
  ): Promise<{ post: Post; archived: number[] }> {
    const uri = str(board, "board");
    const maxThreads = countLimit(limits.maxThreads, "maxThreads");
    const announce = optBool(limits.announce, "announce") === true;
    const exact = optBool(limits.exactTim, "exactTim") === true;
    return this.group.run(() => this.tx.createThread(uri, post, maxThreads, announce, exact));
  }

  async createReply(
    board: string,
    threadNo: number,
    post: NewPost,
    limits: { bumpLimit: number; imageLimit: number } & AnnounceOption,
  ): Promise<Post> {
    const uri = str(board, "board");
    const thread = int(threadNo, "threadNo");
    const bumpLimit = num(limits.bumpLimit, "bumpLimit");
    const imageLimit = num(limits.imageLimit, "imageLimit");
    const announce = optBool(limits.announce, "announce") === true;
    const exact = optBool(limits.exactTim, "exactTim") === true;
    return this.group.run(() => this.tx.createReply(uri, thread, post, bumpLimit, imageLimit, announce, exact));
  }

  async reserveTims(board: string, count: number, wanted: number): Promise<number> {
    const n = int(count, "count");
    if (n < 1) throw new DomainError("invalid", "count must be at least 1.");
    const first = this.s.reserveTims.get(int(wanted, "wanted"), n - 1, str(board, "board"), n - 1);
    if (first === undefined) throw new DomainError("not_found", `No board /${board}/.`);
    return first;
  }

  async getPost(board: string, no: number): Promise<Post | null> {
    const values = this.s.getPostValues.get(str(board, "board"), int(no, "no"));
    return values ? postFromRow(postRowFromValues(values)) : null;
  }

  async getOrigin(board: string, no: number): Promise<PostOrigin | null> {
    const v = this.s.getOrigin.get(str(board, "board"), int(no, "no"));
    return v ? { board: v[0], no: v[1], threadNo: v[2], apId: v[3], fediActor: v[4] } : null;
  }

  async getThread(board: string, no: number): Promise<ThreadState | null> {
    const values = this.s.getThreadValues.get(str(board, "board"), int(no, "no"));
    return values ? threadFromRow(threadRowFromValues(values)) : null;
  }

  async getThreadPosts(board: string, no: number): Promise<Post[]> {
    return this.s.threadPosts.all(str(board, "board"), int(no, "no")).map(postFromRow);
  }

  async listThreads(board: string, query: ListThreadsQuery): Promise<ThreadSummary[]> {
    if (!ORDERS.includes(query.order)) throw new DomainError("invalid", "Unknown thread order.");
    const { offset, limit } = page(query.offset, query.limit);
    if (limit === 0) return [];
    const stmt = this.s.listing[`${query.archived ? "archived" : "live"}:${query.order}`];
    return stmt
      .all({ board: str(board, "board"), limit, offset })
      .map((row) => ({ state: threadFromListing(row), op: postFromRow(row) }));
  }

  async countThreads(board: string, archived: boolean): Promise<number> {
    return this.s.countThreads.get(str(board, "board"), archived ? 1 : 0) ?? 0;
  }

  async lastReplies(board: string, threadNos: number[], n: number): Promise<Map<number, Post[]>> {
    const nos = intList(threadNos, "threadNos");
    const out = new Map<number, Post[]>(nos.map((no) => [no, []]));
    const count = Math.floor(num(n, "n"));
    if (nos.length === 0 || count <= 0) return out;
    for (const row of this.s.lastReplies.iterate({ board: str(board, "board"), nos: JSON.stringify(nos), n: count })) {
      out.get(row.thread_no)?.push(postFromRow(row));
    }
    return out;
  }

  async findFileByTim(board: string, tim: number): Promise<PostFile | null> {
    const row = this.s.fileByTim.get(str(board, "board"), int(tim, "tim"));
    if (row) return fileFromRow(row);
    const extra = this.s.extraFilesByTim.get(board, tim);
    return extra ? (parseFiles(extra).find((f) => f.tim === tim) ?? null) : null;
  }

  async filesAfter(after: PostKey | null, limit: number): Promise<PostFiles[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    // Board names are never empty, so ("", 0) comes before every post.
    const from = after === null ? { board: "", no: 0 } : { board: str(after.board, "board"), no: int(after.no, "no") };
    return this.s.filesAfter.all({ ...from, limit: max }).map((row) => ({
      board: row.board,
      no: row.no,
      files: filesOf({
        file: fileFromRow(row),
        extraFiles: row.extra_files === null ? [] : parseFiles(row.extra_files),
      }),
    }));
  }

  async deletePost(board: string, no: number): Promise<{ deleted: Post[]; orphans: string[] }> {
    return this.tx.deletePost.immediate(str(board, "board"), int(no, "no"));
  }

  async updatePostText(
    board: string,
    no: number,
    text: { comment: string; html: string; subject?: string | null },
  ): Promise<Post | null> {
    if (text === null || typeof text !== "object") throw new DomainError("invalid", "text must be an object.");
    return this.tx.updatePostText.immediate(
      str(board, "board"),
      int(no, "no"),
      str(text.comment, "comment"),
      str(text.html, "html"),
      text.subject === undefined ? undefined : nullableStr(text.subject, "subject"),
    );
  }

  async deleteFile(board: string, no: number, tim?: number): Promise<FileDeletion> {
    return this.tx.deleteFile.immediate(
      str(board, "board"),
      int(no, "no"),
      tim === undefined ? undefined : int(tim, "tim"),
    );
  }

  async setThreadFlags(
    board: string,
    no: number,
    flags: { sticky?: boolean; locked?: boolean; archived?: boolean },
  ): Promise<ThreadState | null> {
    return this.tx.setThreadFlags.immediate(
      str(board, "board"),
      int(no, "no"),
      flag(optBool(flags.sticky, "sticky")),
      flag(optBool(flags.locked, "locked")),
      flag(optBool(flags.archived, "archived")),
    );
  }

  async referencedMedia(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const { a, b } of this.s.referenced.iterate()) {
      out.add(a);
      out.add(b);
    }
    return out;
  }

  async lastPostTime(ipHash: string, kind: "thread" | "reply"): Promise<number | null> {
    if (kind !== "thread" && kind !== "reply") throw new DomainError("invalid", "Unknown post kind.");
    const stmt = kind === "thread" ? this.s.lastThreadTime : this.s.lastReplyTime;
    return stmt.get(str(ipHash, "ipHash")) ?? null;
  }

  async postsByIpHash(ipHash: string, limit: number): Promise<Post[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    return this.s.byIpHash.all(str(ipHash, "ipHash"), max).map(postFromRow);
  }

  async postsByPosterToken(board: string, token: string, limit: number): Promise<Post[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    return this.s.byPosterToken.all(str(board, "board"), str(token, "token"), max).map(postFromRow);
  }

  async countPosts(): Promise<number> {
    return this.s.countPosts.get() ?? 0;
  }

  async recentPosts(board: string, offset: number, limit: number): Promise<Post[]> {
    const p = page(offset, limit);
    if (p.limit === 0) return [];
    return this.recent.page.all(str(board, "board"), p.limit, p.offset).map(postFromRow);
  }

  async countBoardPosts(board: string): Promise<number> {
    return this.recent.count.get(str(board, "board")) ?? 0;
  }

  async remoteAuthors(): Promise<string[]> {
    return this.byAuthor.authors.all();
  }

  async listByAuthors(actorIds: string[]): Promise<Post[]> {
    if (!Array.isArray(actorIds)) throw new DomainError("invalid", "actorIds must be a list.");
    const ids = [...new Set(actorIds.map((id) => str(id, "actorId")))];
    if (ids.length === 0) return [];
    return this.byAuthor.posts.all(JSON.stringify(ids)).map(postFromRow);
  }
}
