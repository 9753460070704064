/*
 * MongoDB store
 * =============
 *
 * Requirements
 * - MongoDB 6.0 or newer (index pages use `$lookup` with both join fields and a sub-pipeline).
 * - The server MUST run as a replica set, even a single node (`mongod --replSet rs0` then
 *   `rs.initiate()` once): post numbering, thread counters and moderation actions use
 *   multi-document transactions, which a standalone mongod refuses. A sharded cluster works too.
 * - MONGODB_URL names the database in its path (`mongodb://host:27017/atoll?replicaSet=rs0`);
 *   without one the database is "atoll".
 *
 * Consistency
 * - A board's post numbers come from a counter on the board document, incremented inside the
 *   transaction that inserts the post, so numbers are gap-free and a refused post consumes none.
 *   Concurrent posts on one board conflict on that document and the driver retries them.
 * - Indexes are created at every start (a no-op when they exist); unique indexes turn duplicates
 *   into DomainError("conflict").
 * - Federation (federation/): claiming deliveries is one transaction serialised on a lock document,
 *   so two workers never lease one item and per-domain limits hold; key creation, inbox dedupe and
 *   peer health are single atomic upserts.
 * - Defederation (defederation/): every rules change set is one transaction that bumps the rules
 *   counter first, so concurrent change sets serialise and the audit log gets a gap-free order.
 * - Shared limits (limits.ts): request counters, cooldown slots and spent captchas are single
 *   atomic upserts or inserts on unique keys, under TTL indexes, so processes on several hosts
 *   enforce one limit together.
 *
 * Safety
 * - No query or update is built from a caller-chosen field name; string arguments are checked to
 *   be strings and matched with `$eq`, and settings patches only ever set known keys.
 */

import { type Db, MongoClient } from "mongodb";
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
import type { HiddenPosterTokenRepository } from "../../server/domain/poster-token.js";
import type { RemoteBanRepository } from "../../server/domain/remote-bans.js";
import type { HeldPostRepository, WordFilterRepository } from "../../server/domain/word-filters.js";
import { MongoPendingAnnouncements } from "./announcements.js";
import { appealsCollection, ensureAppealIndexes, MongoAppealRepository } from "./appeals.js";
import { MongoBanRepository } from "./bans.js";
import { MongoBoardRepository } from "./boards.js";
import { databaseNameFromUrl } from "./connection.js";
import {
  defederationCollectionsOf,
  ensureDefederationIndexes,
  MongoDefederationStore,
  seedKnownPeers,
} from "./defederation/index.js";
import { COLLECTIONS, collectionsOf } from "./documents.js";
import { federationCollectionsOf } from "./federation/documents.js";
import { ensureFederationIndexes } from "./federation/indexes.js";
import { MongoFederationStore } from "./federation/store.js";
import { MongoHiddenTokens } from "./hidden-tokens.js";
import { ensureIndexes } from "./indexes.js";
import { ensureLimitIndexes, limitCollectionsOf, MongoLimitStore } from "./limits.js";
import { MongoMediaBanLists } from "./media-ban-lists.js";
import { MongoMediaBans } from "./media-bans.js";
import { MongoModerationLog } from "./moderation-log.js";
import { MongoPostSearch } from "./post-search.js";
import { MongoPostRepository } from "./posts.js";
import { ensureRemoteBanIndexes, MongoRemoteBanRepository, remoteBanCollectionOf } from "./remote-bans.js";
import { MongoReportRepository } from "./reports.js";
import { MongoSessionRepository } from "./sessions.js";
import { MongoSettingsRepository } from "./settings.js";
import { MongoTokenRepository } from "./tokens.js";
import { MongoUserRepository } from "./users.js";
import { MongoHeldPosts, MongoWordFilters } from "./word-filters.js";

class MongoStore implements Store {
  readonly kind = "mongodb" as const;
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
  private closed = false;
  private readonly db: Db;

  constructor(
    private readonly client: MongoClient,
    dbName: string,
  ) {
    const db = client.db(dbName);
    this.db = db;
    const c = collectionsOf(db);
    this.boards = new MongoBoardRepository(c);
    this.posts = new MongoPostRepository(client, c);
    this.search = new MongoPostSearch(c);
    this.announcements = new MongoPendingAnnouncements(c);
    this.bans = new MongoBanRepository(c);
    this.remoteBans = new MongoRemoteBanRepository(remoteBanCollectionOf(db));
    this.reports = new MongoReportRepository(c);
    this.appeals = new MongoAppealRepository(appealsCollection(db));
    this.modLog = new MongoModerationLog(db);
    this.hiddenTokens = new MongoHiddenTokens(db);
    this.mediaBans = new MongoMediaBans(db);
    this.mediaBanLists = new MongoMediaBanLists(db);
    this.users = new MongoUserRepository(c);
    this.sessions = new MongoSessionRepository(c);
    this.tokens = new MongoTokenRepository(c);
    this.settings = new MongoSettingsRepository(c);
    this.federation = new MongoFederationStore(client, federationCollectionsOf(db));
    this.defederation = new MongoDefederationStore(client, defederationCollectionsOf(db));
    this.limits = new MongoLimitStore(limitCollectionsOf(db));
    this.wordFilters = new MongoWordFilters(client, db);
    this.heldPosts = new MongoHeldPosts(db);
  }

  async postingChecks(board: string, threadNo: number | null, ipHash: string, now: number): Promise<PostingChecks> {
    const [thread, ban, filterVersion] = await Promise.all([
      threadNo === null ? null : this.posts.getThread(board, threadNo),
      this.bans.findActive(ipHash, board, now),
      this.wordFilters.version(),
    ]);
    return { thread, ban, filterVersion };
  }

  async ping(): Promise<void> {
    // The driver would reconnect a closed client on use: a closed store must say so instead.
    if (this.closed) throw new Error("The MongoDB store is closed");
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}

/** Connects to MongoDB, creates the indexes (federation's, domain moderation's and the limits' too), and returns the store. */
export async function openMongoStore(url: string): Promise<Store> {
  const dbName = databaseNameFromUrl(url);
  const client = new MongoClient(url, { appName: "atoll" });
  await client.connect();
  try {
    await ensureIndexes(collectionsOf(client.db(dbName)));
    await ensureAppealIndexes(appealsCollection(client.db(dbName)));
    await ensureFederationIndexes(federationCollectionsOf(client.db(dbName)));
    await ensureDefederationIndexes(defederationCollectionsOf(client.db(dbName)));
    await seedKnownPeers(client.db(dbName), defederationCollectionsOf(client.db(dbName)), Date.now());
    await ensureLimitIndexes(limitCollectionsOf(client.db(dbName)));
    await ensureRemoteBanIndexes(remoteBanCollectionOf(client.db(dbName)));
    await new MongoModerationLog(client.db(dbName)).ensureIndexes();
    await new MongoHiddenTokens(client.db(dbName)).ensureIndexes();
    await new MongoMediaBans(client.db(dbName)).ensureIndexes();
    await new MongoMediaBanLists(client.db(dbName)).ensureIndexes();
    await new MongoWordFilters(client, client.db(dbName)).ensureIndexes();
    await new MongoHeldPosts(client.db(dbName)).ensureIndexes();
    return new MongoStore(client, dbName);
  } catch (e) {
    await client.close();
    throw e;
  }
}

/**
 * Whether the database the URL names holds Atoll's collections already (opening the store would
 * otherwise create them). Connects and disconnects on its own.
 */
export async function mongoStoreExists(url: string): Promise<boolean> {
  const client = new MongoClient(url, { appName: "atoll" });
  try {
    await client.connect();
    const found = await client.db(databaseNameFromUrl(url)).listCollections({}, { nameOnly: true }).toArray();
    const ours = new Set<string>(Object.values(COLLECTIONS));
    return found.some((c) => ours.has(c.name));
  } finally {
    await client.close();
  }
}
