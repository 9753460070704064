import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../storage/sqlite/database.js";
import { CHANGE_STAMPS } from "../../storage/sqlite/migrations/change-stamps.js";
import { MIGRATIONS, migrate } from "../../storage/sqlite/migrations.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { newFile, newPost, ROOMY } from "./factories.js";

describe("SQLite modification times and file ids", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-sqlite-stamps-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("upgrades a database made before them: times from the last bump or archiving, old tims kept", async () => {
    const file = join(dir, "before.db");
    const db = openDatabase(file);
    const earlier = MIGRATIONS.filter((m) => m.version < CHANGE_STAMPS.version);
    migrate(db, earlier);
    db.exec(`
      INSERT INTO boards (uri, title, description, settings, created_at, next_no, version)
        VALUES ('b', 'Random', '', '{}', 1000, 3, 5);
      INSERT INTO threads (board, no, created_at, bumped_at, archived, archived_at)
        VALUES ('b', 1, 2000, 3000, 0, NULL), ('b', 2, 2500, 2600, 1, 9000);
      INSERT INTO posts (board, no, thread_no, created_at, name, comment, html, file_sha256, file_thumb_sha256,
          file_tim, file_ext, file_mime, file_name, file_size, file_width, file_height, file_thumb_width,
          file_thumb_height, file_md5, file_spoiler)
        VALUES ('b', 1, 1, 2000, 'Anonymous', 'old', 'old', 'aa', 'bb', 1700000000000123, '.png', 'image/png',
          'old', 1, 1, 1, 1, 1, 'md5', 0),
        ('b', 2, 2, 2500, 'Anonymous', 'archived', 'archived', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          NULL, NULL, NULL, NULL, NULL);
    `);
    db.close();

    const store = openSqliteStore(file);
    try {
      expect((await store.posts.getThread("b", 1))?.modifiedAt).toBe(3000);
      expect((await store.posts.getThread("b", 2))?.modifiedAt).toBe(9000);
      expect(await store.boards.stamp("b")).toEqual({ version: 5, modifiedAt: 9000 });
      // the old 16-digit id still names its file; a new file gets the millisecond it asks for
      expect((await store.posts.findFileByTim("b", 1700000000000123))?.filename).toBe("old");
      const now = Date.now();
      const reply = await store.posts.createReply("b", 1, newPost({ file: newFile({ tim: now }) }), ROOMY);
      expect(reply.file?.tim).toBe(now);
      expect((await store.posts.getThread("b", 1))?.modifiedAt).toBeGreaterThanOrEqual(now);
    } finally {
      await store.close();
    }
  });
});
