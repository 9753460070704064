import type { Db } from "./database.js";

/**
 * Finds, among candidate addresses, those no post refers to any more, as an original or as a
 * thumbnail (a thumbnail may byte-for-byte equal someone's upload). One query per call, using the
 * partial indexes on both columns. Runs inside the caller's transaction so the answer matches the
 * deletion it follows.
 */
export class OrphanFinder {
  private readonly stmt;

  constructor(db: Db) {
    this.stmt = db
      .prepare<[string], string>(
        `SELECT c.value FROM json_each(?) AS c
         WHERE NOT EXISTS (SELECT 1 FROM posts WHERE file_sha256 = c.value)
           AND NOT EXISTS (SELECT 1 FROM posts WHERE file_thumb_sha256 = c.value)
           AND NOT EXISTS (SELECT 1 FROM post_extra_files WHERE sha256 = c.value)
           AND NOT EXISTS (SELECT 1 FROM post_extra_files WHERE thumb_sha256 = c.value)`,
      )
      .pluck();
  }

  find(candidates: string[]): string[] {
    if (candidates.length === 0) return [];
    return this.stmt.all(JSON.stringify([...new Set(candidates)])).sort();
  }
}
