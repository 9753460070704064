import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../storage/sqlite/database.js";
import { MIGRATIONS, migrate } from "../../storage/sqlite/migrations.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";

/*
 * Upgrading to peer probation: every host the instance had exchanged anything with is known from
 * the migration on (no probation), and what was held before is held as silenced.
 */

describe("SQLite peer probation upgrade", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-sqlite-peers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("records the hosts known before the upgrade without probation, and nothing else", async () => {
    const file = join(dir, "before.db");
    const db = openDatabase(file);
    const earlier = MIGRATIONS.filter((m) => m.name !== "peer probation");
    migrate(db, earlier);
    const t = 1_700_000_000_000;
    db.prepare(
      `INSERT INTO remote_actors (id, type, inbox, key_id, public_key_pem, domain, fetched_at, raw)
       VALUES ('https://actor.example/u/a', 'Person', 'https://actor.example/inbox', 'https://actor.example/u/a#k',
               'pem', 'actor.example', ?, '{}')`,
    ).run(t);
    db.prepare(
      `INSERT INTO follows (actor_id, object_id, id, board, direction, state, inbox, domain, created_at)
       VALUES ('https://follower.example/u/b', 'https://here.example/ap/boards/b', 'https://follower.example/f/1',
               'b', 'inbound', 'accepted', 'https://follower.example/inbox', 'follower.example', ?)`,
    ).run(t);
    db.prepare("INSERT INTO domain_health (domain, consecutive_failures) VALUES ('down.example', 3)").run();
    db.prepare("INSERT INTO instances (domain, fetched_at) VALUES ('nodeinfo.example', ?)").run(t);
    db.prepare(
      `INSERT INTO held_activities (id, board, domain, actor_id, activity, received_at)
       VALUES ('https://quiet.example/a/1', 'b', 'quiet.example', 'https://quiet.example/u/q', '{}', ?)`,
    ).run(t);
    db.close();

    const store = openSqliteStore(file);
    try {
      for (const domain of ["actor.example", "follower.example", "down.example", "nodeinfo.example"]) {
        const peer = await store.defederation.peers.get(domain);
        expect(peer).toMatchObject({ domain, probationStart: null, probationEnd: null, endedBy: null });
        expect(peer?.firstSeenAt).toBeGreaterThan(t);
      }
      expect(await store.defederation.peers.get("quiet.example")).toBeNull();
      expect(await store.defederation.peers.listRunning()).toEqual([]);
      expect((await store.defederation.held.get("https://quiet.example/a/1"))?.reason).toBe("silenced");
    } finally {
      await store.close();
    }
  });
});
