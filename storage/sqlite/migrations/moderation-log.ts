import type { Migration } from "../migrations.js";

/** The public moderation log of each board. */
export const MODERATION_LOG: Migration = {
  version: 12,
  name: "moderation log",
  sql: `
    CREATE TABLE moderation_log (
      id TEXT PRIMARY KEY,
      board TEXT NOT NULL,
      action TEXT NOT NULL,
      post_no INTEGER,
      reason TEXT NOT NULL,
      by TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX moderation_log_board ON moderation_log (board, created_at DESC, id);
  `,
};
