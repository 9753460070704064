import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { newBoard, newPost, ROOMY } from "./factories.js";

describe("SQLite search index", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-search-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is built for the posts a database held before the migration", async () => {
    const file = join(dir, "before.db");
    const first = openSqliteStore(file);
    await first.boards.create(newBoard("b"));
    const { post } = await first.posts.createThread("b", newPost({ comment: "an old heron" }), ROOMY);
    await first.close();
    // the file as it was before the search migration
    const db = new Database(file);
    db.exec(`DROP TRIGGER posts_fts_insert; DROP TRIGGER posts_fts_delete; DROP TRIGGER posts_fts_update;
      DROP TABLE posts_fts; DELETE FROM schema_migrations WHERE name = 'full-text search over posts';`);
    db.close();

    const second = openSqliteStore(file);
    try {
      const found = await second.search.search({
        words: ["heron"],
        boards: ["b"],
        order: "number",
        before: null,
        limit: 5,
      });
      expect(found.map((p) => p.no)).toEqual([post.no]);
    } finally {
      await second.close();
    }
  });
});
