import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../storage/sqlite/database.js";
import { CachedFollowRepository } from "../../storage/sqlite/federation/cached-follows.js";
import { SqliteFollowRepository } from "../../storage/sqlite/federation/follows.js";
import { MIGRATIONS, migrate } from "../../storage/sqlite/migrations.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { newBoard, newPost, ROOMY, range } from "./factories.js";
import { follow } from "./federation.contract.js";
import { delivery } from "./federation-deliveries.contract.js";

/* SQLite specifics of the federation storage: upgrading an existing file, and two connections on one file. */

describe("SQLite federation storage", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-sqlite-federation-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("upgrades a database made before federation, keeping its data", async () => {
    const file = join(dir, "v1.db");
    const db = openDatabase(file);
    expect(migrate(db, MIGRATIONS.slice(0, 1))).toEqual([1]);
    db.close();
    const old = openSqliteStore(file);
    await old.boards.create(newBoard("b"));
    await old.posts.createThread("b", newPost({ comment: "before" }), ROOMY);
    await old.close();

    const store = openSqliteStore(file);
    try {
      expect((await store.posts.getPost("b", 1))?.comment).toBe("before");
      await store.federation.deliveries.enqueue([delivery("a")], 1000);
      expect(await store.federation.deliveries.countPending()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("upgrades a federating database to instance records, keeping its follows", async () => {
    const file = join(dir, "v2.db");
    const db = openDatabase(file);
    expect(migrate(db, MIGRATIONS.slice(0, 2))).toEqual([1, 2]);
    db.close();
    const old = openSqliteStore(file);
    await old.federation.follows.add(follow());
    await old.close();

    const store = openSqliteStore(file);
    try {
      expect(await store.federation.follows.inboxesForBoard("b")).toEqual([follow().inbox]);
      expect(await store.federation.instances.list()).toEqual([]);
      await store.federation.instances.recordSoftware("remote.example", "lemmy", "0.19", 1000);
      expect((await store.federation.instances.get("remote.example"))?.software).toBe("lemmy");
    } finally {
      await store.close();
    }
  });

  it("answers a board's inboxes from memory, yet sees a follow another connection just made", async () => {
    const file = join(dir, "follows.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      const first = follow({ actorId: "https://one.example/u", domain: "one.example" });
      await a.federation.follows.add(first);
      expect(await a.federation.follows.inboxesForBoard("b")).toEqual([first.inbox]);
      const second = follow({ actorId: "https://two.example/u", domain: "two.example" });
      await b.federation.follows.add(second);
      expect(await a.federation.follows.inboxesForBoard("b")).toEqual([first.inbox, second.inbox]);
      expect((await a.federation.follows.followersOf("b")).map((f) => f.actorId)).toEqual([
        first.actorId,
        second.actorId,
      ]);
      await b.federation.follows.removeByDomain("one.example");
      expect(await a.federation.follows.inboxesForBoard("b")).toEqual([second.inbox]);
      expect((await a.federation.follows.followersOf("b")).map((f) => f.actorId)).toEqual([second.actorId]);
      // Through this connection too: its own write drops what it kept.
      await a.federation.follows.remove(second.actorId, second.objectId);
      expect(await a.federation.follows.followersOf("b")).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("keeps nothing from inside a transaction: a rolled back follow is not delivered to", async () => {
    const db = openDatabase(join(dir, "tx.db"));
    try {
      migrate(db);
      const follows = new CachedFollowRepository(new SqliteFollowRepository(db), db);
      const kept = follow({ actorId: "https://kept.example/u", domain: "kept.example" });
      await follows.add(kept);
      expect(await follows.inboxesForBoard("b")).toEqual([kept.inbox]);
      db.exec("BEGIN");
      const undone = follow({ actorId: "https://undone.example/u", domain: "undone.example" });
      await follows.add(undone);
      expect(await follows.inboxesForBoard("b")).toEqual([kept.inbox, undone.inbox]);
      expect(await follows.followersOf("b")).toHaveLength(2);
      db.exec("ROLLBACK");
      expect(await follows.inboxesForBoard("b")).toEqual([kept.inbox]);
      expect((await follows.followersOf("b")).map((f) => f.actorId)).toEqual([kept.actorId]);
    } finally {
      db.close();
    }
  });

  it("never hands one item to claims on two connections, and holds the per-domain limit across them", async () => {
    const file = join(dir, "shared.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      await a.federation.deliveries.enqueue(
        range(1, 30).map((i) => delivery(`d${String(i).padStart(2, "0")}`, `host${i % 3}.example`)),
        1000,
      );
      const taken: string[] = [];
      for (let round = 0; round < 4; round++) {
        const claims = await Promise.all([
          a.federation.deliveries.claim(1000, 4, 60_000, 4),
          b.federation.deliveries.claim(1000, 4, 60_000, 4),
        ]);
        taken.push(...claims.flat().map((d) => d.id));
      }
      // three domains, four leases each at most, whichever connection took them
      expect(taken).toHaveLength(12);
      expect(new Set(taken).size).toBe(12);
      expect(await b.federation.deliveries.countPending()).toBe(30);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("agrees on one actor key across two connections", async () => {
    const file = join(dir, "keys.db");
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      const [x, y] = await Promise.all([
        a.federation.keys.getOrCreate("https://atoll.example/b", async () => ({
          publicKeyPem: "A",
          privateKeyPem: "a",
        })),
        b.federation.keys.getOrCreate("https://atoll.example/b", async () => ({
          publicKeyPem: "B",
          privateKeyPem: "b",
        })),
      ]);
      expect(x).toEqual(y);
      expect(await a.federation.keys.get("https://atoll.example/b")).toEqual(x);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
