import type { Migration } from "../migrations.js";

/**
 * Word filters with their audit trail and a version every process watches, the local posts a
 * filter holds for a moderator (the post as it will be written, as JSON). Why a held federated
 * activity waits is a column of held_activities added with peer probation.
 */
export const WORD_FILTERS: Migration = {
  version: 18,
  name: "word filters and held local posts",
  sql: `
    CREATE TABLE word_filters (
      id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      filter TEXT NOT NULL
    ) STRICT;
    CREATE TABLE word_filter_audit (
      id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL,
      filter_id TEXT NOT NULL,
      action TEXT NOT NULL,
      filter TEXT NOT NULL,
      by TEXT NOT NULL,
      at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE word_filter_version (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      version INTEGER NOT NULL
    ) STRICT;
    INSERT INTO word_filter_version (id, version) VALUES (1, 0);
    CREATE TABLE held_posts (
      id TEXT PRIMARY KEY,
      board TEXT NOT NULL,
      thread_no INTEGER,
      reason TEXT NOT NULL,
      post TEXT NOT NULL,
      held_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX held_posts_board ON held_posts (board, held_at);
  `,
};
