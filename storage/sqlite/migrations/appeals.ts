import type { Migration } from "../migrations.js";

/** Where reports from other servers came from, the Flags to answer, and ban appeals. */
export const APPEALS: Migration = {
  version: 10,
  name: "report origins and ban appeals",
  sql: `
    -- origin: the reporting server's domain; flag: the Flag (JSON) to answer with a Resolve
    ALTER TABLE reports ADD COLUMN origin TEXT;
    ALTER TABLE reports ADD COLUMN flag TEXT;

    -- one appeal per ban; the ban's scope and reason are kept, as the ban goes when one is accepted
    CREATE TABLE appeals (
      id TEXT PRIMARY KEY,
      ban_id TEXT NOT NULL UNIQUE,
      board TEXT,
      ip_hash TEXT NOT NULL,
      ban_reason TEXT NOT NULL,
      text TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected')),
      created_at INTEGER NOT NULL,
      decided_at INTEGER,
      decision_reason TEXT,
      decided_by TEXT
    ) STRICT;
    CREATE INDEX appeals_listing ON appeals (status, created_at);
  `,
};
