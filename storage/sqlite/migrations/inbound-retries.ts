import type { Migration } from "../migrations.js";

/** The inbox's retry queue, and posts whose announcement is not queued yet. */
export const INBOUND_RETRIES: Migration = {
  version: 7,
  name: "inbound retries and pending announcements",
  sql: `
    -- verified activities whose handling failed for a reason that may pass, tried again later;
    -- failed_at is set once they are given up on (kept for an operator to replay)
    CREATE TABLE inbound_retries (
      id TEXT PRIMARY KEY,
      board TEXT,
      signer TEXT NOT NULL,
      body TEXT NOT NULL,
      received_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL,
      leased_until INTEGER,
      last_error TEXT NOT NULL,
      failed_at INTEGER
    ) STRICT;
    CREATE INDEX inbound_retries_due ON inbound_retries (next_attempt_at, id) WHERE failed_at IS NULL;
    CREATE INDEX inbound_retries_failed ON inbound_retries (failed_at) WHERE failed_at IS NOT NULL;

    -- local posts whose announcement to followers is not queued yet, written with the post
    CREATE TABLE announce_pending (
      board TEXT NOT NULL,
      no INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (board, no)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX announce_pending_age ON announce_pending (created_at);
  `,
};
