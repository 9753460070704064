import type { Db } from "./database.js";
import { APPEALS } from "./migrations/appeals.js";
import { CHANGE_STAMPS } from "./migrations/change-stamps.js";
import { DELIVERY_ORDER } from "./migrations/delivery-order.js";
import { EXTRA_FILES } from "./migrations/extra-files.js";
import { GROUP_BANS } from "./migrations/group-bans.js";
import { INBOUND_RETRIES } from "./migrations/inbound-retries.js";
import { MEDIA_BAN_LISTS } from "./migrations/media-ban-lists.js";
import { MEDIA_BANS } from "./migrations/media-bans.js";
import { MODERATION_LOG } from "./migrations/moderation-log.js";
import { PEER_PROBATION } from "./migrations/peer-probation.js";
import { POST_GROUP_REPORT_CATEGORY } from "./migrations/post-group-report-category.js";
import { POST_SEARCH } from "./migrations/post-search.js";
import { POSTER_TOKENS } from "./migrations/poster-tokens.js";
import { REMOTE_BANS } from "./migrations/remote-bans.js";
import { SEVERANCES } from "./migrations/severances.js";
import { SHARED_LIMITS } from "./migrations/shared-limits.js";
import { STAFF_TOTP } from "./migrations/staff-totp.js";
import { VIDEO_DURATION } from "./migrations/video-duration.js";
import { WORD_FILTERS } from "./migrations/word-filters.js";

export interface Migration {
  /** Strictly increasing; never renumber or edit a released step, add a new one instead. */
  version: number;
  name: string;
  sql: string;
}

/** The schema, as the ordered steps that build it. Each runs once, in its own transaction. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      CREATE TABLE boards (
        uri TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        settings TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        next_no INTEGER NOT NULL DEFAULT 1,
        version INTEGER NOT NULL DEFAULT 1
      ) STRICT;

      CREATE TABLE threads (
        board TEXT NOT NULL REFERENCES boards (uri) ON DELETE CASCADE,
        no INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        bumped_at INTEGER NOT NULL,
        reply_count INTEGER NOT NULL DEFAULT 0,
        image_count INTEGER NOT NULL DEFAULT 0,
        sticky INTEGER NOT NULL DEFAULT 0,
        locked INTEGER NOT NULL DEFAULT 0,
        archived INTEGER NOT NULL DEFAULT 0,
        archived_at INTEGER,
        version INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (board, no)
      ) STRICT, WITHOUT ROWID;
      -- live pages read the few live threads and sort them; the archive walks this index in bump order
      CREATE INDEX threads_listing ON threads (board, archived, bumped_at);

      CREATE TABLE posts (
        board TEXT NOT NULL,
        no INTEGER NOT NULL,
        thread_no INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        name TEXT NOT NULL,
        trip TEXT,
        capcode TEXT,
        subject TEXT,
        comment TEXT NOT NULL,
        html TEXT NOT NULL,
        quotes TEXT NOT NULL DEFAULT '[]',
        poster_id TEXT,
        sage INTEGER NOT NULL DEFAULT 0,
        file_sha256 TEXT,
        file_thumb_sha256 TEXT,
        file_tim INTEGER,
        file_ext TEXT,
        file_mime TEXT,
        file_name TEXT,
        file_size INTEGER,
        file_width INTEGER,
        file_height INTEGER,
        file_thumb_width INTEGER,
        file_thumb_height INTEGER,
        file_md5 TEXT,
        file_spoiler INTEGER,
        file_deleted INTEGER NOT NULL DEFAULT 0,
        ip_hash TEXT,
        password_hash TEXT,
        ap_id TEXT,
        fedi_actor TEXT,
        PRIMARY KEY (board, no),
        FOREIGN KEY (board, thread_no) REFERENCES threads (board, no) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX posts_thread ON posts (board, thread_no, no);
      CREATE INDEX posts_tim ON posts (board, file_tim) WHERE file_tim IS NOT NULL;
      CREATE INDEX posts_ip ON posts (ip_hash, created_at) WHERE ip_hash IS NOT NULL;
      CREATE INDEX posts_sha256 ON posts (file_sha256) WHERE file_sha256 IS NOT NULL;
      CREATE INDEX posts_thumb_sha256 ON posts (file_thumb_sha256) WHERE file_thumb_sha256 IS NOT NULL;

      CREATE TABLE bans (
        id TEXT PRIMARY KEY,
        ip_hash TEXT NOT NULL,
        board TEXT,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        created_by TEXT NOT NULL,
        post_ref TEXT
      ) STRICT;
      CREATE INDEX bans_ip ON bans (ip_hash);

      CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        board TEXT NOT NULL,
        post_no INTEGER NOT NULL,
        reason TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        ip_hash TEXT,
        resolved INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX reports_open ON reports (resolved, created_at);
      CREATE INDEX reports_post ON reports (board, post_no);

      CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        boards TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_expiry ON sessions (expires_at);
      CREATE INDEX sessions_user ON sessions (username);

      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "federation",
    sql: `
      CREATE TABLE actor_keys (
        actor_id TEXT PRIMARY KEY,
        public_key_pem TEXT NOT NULL,
        private_key_pem TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE remote_actors (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        inbox TEXT NOT NULL,
        shared_inbox TEXT,
        preferred_username TEXT,
        name TEXT,
        summary TEXT,
        url TEXT,
        icon_url TEXT,
        followers TEXT,
        key_id TEXT NOT NULL UNIQUE,
        public_key_pem TEXT NOT NULL,
        domain TEXT NOT NULL,
        fetched_at INTEGER NOT NULL,
        raw TEXT NOT NULL
      ) STRICT;
      CREATE INDEX remote_actors_domain ON remote_actors (domain);

      -- no foreign key to boards: deleting a board must leave its followers readable until the
      -- federation layer has told them (it then calls removeByBoard)
      CREATE TABLE follows (
        actor_id TEXT NOT NULL,
        object_id TEXT NOT NULL,
        id TEXT NOT NULL UNIQUE,
        board TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
        inbox TEXT NOT NULL,
        shared_inbox TEXT,
        domain TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (actor_id, object_id)
      ) STRICT;
      CREATE INDEX follows_board ON follows (board, direction, state, created_at);
      CREATE INDEX follows_domain ON follows (domain);

      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        inbox TEXT NOT NULL,
        domain TEXT NOT NULL,
        body TEXT NOT NULL,
        key_id TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        leased_until INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
      -- a claim walks the due items in this order and stops once it has enough; the index covers
      -- everything it reads, so skipping the items of busy domains never touches the (large) rows
      CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id, leased_until, domain);
      CREATE INDEX deliveries_domain ON deliveries (domain);
      -- only the items under a lease: a claim counts them by domain
      CREATE INDEX deliveries_leased ON deliveries (leased_until, domain) WHERE leased_until IS NOT NULL;

      CREATE TABLE dropped_deliveries (
        id TEXT PRIMARY KEY,
        inbox TEXT NOT NULL,
        domain TEXT NOT NULL,
        key_id TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        dropped_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX dropped_deliveries_time ON dropped_deliveries (dropped_at);

      CREATE TABLE domain_health (
        domain TEXT PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        first_failure_at INTEGER,
        last_failure_at INTEGER,
        last_success_at INTEGER
      ) STRICT;

      CREATE TABLE inbox_seen (
        activity_id TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX inbox_seen_expiry ON inbox_seen (expires_at);

      CREATE TABLE remote_posts (
        ap_id TEXT PRIMARY KEY,
        board TEXT NOT NULL,
        no INTEGER NOT NULL,
        UNIQUE (board, no)
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: "instance software",
    sql: `
      -- what each remote instance runs (its NodeInfo), so a fan-out sends each inbox only the
      -- activities its software reads; software is null until a lookup has succeeded
      CREATE TABLE instances (
        domain TEXT PRIMARY KEY,
        software TEXT,
        version TEXT,
        fetched_at INTEGER NOT NULL,
        last_error TEXT
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: "domain moderation",
    sql: `
      -- instance-wide domain rules; a domain has at most one block and one allow
      CREATE TABLE domain_blocks (
        id TEXT PRIMARY KEY,
        domain TEXT NOT NULL UNIQUE,
        severity TEXT NOT NULL CHECK (severity IN ('noop', 'silence', 'suspend')),
        reject_media INTEGER NOT NULL,
        reject_reports INTEGER NOT NULL,
        private_comment TEXT NOT NULL,
        public_comment TEXT NOT NULL,
        obfuscate INTEGER NOT NULL,
        expires_at INTEGER,
        evidence_url TEXT,
        origin TEXT NOT NULL CHECK (origin IN ('manual', 'subscription')),
        staged_severity TEXT CHECK (staged_severity IN ('noop', 'silence', 'suspend')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE domain_allows (
        id TEXT PRIMARY KEY,
        domain TEXT NOT NULL UNIQUE,
        comment TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- no foreign key to boards, like follows: the rules of a deleted board are the policy layer's to drop
      CREATE TABLE domain_board_rules (
        id TEXT PRIMARY KEY,
        board TEXT NOT NULL,
        domain TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('silence', 'suspend')),
        reject_media INTEGER NOT NULL,
        comment TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (board, domain)
      ) STRICT;

      -- append-only: seq (the rowid) is the order entries were written in, the tie-break between
      -- entries of one moment; the triggers refuse any change to a written entry
      CREATE TABLE domain_audit (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at INTEGER NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        action TEXT NOT NULL,
        domain TEXT NOT NULL,
        before_json TEXT,
        after_json TEXT,
        reason TEXT NOT NULL,
        subscription_id TEXT
      ) STRICT;
      -- both end in the rowid, so newest-first paging is a backwards walk of one index
      CREATE INDEX domain_audit_time ON domain_audit (at);
      CREATE INDEX domain_audit_domain ON domain_audit (domain, at);
      CREATE TRIGGER domain_audit_no_update BEFORE UPDATE ON domain_audit
      BEGIN
        SELECT RAISE(ABORT, 'the domain audit log is append-only');
      END;
      CREATE TRIGGER domain_audit_no_delete BEFORE DELETE ON domain_audit
      BEGIN
        SELECT RAISE(ABORT, 'the domain audit log is append-only');
      END;

      -- moved by every apply; other processes on the file reload their rules when it changes
      CREATE TABLE domain_rules_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
      ) STRICT;
      INSERT INTO domain_rules_version (id, version) VALUES (1, 0);

      CREATE TABLE blocklist_subscriptions (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        format TEXT NOT NULL,
        priority INTEGER NOT NULL,
        excludes TEXT NOT NULL,
        draft INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        last_sync_at INTEGER,
        last_status TEXT,
        last_change TEXT
      ) STRICT;

      CREATE TABLE blocklist_entries (
        subscription_id TEXT NOT NULL REFERENCES blocklist_subscriptions (id) ON DELETE CASCADE,
        domain TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('noop', 'silence', 'suspend')),
        reject_media INTEGER NOT NULL,
        reject_reports INTEGER NOT NULL,
        public_comment TEXT NOT NULL,
        obfuscate INTEGER NOT NULL,
        PRIMARY KEY (subscription_id, domain)
      ) STRICT, WITHOUT ROWID;

      -- one row once an admin has set it; until then the defaults of the code apply
      CREATE TABLE domain_consensus (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        min_sources INTEGER NOT NULL,
        min_share REAL,
        merge TEXT NOT NULL CHECK (merge IN ('strictest', 'mildest')),
        stage_while_followed INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE domain_purges (
        domain TEXT PRIMARY KEY,
        at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX domain_purges_due ON domain_purges (at);

      -- new threads from silenced domains, waiting for a moderator
      CREATE TABLE held_activities (
        id TEXT PRIMARY KEY,
        board TEXT NOT NULL,
        domain TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        activity TEXT NOT NULL,
        received_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX held_activities_board ON held_activities (board, received_at);
      CREATE INDEX held_activities_domain ON held_activities (domain);
    `,
  },
  SHARED_LIMITS,
  DELIVERY_ORDER,
  INBOUND_RETRIES,
  CHANGE_STAMPS,
  GROUP_BANS,
  APPEALS,
  REMOTE_BANS,
  MODERATION_LOG,
  SEVERANCES,
  POST_GROUP_REPORT_CATEGORY,
  POSTER_TOKENS,
  MEDIA_BANS,
  PEER_PROBATION,
  WORD_FILTERS,
  MEDIA_BAN_LISTS,
  POST_SEARCH,
  EXTRA_FILES,
  STAFF_TOTP,
  VIDEO_DURATION,
];

/**
 * Brings the file up to the newest schema. Each step checks and applies itself inside one IMMEDIATE
 * transaction, so two processes opening the same new file cannot both run it, and a failed step
 * leaves nothing half-built. Returns the versions applied now (empty when the file was current).
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const newest = db.prepare<[], { v: number | null }>("SELECT max(version) AS v FROM schema_migrations").get()?.v ?? 0;
  const known = migrations.at(-1)?.version ?? 0;
  if (newest > known) {
    throw new Error(
      `The database schema (version ${newest}) is newer than this build knows (${known}); upgrade Atoll.`,
    );
  }
  const isApplied = db.prepare<[number], { version: number }>(
    "SELECT version FROM schema_migrations WHERE version = ?",
  );
  const record = db.prepare<[number, string, number]>(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
  );
  const applied: number[] = [];
  const step = db.transaction((m: Migration) => {
    if (isApplied.get(m.version)) return;
    db.exec(m.sql);
    record.run(m.version, m.name, Date.now());
    applied.push(m.version);
  });
  for (const m of migrations) step.immediate(m);
  return applied;
}
