import type { Migration } from "../migrations.js";

/** Bans announced by the groups our boards follow, held against the banned accounts' posts on the mirrors. */
export const GROUP_BANS: Migration = {
  version: 9,
  name: "bans announced by followed groups",
  sql: `
    CREATE TABLE group_bans (
      actor_id TEXT NOT NULL,
      group_id TEXT NOT NULL,
      reason TEXT,
      expires_at INTEGER,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (actor_id, group_id)
    ) STRICT, WITHOUT ROWID;
  `,
};
