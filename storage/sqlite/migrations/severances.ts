import type { Migration } from "../migrations.js";

/**
 * What domain rules severed (one event per rule change and domain, with the follows it cut), and
 * the public name staff may choose for their actions.
 */
export const SEVERANCES: Migration = {
  version: 13,
  name: "severed relationships, staff public names",
  sql: `
    CREATE TABLE severance_events (
      id TEXT PRIMARY KEY,
      at INTEGER NOT NULL,
      domain TEXT NOT NULL,
      severity TEXT NOT NULL,
      public_reason TEXT NOT NULL,
      origin TEXT NOT NULL,
      followers_lost INTEGER NOT NULL,
      following_lost INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX severance_events_at ON severance_events (at DESC, id DESC);
    CREATE INDEX severance_events_domain ON severance_events (domain, at DESC, id DESC);

    CREATE TABLE severed_relationships (
      event_id TEXT NOT NULL REFERENCES severance_events (id) ON DELETE CASCADE,
      board TEXT NOT NULL,
      direction TEXT NOT NULL,
      state TEXT NOT NULL,
      remote_actor TEXT NOT NULL,
      domain TEXT NOT NULL,
      PRIMARY KEY (event_id, board, direction, remote_actor)
    ) STRICT, WITHOUT ROWID;

    ALTER TABLE users ADD COLUMN public_name TEXT;
  `,
};
