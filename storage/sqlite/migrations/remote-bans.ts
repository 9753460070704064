import type { Migration } from "../migrations.js";

/** Bans of fediverse accounts, by actor id, per board (board set) or instance-wide (board NULL). */
export const REMOTE_BANS: Migration = {
  version: 11,
  name: "remote account bans",
  sql: `
    CREATE TABLE remote_bans (
      id TEXT PRIMARY KEY,
      actor_id TEXT NOT NULL,
      handle TEXT,
      board TEXT,
      reason TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      created_by TEXT NOT NULL,
      delete_posts INTEGER NOT NULL CHECK (delete_posts IN (0, 1))
    ) STRICT;
    CREATE INDEX remote_bans_actor ON remote_bans (actor_id);
  `,
};
