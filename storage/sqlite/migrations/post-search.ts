import type { Migration } from "../migrations.js";

/**
 * Full-text search over posts: an FTS5 index whose content stays in the posts table (nothing is
 * stored twice), kept in step by triggers on every write that touches a post's words, cascaded
 * deletions of threads and boards included. A file deleted from a post changes none of the indexed
 * columns, so it costs the index nothing. `remove_diacritics 2` makes "cafe" find "café".
 * The index is built for the posts already held.
 */
export const POST_SEARCH: Migration = {
  version: 20,
  name: "full-text search over posts",
  sql: `
    CREATE VIRTUAL TABLE posts_fts USING fts5 (
      subject, comment,
      content = 'posts', content_rowid = 'rowid',
      tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
      INSERT INTO posts_fts (rowid, subject, comment) VALUES (new.rowid, new.subject, new.comment);
    END;
    CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
      INSERT INTO posts_fts (posts_fts, rowid, subject, comment) VALUES ('delete', old.rowid, old.subject, old.comment);
    END;
    CREATE TRIGGER posts_fts_update AFTER UPDATE OF subject, comment ON posts BEGIN
      INSERT INTO posts_fts (posts_fts, rowid, subject, comment) VALUES ('delete', old.rowid, old.subject, old.comment);
      INSERT INTO posts_fts (rowid, subject, comment) VALUES (new.rowid, new.subject, new.comment);
    END;
    INSERT INTO posts_fts (posts_fts) VALUES ('rebuild');
  `,
};
