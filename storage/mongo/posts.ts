import type { ClientSession, Filter, MongoClient } from "mongodb";
import { DomainError, TimTaken } from "../../server/domain/errors.js";
import type { AnnounceOption, FileDeletion, ListThreadsQuery, PostRepository } from "../../server/domain/ports.js";
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
import { type Collections, type PostDoc, postDoc, type ThreadDoc, toFile, toPost, toThread } from "./documents.js";
import { conflictOnDuplicate } from "./errors.js";
import { lastRepliesPipeline, listingPipeline, THREAD_ORDERS } from "./listing.js";
import { findOrphans } from "./orphans.js";
import { MongoPostQueries } from "./post-queries.js";
import { inTransaction } from "./transactions.js";

/** In a pipeline update: a thread's `modifiedAt` moved to `now` unless it is later already. */
function laterOf(now: number) {
  return { $max: [{ $ifNull: ["$modifiedAt", "$bumpedAt"] }, now] };
}

/**
 * Posts and threads on MongoDB. Every write that numbers a post or must stay consistent with a
 * thread's counters runs in one transaction (see transactions.ts); string arguments are checked
 * to be strings and matched with `$eq`, so no caller value can act as a query operator.
 */
export class MongoPostRepository extends MongoPostQueries implements PostRepository {
  constructor(
    private readonly client: MongoClient,
    c: Collections,
  ) {
    super(c);
  }

  /**
   * Takes the board's next number (and marks the board changed) inside the transaction, and with a
   * file the board's next file id: the wanted one, or one past the last given out when that is not
   * lower (see PostRepository). Returns the post as it is to be stored.
   */
  private async allocate(
    board: string,
    threadNo: number | null,
    input: NewPost,
    session: ClientSession,
    exact = false,
  ): Promise<Post> {
    const set: Record<string, unknown> = {
      nextNo: { $add: ["$nextNo", 1] },
      version: { $add: ["$version", 1] },
      modifiedAt: { $max: [{ $ifNull: ["$modifiedAt", 0] }, Date.now()] },
    };
    const wanted = input.file ? int(input.file.tim, "file.tim") : null;
    const extra = input.extraFiles ?? [];
    if (!Array.isArray(extra)) throw new DomainError("invalid", "extraFiles must be a list.");
    // Further files take the ids right after the first's: the board's last id moves past all of them.
    const more = input.file ? extra.length : 0;
    if (wanted !== null && exact) {
      // Ids reserved beforehand (reserveTims): kept as they are, refused only when a stored post holds one.
      const tims = [wanted, ...extra.map((f) => int(f.tim, "file.tim"))];
      const holder = await this.c.posts.findOne(
        {
          board: { $eq: board },
          $or: [{ "file.tim": { $in: tims } }, { "extraFiles.tim": { $in: tims } }],
        } as Filter<PostDoc>,
        { session, projection: { _id: 0, file: 1, extraFiles: 1 } },
      );
      if (holder) {
        const held = [holder.file?.tim, ...(holder.extraFiles ?? []).map((f) => f.tim)];
        throw new TimTaken(tims.find((t) => held.includes(t)) ?? wanted);
      }
      set["lastTim"] = { $max: [{ $ifNull: ["$lastTim", 0] }, Math.max(...tims)] };
    } else if (wanted !== null) {
      set["lastTim"] = { $max: [{ $add: [{ $ifNull: ["$lastTim", 0] }, 1 + more] }, wanted + more] };
    }
    const doc = await this.c.boards.findOneAndUpdate({ uri: { $eq: board } }, [{ $set: set }], {
      session,
      returnDocument: "after",
      projection: { _id: 0, nextNo: 1, lastTim: 1 },
    });
    if (!doc) throw new DomainError("not_found", `No board /${board}/.`);
    const no = doc.nextNo - 1;
    const first = doc.lastTim === undefined ? undefined : doc.lastTim - more;
    const post =
      input.file && first !== undefined && !exact
        ? {
            ...input,
            file: first === wanted ? input.file : { ...input.file, tim: first },
            extraFiles: extra.map((f, i) => ({ ...f, tim: first + 1 + i })),
          }
        : input;
    return buildPost(board, no, threadNo ?? no, post);
  }

  private touchBoard(board: string, session: ClientSession, now = Date.now()) {
    return this.c.boards.updateOne(
      { uri: { $eq: board } },
      { $inc: { version: 1 }, $max: { modifiedAt: now } },
      { session },
    );
  }

  async createThread(
    board: string,
    input: NewPost,
    limits: { maxThreads: number } & AnnounceOption,
  ): Promise<{ post: Post; archived: number[] }> {
    const b = str(board, "board");
    const maxThreads = countLimit(limits.maxThreads, "maxThreads");
    const announce = optBool(limits.announce, "announce") === true;
    const exact = optBool(limits.exactTim, "exactTim") === true;
    buildPost(b, 0, 0, input); // refuse a malformed post before opening a transaction
    const work = inTransaction(this.client, async (session) => {
      const post = await this.allocate(b, null, input, session, exact);
      const no = post.no;
      const thread: ThreadState = {
        board: b,
        no,
        createdAt: post.createdAt,
        bumpedAt: post.createdAt,
        replyCount: 0,
        imageCount: 0,
        sticky: false,
        locked: false,
        archived: false,
        archivedAt: null,
        version: 1,
        modifiedAt: post.createdAt,
      };
      await this.c.threads.insertOne({ ...thread }, { session });
      await this.c.posts.insertOne(postDoc(post), { session });
      if (announce) await this.c.announcePending.insertOne({ board: b, no, createdAt: post.createdAt }, { session });
      const live = await this.c.threads.countDocuments({ board: { $eq: b }, archived: false }, { session });
      let archived: number[] = [];
      if (live > maxThreads) {
        const victims = await this.c.threads
          .find({ board: { $eq: b }, archived: false, sticky: false }, { session, projection: { _id: 0, no: 1 } })
          .sort({ bumpedAt: 1, no: 1 })
          .limit(live - maxThreads)
          .toArray();
        archived = victims.map((v) => v.no).sort((x, y) => x - y);
        if (archived.length > 0) {
          await this.c.threads.updateMany(
            { board: { $eq: b }, no: { $in: archived } },
            {
              $set: { archived: true, archivedAt: post.createdAt },
              $inc: { version: 1 },
              $max: { modifiedAt: post.createdAt },
            },
            { session },
          );
        }
      }
      return { post, archived };
    });
    return conflictOnDuplicate(work, "That post number is already taken.");
  }

  async createReply(
    board: string,
    threadNo: number,
    input: NewPost,
    limits: { bumpLimit: number; imageLimit: number } & AnnounceOption,
  ): Promise<Post> {
    const b = str(board, "board");
    const t = int(threadNo, "threadNo");
    const announce = optBool(limits.announce, "announce") === true;
    const exact = optBool(limits.exactTim, "exactTim") === true;
    const bumpLimit = num(limits.bumpLimit, "bumpLimit");
    const imageLimit = num(limits.imageLimit, "imageLimit");
    buildPost(b, 0, t, input);
    const work = inTransaction(this.client, async (session) => {
      const thread = await this.c.threads.findOne({ board: { $eq: b }, no: t }, { session });
      if (!thread) throw new DomainError("not_found", `No thread ${t} on /${b}/.`);
      if (thread.locked || thread.archived) {
        throw new DomainError("locked", thread.archived ? "This thread is archived." : "This thread is locked.");
      }
      if (input.file && thread.imageCount >= imageLimit) throw new DomainError("forbidden", "image limit reached");
      const post = await this.allocate(b, t, input, session, exact);
      await this.c.posts.insertOne(postDoc(post), { session });
      if (announce) {
        await this.c.announcePending.insertOne({ board: b, no: post.no, createdAt: post.createdAt }, { session });
      }
      const bump = !post.sage && thread.replyCount < bumpLimit;
      await this.c.threads.updateOne(
        { board: { $eq: b }, no: t },
        {
          $inc: { replyCount: 1, imageCount: post.file ? 1 : 0, version: 1 },
          // $max: a reply stamped before the last bump (clock skew) never sinks the thread
          $max: bump
            ? { bumpedAt: post.createdAt, modifiedAt: Math.max(post.createdAt, Date.now()) }
            : { modifiedAt: Date.now() },
        },
        { session },
      );
      return post;
    });
    return conflictOnDuplicate(work, "That post number is already taken.");
  }

  async reserveTims(board: string, count: number, wanted: number): Promise<number> {
    const n = int(count, "count");
    if (n < 1) throw new DomainError("invalid", "count must be at least 1.");
    const w = int(wanted, "wanted");
    const next = { $max: [{ $add: [{ $ifNull: ["$lastTim", 0] }, 1] }, w] };
    const doc = await this.c.boards.findOneAndUpdate(
      { uri: { $eq: str(board, "board") } },
      [{ $set: { lastTim: { $add: [next, n - 1] } } }],
      { returnDocument: "after", projection: { _id: 0, lastTim: 1 } },
    );
    if (!doc) throw new DomainError("not_found", `No board /${board}/.`);
    return (doc.lastTim ?? 0) - (n - 1);
  }

  async getPost(board: string, no: number): Promise<Post | null> {
    const doc = await this.c.posts.findOne({ board: { $eq: str(board, "board") }, no: int(no, "no") });
    return doc ? toPost(doc) : null;
  }

  async getOrigin(board: string, no: number): Promise<PostOrigin | null> {
    const doc = await this.c.posts.findOne(
      { board: { $eq: str(board, "board") }, no: int(no, "no") },
      { projection: { _id: 0, board: 1, no: 1, threadNo: 1, apId: 1, fediActor: 1 } },
    );
    return doc
      ? {
          board: doc.board,
          no: doc.no,
          threadNo: doc.threadNo,
          apId: doc.apId ?? null,
          fediActor: doc.fediActor ?? null,
        }
      : null;
  }

  async getThread(board: string, no: number): Promise<ThreadState | null> {
    const doc = await this.c.threads.findOne({ board: { $eq: str(board, "board") }, no: int(no, "no") });
    return doc ? toThread(doc) : null;
  }

  async getThreadPosts(board: string, no: number): Promise<Post[]> {
    const docs = await this.c.posts
      .find({ board: { $eq: str(board, "board") }, threadNo: int(no, "no") })
      .sort({ no: 1 })
      .toArray();
    return docs.map(toPost);
  }

  async listThreads(board: string, query: ListThreadsQuery): Promise<ThreadSummary[]> {
    if (!THREAD_ORDERS.includes(query.order)) throw new DomainError("invalid", "Unknown thread order.");
    const { offset, limit } = page(query.offset, query.limit);
    if (limit === 0) return [];
    const pipeline = listingPipeline(str(board, "board"), query.archived === true, query.order, offset, limit);
    const rows = await this.c.threads.aggregate<ThreadDoc & { op: PostDoc[] }>(pipeline).toArray();
    const out: ThreadSummary[] = [];
    for (const row of rows) {
      const op = row.op[0];
      if (op) out.push({ state: toThread(row), op: toPost(op) });
    }
    return out;
  }

  async countThreads(board: string, archived: boolean): Promise<number> {
    return this.c.threads.countDocuments({ board: { $eq: str(board, "board") }, archived: archived === true });
  }

  async lastReplies(board: string, threadNos: number[], n: number): Promise<Map<number, Post[]>> {
    const nos = intList(threadNos, "threadNos");
    const out = new Map<number, Post[]>(nos.map((no) => [no, []]));
    const count = Math.floor(num(n, "n"));
    if (nos.length === 0 || count <= 0) return out;
    const rows = await this.c.threads
      .aggregate<{ no: number; replies: PostDoc[] }>(lastRepliesPipeline(str(board, "board"), nos, count))
      .toArray();
    for (const row of rows) out.set(row.no, row.replies.map(toPost).reverse());
    return out;
  }

  async findFileByTim(board: string, tim: number): Promise<PostFile | null> {
    const t = int(tim, "tim");
    const b = { $eq: str(board, "board") };
    const doc = await this.c.posts.findOne({ board: b, "file.tim": t } as Filter<PostDoc>, {
      projection: { _id: 0, file: 1 },
    });
    if (doc) return toFile(doc.file);
    const extra = await this.c.posts.findOne({ board: b, "extraFiles.tim": t } as Filter<PostDoc>, {
      projection: { _id: 0, extraFiles: 1 },
    });
    return toFile(extra?.extraFiles?.find((f) => f.tim === t));
  }

  async deletePost(board: string, no: number): Promise<{ deleted: Post[]; orphans: string[] }> {
    const b = str(board, "board");
    const n = int(no, "no");
    return inTransaction(this.client, async (session) => {
      const doc = await this.c.posts.findOne({ board: { $eq: b }, no: n }, { session });
      if (!doc) return { deleted: [], orphans: [] };
      let deleted: Post[];
      if (doc.no === doc.threadNo) {
        const docs = await this.c.posts
          .find({ board: { $eq: b }, threadNo: n }, { session })
          .sort({ no: 1 })
          .toArray();
        deleted = docs.map(toPost);
        await this.c.posts.deleteMany({ board: { $eq: b }, threadNo: n }, { session });
        await this.c.threads.deleteOne({ board: { $eq: b }, no: n }, { session });
      } else {
        deleted = [toPost(doc)];
        await this.c.posts.deleteOne({ board: { $eq: b }, no: n }, { session });
        const images = doc.file ? 1 : 0;
        await this.c.threads.updateOne(
          { board: { $eq: b }, no: doc.threadNo },
          [
            {
              $set: {
                replyCount: { $max: [0, { $subtract: ["$replyCount", 1] }] },
                imageCount: { $max: [0, { $subtract: ["$imageCount", images] }] },
                version: { $add: ["$version", 1] },
                modifiedAt: laterOf(Date.now()),
              },
            },
          ],
          { session },
        );
      }
      await this.touchBoard(b, session);
      const files = deleted.flatMap(filesOf);
      return { deleted, orphans: await findOrphans(this.c.posts, addressesOf(files), session) };
    });
  }

  async updatePostText(
    board: string,
    no: number,
    text: { comment: string; html: string; subject?: string | null },
  ): Promise<Post | null> {
    if (text === null || typeof text !== "object") throw new DomainError("invalid", "text must be an object.");
    const b = str(board, "board");
    const n = int(no, "no");
    const comment = str(text.comment, "comment");
    const html = str(text.html, "html");
    const set =
      text.subject === undefined ? { comment, html } : { comment, html, subject: nullableStr(text.subject, "subject") };
    return inTransaction(this.client, async (session) => {
      const doc = await this.c.posts.findOneAndUpdate(
        { board: { $eq: b }, no: n },
        { $set: set },
        { session, returnDocument: "after" },
      );
      if (!doc) return null;
      await this.c.threads.updateOne(
        { board: { $eq: b }, no: doc.threadNo },
        { $inc: { version: 1 }, $max: { modifiedAt: Date.now() } },
        { session },
      );
      await this.touchBoard(b, session);
      return toPost(doc);
    });
  }

  async deleteFile(board: string, no: number, tim?: number): Promise<FileDeletion> {
    const b = str(board, "board");
    const n = int(no, "no");
    const t = tim === undefined ? undefined : int(tim, "tim");
    return inTransaction(this.client, async (session) => {
      const doc = await this.c.posts.findOne({ board: { $eq: b }, no: n }, { session });
      if (!doc) return { file: null, removed: [], post: null, orphans: [] };
      const before = toPost(doc);
      const { post, removed } = withoutFile(before, t);
      const [file] = removed;
      if (!file) return { file: null, removed, post: before, orphans: [] };
      await this.c.posts.updateOne(
        { board: { $eq: b }, no: n },
        { $set: { file: post.file, extraFiles: post.extraFiles, fileDeleted: post.fileDeleted } },
        { session },
      );
      // an OP's image is not counted; a reply counts once, however many files it has
      const images = doc.no !== doc.threadNo && post.file === null ? 1 : 0;
      await this.c.threads.updateOne(
        { board: { $eq: b }, no: doc.threadNo },
        [
          {
            $set: {
              imageCount: { $max: [0, { $subtract: ["$imageCount", images] }] },
              version: { $add: ["$version", 1] },
              modifiedAt: laterOf(Date.now()),
            },
          },
        ],
        { session },
      );
      await this.touchBoard(b, session);
      return { file, removed, post, orphans: await findOrphans(this.c.posts, addressesOf(removed), session) };
    });
  }

  async setThreadFlags(
    board: string,
    no: number,
    flags: { sticky?: boolean; locked?: boolean; archived?: boolean },
  ): Promise<ThreadState | null> {
    const b = str(board, "board");
    const n = int(no, "no");
    const sticky = optBool(flags.sticky, "sticky");
    const locked = optBool(flags.locked, "locked");
    const archived = optBool(flags.archived, "archived");
    const now = Date.now();
    // A pipeline update, so archiving keeps the first archivedAt; only booleans and numbers go in.
    const set: Record<string, unknown> = { version: { $add: ["$version", 1] }, modifiedAt: laterOf(now) };
    if (sticky !== undefined) set["sticky"] = { $literal: sticky };
    if (locked !== undefined) set["locked"] = { $literal: locked };
    if (archived === true) {
      set["archived"] = { $literal: true };
      set["archivedAt"] = { $cond: [{ $eq: ["$archived", true] }, "$archivedAt", now] };
    } else if (archived === false) {
      set["archived"] = { $literal: false };
      set["archivedAt"] = { $literal: null };
    }
    return inTransaction(this.client, async (session) => {
      const doc = await this.c.threads.findOneAndUpdate({ board: { $eq: b }, no: n }, [{ $set: set }], {
        session,
        returnDocument: "after",
      });
      if (!doc) return null;
      await this.touchBoard(b, session);
      return toThread(doc);
    });
  }
}
