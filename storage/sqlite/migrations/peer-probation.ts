import type { Migration } from "../migrations.js";

/**
 * Every remote host seen, from the first time, and its probation; why a held activity waits.
 * Hosts the instance already exchanged anything with count as known since this migration and start
 * without probation: a cached actor, a follow either way, a delivery queued or dropped, a health
 * record, a NodeInfo lookup. Only a host none of these name is new when it first appears.
 */
export const PEER_PROBATION: Migration = {
  version: 17,
  name: "peer probation",
  sql: `
    CREATE TABLE peer_domains (
      domain TEXT PRIMARY KEY,
      first_seen_at INTEGER NOT NULL,
      probation_start INTEGER,
      probation_end INTEGER,
      ended_by TEXT CHECK (ended_by IN ('vouch', 'expiry'))
    ) STRICT, WITHOUT ROWID;
    -- the running probations: started and not recorded as over
    CREATE INDEX peer_domains_running ON peer_domains (probation_start)
      WHERE probation_start IS NOT NULL AND probation_end IS NULL;
    INSERT OR IGNORE INTO peer_domains (domain, first_seen_at)
      SELECT domain, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM (
        SELECT domain FROM remote_actors
        UNION SELECT domain FROM follows
        UNION SELECT domain FROM deliveries
        UNION SELECT domain FROM delivery_inboxes
        UNION SELECT domain FROM dropped_deliveries
        UNION SELECT domain FROM domain_health
        UNION SELECT domain FROM instances
      ) WHERE domain <> '';

    ALTER TABLE held_activities ADD COLUMN reason TEXT NOT NULL DEFAULT 'silenced';
  `,
};
