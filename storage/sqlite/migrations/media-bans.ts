import type { Migration } from "../migrations.js";

/** Files refused at upload and on federated attachments, and the counter other processes watch. */
export const MEDIA_BANS: Migration = {
  version: 16,
  name: "media bans",
  sql: `
    CREATE TABLE media_bans (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('sha256', 'pdq')),
      hash TEXT NOT NULL,
      distance INTEGER,
      reason TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      source TEXT NOT NULL,
      UNIQUE (kind, hash, source)
    ) STRICT;
    CREATE INDEX media_bans_created ON media_bans (created_at);
    CREATE TABLE media_bans_version (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      version INTEGER NOT NULL
    ) STRICT;
    INSERT INTO media_bans_version (id, version) VALUES (1, 0);
  `,
};
