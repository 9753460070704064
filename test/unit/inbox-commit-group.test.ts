import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_BOARD_SETTINGS } from "../../server/domain/board.js";
import { CommitGroup } from "../../storage/sqlite/commit-group.js";
import { type Db, openDatabase } from "../../storage/sqlite/database.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";

/* The grouped commits the inbox's writes go through on SQLite (replay records, posts, mappings). */

describe("grouped commits on SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-commit-group-"));
  let n = 0;
  let file: string;
  let db: Db;
  let other: Db;
  let group: CommitGroup;

  beforeEach(() => {
    file = join(dir, `${++n}.db`);
    db = openDatabase(file);
    db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
    other = openDatabase(file);
    group = new CommitGroup(db);
  });
  afterEach(() => {
    group.flush();
    db.close();
    other.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const insert =
    (k: string, v = 1) =>
    () =>
      db.prepare("INSERT INTO t (k, v) VALUES (?, ?)").run(k, v).changes;
  const rows = (conn: Db) => conn.prepare("SELECT k FROM t ORDER BY k").pluck().all();

  it("commits the writes of one turn together, each resolving only after the commit", async () => {
    let seenByOther: unknown[] | null = null;
    let seenHere: unknown[] | null = null;
    const writes = [
      group.run(insert("a")),
      group.run(() => {
        // Inside the shared transaction: the first write is there, but not yet for anyone else.
        seenHere = rows(db);
        seenByOther = rows(other);
        return db.inTransaction;
      }),
      group.run(insert("b")),
    ];
    expect(rows(other)).toEqual([]);
    expect(await Promise.all(writes)).toEqual([1, true, 1]);
    expect(seenHere).toEqual(["a"]);
    expect(seenByOther).toEqual([]);
    expect(rows(other)).toEqual(["a", "b"]);
  });

  it("fails a write alone: its statement or transaction is undone, the others commit", async () => {
    const pair = db.transaction(() => {
      insert("c")();
      insert("a")(); // taken below, in the same group: the whole pair goes
    });
    const results = await Promise.allSettled([
      group.run(insert("a")),
      group.run(pair),
      group.run(insert("a", 2)),
      group.run(insert("d")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(rows(other)).toEqual(["a", "d"]);
    expect(other.prepare("SELECT v FROM t WHERE k = 'a'").pluck().get()).toBe(1);
  });

  it("fails every write of a transaction SQLite abandoned, keeping none of them", async () => {
    const results = await Promise.allSettled([
      group.run(insert("a")),
      group.run(() => {
        db.prepare("ROLLBACK").run();
        throw new Error("the disk is full");
      }),
      group.run(insert("b")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(rows(other)).toEqual([]);
    // The group goes on working afterwards.
    await group.run(insert("c"));
    expect(rows(other)).toEqual(["c"]);
  });

  it("commits what is queued when flushed, and refuses writes once the database is closed", async () => {
    const queued = group.run(insert("a"));
    group.flush();
    expect(rows(other)).toEqual(["a"]);
    await expect(queued).resolves.toBe(1);
    const late = group.run(insert("b"));
    db.close();
    await expect(late).rejects.toThrow(/not open/);
    db = openDatabase(file);
  });

  it("lets the store's writes racing in one turn keep their contracts: one replay record wins, numbers stay in order", async () => {
    const store = openSqliteStore(join(dir, "store.db"));
    try {
      const seen = await Promise.all(
        Array.from({ length: 8 }, () => store.federation.inboxDedupe.seen("https://r.example/a/1", 1000, 60_000)),
      );
      expect(seen.filter((s) => !s)).toHaveLength(1);
      await store.boards.create({
        uri: "b",
        title: "B",
        description: "",
        settings: { ...DEFAULT_BOARD_SETTINGS },
        createdAt: 1,
      });
      const { post: op } = await store.posts.createThread("b", newPost("op"), { maxThreads: 10 });
      const limits = { bumpLimit: 100, imageLimit: 100 };
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.posts.createReply("b", op.no, newPost(`r${i}`), limits)),
      );
      expect(replies.map((r) => r.no)).toEqual([2, 3, 4, 5, 6, 7]);
      const lost = store.posts.createReply("b", 99, newPost("nowhere"), limits);
      const mapped = store.federation.remotePosts.put({ apId: "https://r.example/n/1", board: "b", no: 2 });
      await expect(lost).rejects.toMatchObject({ kind: "not_found" });
      await expect(mapped).resolves.toBeUndefined();
      expect(await store.federation.remotePosts.get("https://r.example/n/1")).toEqual({
        apId: "https://r.example/n/1",
        board: "b",
        no: 2,
      });
      expect((await store.posts.getThread("b", op.no))?.replyCount).toBe(6);
    } finally {
      await store.close();
    }
  });
});

function newPost(comment: string) {
  return {
    createdAt: 1000,
    name: "Anonymous",
    trip: null,
    capcode: null,
    subject: null,
    comment,
    html: comment,
    quotes: [],
    posterId: null,
    sage: false,
    file: null,
    fileDeleted: false,
    ipHash: null,
    passwordHash: null,
    apId: null,
    fediActor: null,
  };
}
