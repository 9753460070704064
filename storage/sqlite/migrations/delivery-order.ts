import type { Migration } from "../migrations.js";

/**
 * Version 6: the delivery queue keeps each inbox's items in the order they were queued and
 * schedules the inbox rather than each item; leases name a registered worker; dropped deliveries
 * keep their bodies and a number of their own; a dead domain's next probe is recorded.
 */
export const DELIVERY_ORDER: Migration = {
  version: 6,
  name: "delivery order per inbox, worker leases, replayable drops",
  sql: `
      -- items keep the order they were queued in (seq, never reused); the queue order of items that
      -- were already waiting is their creation order
      CREATE TABLE delivery_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        inbox TEXT NOT NULL,
        domain TEXT NOT NULL,
        body TEXT NOT NULL,
        key_id TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO delivery_items (id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at)
        SELECT id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at
        FROM deliveries ORDER BY created_at, rowid;

      -- one row per inbox with a backlog: its schedule, its lease and its failure run
      CREATE TABLE delivery_inboxes (
        inbox TEXT PRIMARY KEY,
        domain TEXT NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        leased_until INTEGER,
        leased_by TEXT,
        failing_since INTEGER,
        held INTEGER NOT NULL DEFAULT 0
      ) STRICT, WITHOUT ROWID;
      INSERT INTO delivery_inboxes (inbox, domain, next_attempt_at)
        SELECT inbox, min(domain), min(next_attempt_at) FROM deliveries GROUP BY inbox;

      DROP TABLE deliveries;
      ALTER TABLE delivery_items RENAME TO deliveries;
      -- an inbox's head is the first entry of its range
      CREATE INDEX deliveries_inbox ON deliveries (inbox, seq);
      CREATE INDEX deliveries_domain ON deliveries (domain);
      -- a claim walks the due inboxes in this order; the index covers what it reads
      CREATE INDEX delivery_inboxes_due ON delivery_inboxes (next_attempt_at, inbox, domain, leased_until, leased_by);
      CREATE INDEX delivery_inboxes_domain ON delivery_inboxes (domain);
      -- only the inboxes under a lease: a claim counts them by domain, a dead worker's are voided
      CREATE INDEX delivery_inboxes_leased ON delivery_inboxes (leased_until, domain) WHERE leased_until IS NOT NULL;
      CREATE INDEX delivery_inboxes_worker ON delivery_inboxes (leased_by) WHERE leased_by IS NOT NULL;

      -- dropped items keep their body (empty for those dropped before) and a number of their own
      CREATE TABLE dropped_items (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        inbox TEXT NOT NULL,
        domain TEXT NOT NULL,
        body TEXT NOT NULL,
        key_id TEXT NOT NULL,
        activity_id TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_error TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        dropped_at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO dropped_items (id, inbox, domain, body, key_id, activity_id, attempts, last_error, created_at, dropped_at)
        SELECT id, inbox, domain, '', key_id, activity_id, attempts, last_error, created_at, dropped_at
        FROM dropped_deliveries ORDER BY dropped_at, id;
      DROP TABLE dropped_deliveries;
      ALTER TABLE dropped_items RENAME TO dropped_deliveries;
      CREATE INDEX dropped_deliveries_time ON dropped_deliveries (dropped_at);
      CREATE INDEX dropped_deliveries_domain ON dropped_deliveries (domain, seq);

      ALTER TABLE domain_health ADD COLUMN next_probe_at INTEGER;
      CREATE INDEX domain_health_failing ON domain_health (domain) WHERE first_failure_at IS NOT NULL;

      -- running delivery workers; a lease naming a worker that is not here is void
      CREATE TABLE delivery_workers (
        id TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        process_started_at INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
    `,
};
