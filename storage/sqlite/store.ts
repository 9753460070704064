import type Database from "better-sqlite3";
import type { DefederationStore } from "../../server/domain/defederation-ports.js";
import type { FederationStore } from "../../server/domain/federation-ports.js";
import type { LimitStore } from "../../server/domain/limit-ports.js";
import type { MediaBanListRepository } from "../../server/domain/media-safety/media-ban-lists.js";
import type { MediaBanRepository } from "../../server/domain/media-safety/media-bans.js";
import type { ModerationLogRepository } from "../../server/domain/moderation-log.js";
import type {
  AppealRepository,
  BanRepository,
  BoardRepository,
  PendingAnnouncements,
  PostingChecks,
  PostRepository,
  PostSearchRepository,
  ReportRepository,
  SessionRepository,
  SettingsRepository,
  Store,
  TokenRepository,
  UserRepository,
} from "../../server/domain/ports.js";
import type { ThreadState } from "../../server/domain/post.js";
import type { HiddenPosterTokenRepository } from "../../server/domain/poster-token.js";
import type { RemoteBanRepository } from "../../server/domain/remote-bans.js";
import type { Ban } from "../../server/domain/staff.js";
import type { HeldPostRepository, WordFilterRepository } from "../../server/domain/word-filters.js";
import { SqlitePendingAnnouncements } from "./announcements.js";
import { SqliteAppealRepository } from "./appeals.js";
import { SqliteBanRepository } from "./bans.js";
import { SqliteBoardRepository } from "./boards.js";
import { type CheckpointerOptions, WalCheckpointer } from "./checkpointer.js";
import { CommitGroup } from "./commit-group.js";
import { type Db, openDatabase } from "./database.js";
import { SqliteDefederationStore } from "./defederation/index.js";
import { SqliteFederationStore } from "./federation/store.js";
import { SqliteHiddenTokens } from "./hidden-tokens.js";
import { SqliteLimitStore } from "./limits.js";
import { SqliteMediaBanLists } from "./media-ban-lists.js";
import { SqliteMediaBans } from "./media-bans.js";
import { migrate } from "./migrations.js";
import { SqliteModerationLog } from "./moderation-log.js";
import { SqlitePostSearch } from "./post-search.js";
import { SqlitePostRepository } from "./posts.js";
import { SqliteRemoteBanRepository } from "./remote-bans.js";
import { SqliteReportRepository } from "./reports.js";
import { SqliteSessionRepository } from "./sessions.js";
import { SqliteSettingsRepository } from "./settings.js";
import { SqliteTokenRepository } from "./tokens.js";
import { SqliteUserRepository } from "./users.js";
import { SqliteHeldPosts, SqliteWordFilters } from "./word-filters.js";

class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly boards: BoardRepository;
  readonly posts: PostRepository;
  readonly search: PostSearchRepository;
  readonly announcements: PendingAnnouncements;
  readonly bans: BanRepository;
  readonly remoteBans: RemoteBanRepository;
  readonly reports: ReportRepository;
  readonly appeals: AppealRepository;
  readonly modLog: ModerationLogRepository;
  readonly hiddenTokens: HiddenPosterTokenRepository;
  readonly mediaBans: MediaBanRepository;
  readonly mediaBanLists: MediaBanListRepository;
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly tokens: TokenRepository;
  readonly settings: SettingsRepository;
  readonly federation: FederationStore;
  readonly defederation: DefederationStore;
  readonly limits: LimitStore;
  readonly wordFilters: WordFilterRepository;
  readonly heldPosts: HeldPostRepository;

  /** Grouped commits of the writes that come in bursts (new posts, inbox records). */
  private readonly group: CommitGroup;
  /** Checkpoints off the thread that commits, once the WAL grows (none for an in-memory database). */
  private readonly checkpointer: WalCheckpointer | null;
  /** Reads a page of the schema table: a closed or unreadable database fails it. */
  private readonly probe: Database.Statement<[], unknown>;
  /** Moves when another connection commits (another process on the same file). */
  private readonly dataVersion: Database.Statement<[], number>;
  /** Rows this connection has changed since it opened: moves with every write of this process. */
  private readonly totalChanges: Database.Statement<[], number>;
  /**
   * postingChecks' reads in one read transaction (one lock taken and released) instead of three.
   * The repositories' reads run their statement as they are called, so each runs inside it; only
   * their answers are awaited after it.
   */
  private readonly checksTx: (
    board: string,
    threadNo: number | null,
    ipHash: string,
    now: number,
  ) => { thread: Promise<ThreadState | null> | null; ban: Promise<Ban | null>; filterVersion: Promise<number> };
  /** Told while a transaction is open, so that nothing read inside one is taken as settled. */
  private opened = 0;

  constructor(
    private readonly db: Db,
    checkpoints: CheckpointerOptions | false = {},
  ) {
    this.group = new CommitGroup(db);
    this.checkpointer = db.memory || checkpoints === false ? null : new WalCheckpointer(db, checkpoints);
    this.boards = new SqliteBoardRepository(db);
    this.posts = new SqlitePostRepository(db, this.group);
    this.search = new SqlitePostSearch(db);
    this.announcements = new SqlitePendingAnnouncements(db, this.group);
    this.bans = new SqliteBanRepository(db);
    this.remoteBans = new SqliteRemoteBanRepository(db);
    this.reports = new SqliteReportRepository(db);
    this.appeals = new SqliteAppealRepository(db);
    this.modLog = new SqliteModerationLog(db);
    this.hiddenTokens = new SqliteHiddenTokens(db);
    this.mediaBans = new SqliteMediaBans(db);
    this.mediaBanLists = new SqliteMediaBanLists(db);
    this.users = new SqliteUserRepository(db);
    this.sessions = new SqliteSessionRepository(db);
    this.tokens = new SqliteTokenRepository(db);
    this.settings = new SqliteSettingsRepository(db);
    this.federation = new SqliteFederationStore(db, this.group);
    this.defederation = new SqliteDefederationStore(db);
    this.limits = new SqliteLimitStore(db, this.group);
    this.wordFilters = new SqliteWordFilters(db);
    this.heldPosts = new SqliteHeldPosts(db);
    this.checksTx = db.transaction((board: string, threadNo: number | null, ipHash: string, now: number) => ({
      thread: threadNo === null ? null : this.posts.getThread(board, threadNo),
      ban: this.bans.findActive(ipHash, board, now),
      filterVersion: this.wordFilters.version(),
    }));
    this.probe = db.prepare("SELECT version FROM schema_migrations LIMIT 1");
    this.dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
    this.totalChanges = db.prepare<[], number>("SELECT total_changes()").pluck();
  }

  /** The three reads of a post's checks, in one read transaction (see checksTx). */
  async postingChecks(board: string, threadNo: number | null, ipHash: string, now: number): Promise<PostingChecks> {
    const reads = this.checksTx(board, threadNo, ipHash, now);
    return { thread: await reads.thread, ban: await reads.ban, filterVersion: await reads.filterVersion };
  }

  /**
   * SQLite's data version (commits by other connections) with this connection's change count
   * (its own writes, counted as each statement completes, so a write rolled back moves it too: the
   * stamp may move without a change, never the other way round).
   */
  changeStamp(): string {
    if (this.db.inTransaction) return `open:${++this.opened}`;
    return `${this.dataVersion.get()}:${this.totalChanges.get()}`;
  }

  async ping(): Promise<void> {
    if (!this.db.open) throw new Error("The database connection is not open");
    this.probe.get();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    // The background thread's connection goes first, so this one, closing last, checkpoints the
    // WAL into the database file and removes it.
    await this.checkpointer?.close();
    if (!this.db.open) return;
    try {
      this.group.flush();
      this.db.pragma("optimize");
    } finally {
      this.db.close();
    }
  }
}

/**
 * Opens the SQLite store at `file` (its directory is created if missing) and brings its schema up
 * to date. The driver is synchronous; the port's async methods simply run it, which is the fastest
 * way to use SQLite from one process. `checkpoints`: how the WAL is checkpointed (see
 * WalCheckpointer), or false to leave it to SQLite on the committing connection.
 */
export function openSqliteStore(file: string, opts: { checkpoints?: CheckpointerOptions | false } = {}): Store {
  const db = openDatabase(file);
  try {
    migrate(db);
    return new SqliteStore(db, opts.checkpoints);
  } catch (e) {
    db.close();
    throw e;
  }
}
