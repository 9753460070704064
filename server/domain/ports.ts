/**
 * The storage ports the domain owns. `storage/sqlite` and `storage/mongo` implement them and
 * pass one contract suite (test/contract). Every method is async so both adapters fit.
 */
import type { Readable } from "node:stream";
import type { Appeal, AppealDecision } from "./appeal.js";
import type { Board, BoardSettings } from "./board.js";
import type { DefederationStore } from "./defederation-ports.js";
import type { FederationStore } from "./federation-ports.js";
import type { LimitStore } from "./limit-ports.js";
import type { MediaBanListRepository } from "./media-safety/media-ban-lists.js";
import type { MediaBanRepository } from "./media-safety/media-bans.js";
import type { ModerationLogRepository } from "./moderation-log.js";
import type { NewPost, Post, PostFile, PostOrigin, ThreadState, ThreadSummary } from "./post.js";
import type { HiddenPosterTokenRepository } from "./poster-token.js";
import type { RemoteBanRepository } from "./remote-bans.js";
import type { PostSearchQuery } from "./search.js";
import type { ApiToken, Ban, Report, Session, StaffTotp, StaffUser } from "./staff.js";
import type { HeldPostRepository, WordFilterRepository } from "./word-filters.js";

export interface BoardRepository {
  /** Throws DomainError("conflict") when the uri is taken. */
  create(board: Board): Promise<void>;
  get(uri: string): Promise<Board | null>;
  list(): Promise<Board[]>;
  /** Returns the updated board, or null when it does not exist. */
  update(
    uri: string,
    patch: { title?: string; description?: string; settings?: Partial<BoardSettings> },
  ): Promise<Board | null>;
  /** Deletes the board with all its threads and posts; returns the files no post refers to any more. */
  delete(uri: string): Promise<{ deleted: boolean; orphans: string[] }>;
  /** Incremented by every change to any of the board's threads: index and catalog caches key on it. */
  version(uri: string): Promise<number>;
  /** The version with the time of the board's last change (its settings or any thread); null when unknown. */
  stamp(uri: string): Promise<BoardStamp | null>;
  /**
   * The highest post number the board has given out (0 before its first post), or null for an
   * unknown board. Numbers are never reused, so a missing post at or below it was deleted.
   */
  lastNumber(uri: string): Promise<number | null>;
}

export interface BoardStamp {
  version: number;
  /** Milliseconds: the board's last change a reader can see (settings, any thread or post). */
  modifiedAt: number;
}

export type ThreadOrder = "bump" | "created" | "replies";

export interface ListThreadsQuery {
  archived: boolean;
  order: ThreadOrder;
  offset: number;
  limit: number;
}

export interface FileDeletion {
  /** The first file removed; null when nothing was (no such post, no file, no file with that `tim`). */
  file: PostFile | null;
  removed: PostFile[];
  /** The post after the deletion; null when there is no such post. */
  post: Post | null;
  orphans: string[];
}

export interface PostRepository {
  /**
   * A new post's file keeps the `tim` it comes with unless the board already gave out that id or a
   * later one; it then gets the next free one (`tim` is unique within the board, whatever process
   * writes). Its further files (`extraFiles`) take the ids right after the first's. The returned post carries the id stored.
   *
   * Allocates the next board-wide number, stores the OP and its thread, and moves the threads beyond
   * `maxThreads` (by bump order, stickies last to go) to the archive, all in one transaction.
   * Throws DomainError("not_found") for an unknown board.
   */
  createThread(
    board: string,
    post: NewPost,
    limits: { maxThreads: number } & AnnounceOption,
  ): Promise<{ post: Post; archived: number[] }>;

  /**
   * Allocates the next number and stores a reply in one transaction, updating the thread's counts and
   * bump time (no bump when `post.sage` or once the thread has `bumpLimit` replies).
   * Throws DomainError "not_found" (no such thread), "locked" (locked or archived thread) or
   * "forbidden" (the reply has a file and the thread has `imageLimit` images).
   */
  createReply(
    board: string,
    threadNo: number,
    post: NewPost,
    limits: { bumpLimit: number; imageLimit: number } & AnnounceOption,
  ): Promise<Post>;

  /**
   * Gives out `count` consecutive file ids on `board`, the first being `wanted` unless the board already
   * gave out that id or a later one (then one past the last given out), and never gives them out again:
   * for files to be published under their ids before their post is stored (`exactTim`).
   * Throws DomainError("not_found") for an unknown board.
   */
  reserveTims(board: string, count: number, wanted: number): Promise<number>;
  getPost(board: string, no: number): Promise<Post | null>;
  /** Where a post comes from, without its text or file: for the checks made on every inbound reply. */
  getOrigin(board: string, no: number): Promise<PostOrigin | null>;
  getThread(board: string, no: number): Promise<ThreadState | null>;
  /** All posts of a thread, OP first, in number order. */
  getThreadPosts(board: string, no: number): Promise<Post[]>;
  /** Stickies first in bump order; otherwise by `order`, newest/most first. */
  listThreads(board: string, query: ListThreadsQuery): Promise<ThreadSummary[]>;
  countThreads(board: string, archived: boolean): Promise<number>;
  /** The last `n` replies of each thread, oldest first. */
  lastReplies(board: string, threadNos: number[], n: number): Promise<Map<number, Post[]>>;
  /** The file named by `tim` on `board`, if a live post holds it. */
  findFileByTim(board: string, tim: number): Promise<PostFile | null>;
  /**
   * The files of the posts that have any, on every board, live and archived threads alike, in
   * (board, number) order from just after `after` (from the first when null), at most `limit` posts:
   * a walk in pages that posts made or deleted meanwhile do not throw off.
   */
  filesAfter(after: PostKey | null, limit: number): Promise<PostFiles[]>;

  /**
   * Deletes a post; an OP takes its whole thread with it. Returns the deleted posts and the
   * content addresses (originals and thumbnails) that no remaining post refers to.
   */
  deletePost(board: string, no: number): Promise<{ deleted: Post[]; orphans: string[] }>;
  /**
   * Replaces a post's comment and its rendered HTML (an edit by a fediverse author), and its subject
   * when `subject` is given (null clears it), marking its thread and board changed. Returns the
   * updated post, or null when there is no such post.
   */
  updatePostText(
    board: string,
    no: number,
    text: { comment: string; html: string; subject?: string | null },
  ): Promise<Post | null>;
  /**
   * Removes a post's files, or only the one named by `tim` (the next one then moves up to first),
   * keeping the post; it is marked `fileDeleted` once none is left. Returns what was removed, the
   * post as it now is, and the orphaned addresses.
   */
  deleteFile(board: string, no: number, tim?: number): Promise<FileDeletion>;
  /** Sets thread flags; archiving stamps `archivedAt`. Returns the new state, or null. */
  setThreadFlags(
    board: string,
    no: number,
    flags: { sticky?: boolean; locked?: boolean; archived?: boolean },
  ): Promise<ThreadState | null>;
  /** Every content address some post refers to (originals and thumbnails), for media garbage collection. */
  referencedMedia(): Promise<Set<string>>;
  /** The most recent post time from an address on any board, by kind, for cooldowns across restarts. */
  lastPostTime(ipHash: string, kind: "thread" | "reply"): Promise<number | null>;
  /**
   * A board's posts, threads and replies alike, newest (highest number) first, archived threads'
   * included: what the board's outbox lists for followers catching up.
   */
  recentPosts(board: string, offset: number, limit: number): Promise<Post[]>;
  /** How many posts the board holds (what `recentPosts` pages through). */
  countBoardPosts(board: string): Promise<number>;
  /** Posts by an address (for moderators acting on a poster). */
  postsByIpHash(ipHash: string, limit: number): Promise<Post[]>;
  /** A board's posts carrying a poster token, newest first. */
  postsByPosterToken(board: string, token: string, limit: number): Promise<Post[]>;
  countPosts(): Promise<number>;
  /**
   * The distinct fediverse authors (`fediActor`) of the posts held, sorted: domain moderation finds
   * a remote domain's posts through them (its media to drop, its posts to purge).
   */
  remoteAuthors(): Promise<string[]>;
  /** Every post by one of these fediverse authors, by board, then number. */
  listByAuthors(actorIds: string[]): Promise<Post[]>;
}

/**
 * `announce`: the new post is to be announced to the board's followers. It is then recorded as
 * pending in the same transaction (see PendingAnnouncements), so a process that dies before the
 * announcement is queued leaves a record for another to finish the job from.
 */
export interface AnnounceOption {
  announce?: boolean;
  /**
   * Every file of the post keeps exactly the id it comes with (ids from reserveTims, under which its
   * media were already published), or nothing is stored and TimTaken is thrown when a stored post
   * holds one.
   */
  exactTim?: boolean;
}

/**
 * Full-text search over posts' subjects and comments (the comment as typed, not its HTML), kept in
 * step with every post write: a deleted post is never found, an edited one by its new words only.
 */
export interface PostSearchRepository {
  /** Posts holding every word (whole words, case and accents ignored), in the query's order. */
  search(query: PostSearchQuery): Promise<Post[]>;
}

/** A post by its board and number. */
export interface PostKey {
  board: string;
  no: number;
}

/** A post's files, first to last. */
export interface PostFiles extends PostKey {
  files: PostFile[];
}

/** Local posts whose announcement to followers is not queued yet. */
export interface PendingAnnouncements {
  /** Those recorded before `before`, oldest first (a post since deleted may still be listed). */
  list(before: number, limit: number): Promise<PostKey[]>;
  /** Their announcements are queued (or no longer wanted): forgets them. */
  done(posts: PostKey[]): Promise<void>;
}

export interface BanRepository {
  create(ban: Ban): Promise<void>;
  /** The ban in force on `ipHash` for `board` (board-scoped or global) at `now`, if any. */
  findActive(ipHash: string, board: string, now: number): Promise<Ban | null>;
  list(): Promise<Ban[]>;
  delete(id: string): Promise<boolean>;
}

export interface ReportRepository {
  create(report: Report): Promise<void>;
  /** Open reports, newest first; limited to `boards` when given. */
  listOpen(boards: string[] | null): Promise<Report[]>;
  get(id: string): Promise<Report | null>;
  resolve(id: string): Promise<boolean>;
  /** Resolves every open report on a post (after it was dealt with). */
  resolveForPost(board: string, postNo: number): Promise<number>;
}

export interface AppealRepository {
  /** Throws DomainError("conflict") when the ban already has an appeal (or the id is taken). */
  create(appeal: Appeal): Promise<void>;
  get(id: string): Promise<Appeal | null>;
  /** The appeal against a ban, if any. */
  forBan(banId: string): Promise<Appeal | null>;
  /** Appeals newest first: open ones only when `openOnly`; limited to bans of `boards` when given (null-board bans then excluded). */
  list(opts: { openOnly: boolean; boards: string[] | null; limit: number }): Promise<Appeal[]>;
  /** Answers an open appeal; null when there is no such appeal or it was already answered. */
  decide(id: string, decision: AppealDecision): Promise<Appeal | null>;
}

export interface UserRepository {
  /** Throws DomainError("conflict") when the name is taken. */
  create(user: StaffUser): Promise<void>;
  get(username: string): Promise<StaffUser | null>;
  list(): Promise<StaffUser[]>;
  /** `publicName: null` clears the chosen public name. */
  update(
    username: string,
    patch: Partial<Omit<StaffUser, "username" | "createdAt" | "publicName" | "totp">> & {
      publicName?: string | null;
      /** null turns two-factor sign-in off. */
      totp?: StaffTotp | null;
    },
  ): Promise<boolean>;
  /** Records `step` as the newest used code's step if it is newer than the one recorded; false otherwise. */
  useTotpStep(username: string, step: number): Promise<boolean>;
  /** Removes one recovery code's hash from an enabled two-factor sign-in; false when it was not there. */
  useRecoveryCode(username: string, hash: string): Promise<boolean>;
  delete(username: string): Promise<boolean>;
}

export interface SessionRepository {
  create(session: Session): Promise<void>;
  get(idHash: string, now: number): Promise<Session | null>;
  delete(idHash: string): Promise<void>;
  deleteExpired(now: number): Promise<number>;
}

export interface TokenRepository {
  create(token: ApiToken): Promise<void>;
  findByHash(tokenHash: string): Promise<ApiToken | null>;
  list(): Promise<ApiToken[]>;
  delete(id: string): Promise<boolean>;
}

/** Small instance-wide values (generated secrets and the like). */
export interface SettingsRepository {
  get(key: string): Promise<string | null>;
  /** Stores `value` unless the key exists; returns the value in force (so racing starts agree). */
  setIfAbsent(key: string, value: string): Promise<string>;
  set(key: string, value: string): Promise<void>;
}

/** What a local post is checked against before it is written, read together (see Store.postingChecks). */
export interface PostingChecks {
  /** The thread replied to; null for a new thread or when there is no such thread. */
  thread: ThreadState | null;
  /** The ban in force on the poster for the board (as BanRepository.findActive). */
  ban: Ban | null;
  /** The word filters' version (as WordFilterRepository.version). */
  filterVersion: number;
}

export interface Store {
  readonly kind: "sqlite" | "mongodb";
  readonly boards: BoardRepository;
  readonly posts: PostRepository;
  readonly search: PostSearchRepository;
  readonly announcements: PendingAnnouncements;
  readonly bans: BanRepository;
  /** Bans of fediverse accounts. */
  readonly remoteBans: RemoteBanRepository;
  readonly reports: ReportRepository;
  readonly appeals: AppealRepository;
  /** The public moderation log of each board. */
  readonly modLog: ModerationLogRepository;
  /** Poster tokens whose posts staff hide on a board. */
  readonly hiddenTokens: HiddenPosterTokenRepository;
  /** Files refused by hash at upload and on federated attachments. */
  readonly mediaBans: MediaBanRepository;
  /** Subscribed hash lists, and the peers and tokens this instance's list is offered to. */
  readonly mediaBanLists: MediaBanListRepository;
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly tokens: TokenRepository;
  readonly settings: SettingsRepository;
  readonly federation: FederationStore;
  readonly defederation: DefederationStore;
  /** What every process sharing the store enforces together: request counts, cooldowns, spent captchas. */
  readonly limits: LimitStore;
  /** Word filters and their audit trail. */
  readonly wordFilters: WordFilterRepository;
  /** Local posts a word filter held for a moderator. */
  readonly heldPosts: HeldPostRepository;
  /**
   * A value that moves whenever something may have been committed to the store, by this process or
   * another, since it was last read: two equal readings mean nothing changed in between. Synchronous
   * and cheap where the database can tell; absent where it cannot, and callers then read what they
   * need each time.
   */
  changeStamp?(): string;
  /**
   * The thread (when `threadNo` is given), the poster's ban and the filter version, as the three
   * repositories answer them; on SQLite in one read transaction instead of three.
   */
  postingChecks(board: string, threadNo: number | null, ipHash: string, now: number): Promise<PostingChecks>;
  /**
   * A cheap read that reaches the database: resolves while the store can serve, rejects when it
   * cannot (closed, unreadable, unreachable). Readiness probes call it.
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Content-addressed blob storage for media. The local adapter writes under DATA_DIR/media; an
 * S3-compatible adapter implements the same five methods.
 */
export interface MediaStore {
  /** Stores `data` under its sha256 (computed here) atomically; idempotent. */
  put(data: Buffer): Promise<string>;
  /**
   * A stream of the blob and its size, or null when absent. `span`, given the size, may choose a
   * part to stream instead (bytes start..end, both included, within the blob).
   */
  open(
    sha256: string,
    span?: (size: number) => { start: number; end: number } | null,
  ): Promise<{ stream: Readable; size: number } | null>;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
  /** Every stored address, for garbage collection. */
  list(): AsyncIterable<string>;
  /**
   * Present only where media are also served by name straight from the store (a bucket behind
   * MEDIA_URL): makes blob `sha256` readable as `name` (`board/tim.ext`, `board/tims.jpg`), with its
   * content type and cache header. Idempotent.
   */
  publish?(name: string, sha256: string): Promise<void>;
  /** Removes what `publish` made readable under `name`; an absent name is no error. */
  unpublish?(name: string): Promise<void>;
  /** Removes every name published for `board` (the board is deleted). */
  unpublishBoard?(board: string): Promise<void>;
}
