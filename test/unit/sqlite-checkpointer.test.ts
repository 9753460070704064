import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WalCheckpointer } from "../../storage/sqlite/checkpointer.js";
import { type Db, openDatabase } from "../../storage/sqlite/database.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { newBoard, newPost, ROOMY } from "../contract/factories.js";

const FAST = { startBytes: 64 * 1024, watchMs: 10, intervalMs: 10 };

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Commits rows of about 1 KiB, one transaction each, until the WAL is at least `bytes` long. */
function growWal(db: Db, file: string, bytes: number): void {
  db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  while (!existsSync(`${file}-wal`) || statSync(`${file}-wal`).size < bytes) insert.run("x".repeat(1024));
}

describe("background WAL checkpoints", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-checkpoints-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("start once the WAL grows, copy it into the database file off the committing thread, and stop on close", async () => {
    const file = join(dir, "grow.db");
    const db = openDatabase(file);
    const checkpoints = new WalCheckpointer(db, FAST);
    try {
      growWal(db, file, 16 * 1024);
      await new Promise((r) => setTimeout(r, 60));
      // A small WAL costs no thread.
      expect(checkpoints.running).toBe(false);
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);

      growWal(db, file, FAST.startBytes);
      await until("the checkpoint thread", () => checkpoints.running);
      // The committing connection no longer checkpoints at 1,000 pages: the thread does.
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(16_384);
      const before = statSync(file).size;
      const count = () => (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
      const rows = count();
      for (let i = 0; i < 200; i++) db.prepare("INSERT INTO t (v) VALUES (?)").run("y".repeat(1024));
      // The rows reach the database file itself, which only a checkpoint writes.
      await until("a checkpoint", () => statSync(file).size > before + 100 * 1024);
      expect(count()).toBe(rows + 200);
    } finally {
      await checkpoints.close();
      db.close();
    }
    expect(checkpoints.running).toBe(false);
    // Closed last, the connection checkpointed everything and removed the WAL.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it("hands checkpoints back to the connection when the thread fails", async () => {
    const file = join(dir, "fail.db");
    const broken = join(dir, "broken-driver.cjs");
    writeFileSync(broken, 'throw new Error("no driver here");\n');
    const db = openDatabase(file);
    const errors: Error[] = [];
    const checkpoints = new WalCheckpointer(db, { ...FAST, driver: broken, onError: (e) => errors.push(e) });
    try {
      growWal(db, file, FAST.startBytes);
      await until("the failure to be reported", () => errors.length > 0);
      expect(checkpoints.running).toBe(false);
      expect(errors[0]!.message).toMatch(/checkpoint/);
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    } finally {
      await checkpoints.close();
      db.close();
    }
  });

  it("runs one thread per store, two stores side by side, and keeps every post across a reopen", async () => {
    const files = [join(dir, "a.db"), join(dir, "b.db")];
    const stores = files.map((f) => openSqliteStore(f, { checkpoints: FAST }));
    const comment = "z".repeat(2000);
    let thread = 0;
    for (const store of stores) {
      await store.boards.create(newBoard("b"));
      thread = (await store.posts.createThread("b", newPost({ comment }), ROOMY)).post.no;
      for (let i = 0; i < 60; i++) await store.posts.createReply("b", thread, newPost({ comment }), ROOMY);
    }
    // Both files are past the threshold; both get their thread, which copies pages into each file.
    await until("both files checkpointed", () => files.every((f) => statSync(f).size > 100 * 1024));
    await Promise.all(stores.map((s) => s.close()));
    for (const f of files) {
      expect(existsSync(`${f}-wal`)).toBe(false);
      const again = openSqliteStore(f, { checkpoints: false });
      try {
        expect((await again.posts.getThread("b", thread))?.replyCount).toBe(60);
      } finally {
        await again.close();
      }
    }
  });
});
