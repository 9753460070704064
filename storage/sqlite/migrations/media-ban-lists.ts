import type { Migration } from "../migrations.js";

/** Subscribed hash lists, their audit trail, and the peers and tokens this instance's list is offered to. */
export const MEDIA_BAN_LISTS: Migration = {
  version: 19,
  name: "media ban lists",
  sql: `
    CREATE TABLE media_ban_lists (
      id TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      format TEXT NOT NULL CHECK (format IN ('sha256', 'pdq', 'atoll')),
      token TEXT,
      excludes TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      created_by TEXT NOT NULL,
      last_sync_at INTEGER,
      last_status TEXT,
      last_change TEXT
    ) STRICT;
    CREATE TABLE media_ban_list_audit (
      id TEXT PRIMARY KEY,
      at INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      list_id TEXT,
      detail TEXT NOT NULL
    ) STRICT;
    CREATE INDEX media_ban_list_audit_at ON media_ban_list_audit (at);
    CREATE TABLE media_ban_list_peers (
      domain TEXT PRIMARY KEY,
      granted_by TEXT NOT NULL,
      granted_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE media_ban_list_tokens (
      id TEXT PRIMARY KEY,
      label TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;
  `,
};
