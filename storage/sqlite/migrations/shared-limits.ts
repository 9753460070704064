import type { Migration } from "../migrations.js";

/** Counters, cooldown slots and spent tokens that every process on the file shares. */
export const SHARED_LIMITS: Migration = {
  version: 5,
  name: "shared limits",
  sql: `
    -- request and login counts, one row per key and fixed window
    CREATE TABLE limit_counters (
      key TEXT NOT NULL,
      window_start INTEGER NOT NULL,
      count INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (key, window_start)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX limit_counters_expiry ON limit_counters (expires_at);

    -- posting cooldowns: when each slot was last taken, and what to put back if that post fails
    CREATE TABLE limit_slots (
      key TEXT PRIMARY KEY,
      at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      holder TEXT NOT NULL,
      prev_at INTEGER,
      prev_expires_at INTEGER
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX limit_slots_expiry ON limit_slots (expires_at);

    -- single-use tokens (solved captchas), kept until they could no longer be used anyway
    CREATE TABLE spent_tokens (
      token TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX spent_tokens_expiry ON spent_tokens (expires_at);
  `,
};
