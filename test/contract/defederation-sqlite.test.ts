import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../storage/sqlite/database.js";
import { MIGRATIONS, migrate } from "../../storage/sqlite/migrations.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { auditEntry, domainBlock } from "./defederation-factories.js";
import { newBoard, range } from "./factories.js";

/*
 * SQLite specifics of the domain moderation storage: upgrading an existing file, the append-only
 * audit table, the query plans of audit paging, and two connections on one file.
 */

describe("SQLite domain moderation storage", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-sqlite-domains-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("upgrades a database made before domain moderation, keeping its data", async () => {
    const file = join(dir, "before.db");
    const db = openDatabase(file);
    const earlier = MIGRATIONS.filter((m) => m.version < 4);
    expect(migrate(db, earlier)).toEqual(earlier.map((m) => m.version));
    db.prepare("INSERT INTO settings (key, value) VALUES ('secret', 'kept')").run();
    db.close();

    const store = openSqliteStore(file);
    try {
      expect(await store.settings.get("secret")).toBe("kept");
      expect(await store.defederation.rules.version()).toBe(0);
      await store.defederation.rules.apply([{ op: "create_block", block: domainBlock("spam.example") }], []);
      expect(await store.defederation.rules.version()).toBe(1);
      await store.boards.create(newBoard("b"));
      expect((await store.boards.get("b"))?.uri).toBe("b");
    } finally {
      await store.close();
    }
  });

  it("refuses any change to a written audit entry, even from plain SQL", async () => {
    const file = join(dir, "audit.db");
    const store = openSqliteStore(file);
    await store.defederation.rules.apply([], [auditEntry("e1")]);
    await store.close();
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE domain_audit SET reason = 'rewritten'").run()).toThrow(/append-only/);
      expect(() => db.prepare("DELETE FROM domain_audit").run()).toThrow(/append-only/);
      expect(db.prepare("SELECT reason FROM domain_audit").pluck().all()).toEqual(["spam"]);
    } finally {
      db.close();
    }
  });

  it("pages the audit log by walking an index, with no sort step", () => {
    const db = openDatabase(join(dir, "plans.db"));
    try {
      migrate(db);
      const plan = (sql: string) =>
        db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all({ before_at: 1, before_seq: 1, domain: "a.example", limit: 10 })
          .map((r) => (r as { detail: string }).detail)
          .join("; ");
      const order = "ORDER BY at DESC, seq DESC LIMIT @limit";
      const all = plan(`SELECT * FROM domain_audit WHERE 1 ${order}`);
      const before = plan(`SELECT * FROM domain_audit WHERE (at, seq) < (@before_at, @before_seq) ${order}`);
      const byDomain = plan(`SELECT * FROM domain_audit WHERE domain = @domain ${order}`);
      const byDomainBefore = plan(
        `SELECT * FROM domain_audit WHERE domain = @domain AND (at, seq) < (@before_at, @before_seq) ${order}`,
      );
      for (const p of [all, before]) expect(p).toMatch(/domain_audit_time/);
      for (const p of [byDomain, byDomainBefore]) expect(p).toMatch(/domain_audit_domain/);
      for (const p of [all, before, byDomain, byDomainBefore]) expect(p).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  it("lets another connection on the file see the version move, and serialises applies across connections", async () => {
    const file = join(dir, "shared.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      expect(await b.defederation.rules.version()).toBe(0);
      await a.defederation.rules.apply([{ op: "create_block", block: domainBlock("spam.example") }], []);
      expect(await b.defederation.rules.version()).toBe(1);
      expect(await b.defederation.rules.getBlockByDomain("spam.example")).toEqual(domainBlock("spam.example"));

      await Promise.all(
        range(1, 10).map((i) =>
          (i % 2 === 0 ? a : b).defederation.rules.apply(
            [{ op: "create_block", block: domainBlock(`h${i}.example`) }],
            [auditEntry(`e${i}`, { domain: `h${i}.example` })],
          ),
        ),
      );
      expect(await a.defederation.rules.version()).toBe(11);
      expect(await b.defederation.rules.listBlocks()).toHaveLength(11);
      expect(await a.defederation.rules.audit({ limit: 100 })).toHaveLength(10);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
