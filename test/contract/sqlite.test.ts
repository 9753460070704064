import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import type { Store } from "../../server/domain/ports.js";
import { openStore } from "../../storage/open.js";
import { MIGRATIONS } from "../../storage/sqlite/migrations.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { newBoard, newPost, ROOMY } from "./factories.js";
import { describeStoreContract } from "./store-contract.js";

const root = mkdtempSync(join(tmpdir(), "atoll-sqlite-contract-"));
let seq = 0;
const files = new WeakMap<Store, string>();

function openAt(file: string): Store {
  const store = openSqliteStore(file);
  files.set(store, file);
  return store;
}

describeStoreContract(
  "SQLite store",
  async () => openAt(join(root, `store-${++seq}`, "atoll.db")),
  async () => rmSync(root, { recursive: true, force: true }),
  { reopen: async (closed) => openAt(files.get(closed)!) },
);

describe("SQLite store files", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-sqlite-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("creates missing parent directories and sets WAL, NORMAL sync and foreign keys", async () => {
    const file = join(dir, "deep", "er", "atoll.db");
    const store = openSqliteStore(file);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      const migrations = db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
      expect(migrations).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    } finally {
      db.close();
    }
    expect(store.kind).toBe("sqlite");
  });

  it("applies each migration once: reopening an existing file changes nothing and keeps data", async () => {
    const file = join(dir, "reopen.db");
    const first = openSqliteStore(file);
    await first.boards.create(newBoard("b"));
    await first.posts.createThread("b", newPost({ comment: "kept" }), ROOMY);
    await first.close();

    const read = () => {
      const db = new Database(file, { readonly: true });
      try {
        return db.prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version").all();
      } finally {
        db.close();
      }
    };
    const before = read();
    const second = openSqliteStore(file);
    expect((await second.posts.getPost("b", 1))?.comment).toBe("kept");
    await second.close();
    expect(read()).toEqual(before);
  });

  it("refuses a file whose schema is newer than this build", async () => {
    const file = join(dir, "newer.db");
    await openSqliteStore(file).close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(9999, "future", 0);
    db.close();
    expect(() => openSqliteStore(file)).toThrow(/newer/);
  });

  it("enforces foreign keys on the store's connection", async () => {
    const file = join(dir, "fk.db");
    const store = openSqliteStore(file);
    await store.boards.create(newBoard("b"));
    const { post } = await store.posts.createThread("b", newPost(), ROOMY);
    await store.boards.delete("b");
    expect(await store.posts.getPost("b", post.no)).toBeNull();
    await store.close();
    // no row survived the cascade
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM posts").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT count(*) AS n FROM threads").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it("runs two stores on two files side by side", async () => {
    const a = openSqliteStore(join(dir, "a.db"));
    const b = openSqliteStore(join(dir, "b.db"));
    await a.boards.create(newBoard("x"));
    expect(await b.boards.get("x")).toBeNull();
    await a.close();
    await b.close();
  });
});

describe("openStore", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-open-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("opens SQLite at DATA_DIR/atoll.db when no MongoDB URL is given", async () => {
    const store = await openStore({ dataDir: join(dir, "data"), mongodbUrl: null });
    try {
      expect(store.kind).toBe("sqlite");
      await store.boards.create(newBoard("b"));
    } finally {
      await store.close();
    }
    expect(statSync(join(dir, "data", "atoll.db")).isFile()).toBe(true);
  });
});
