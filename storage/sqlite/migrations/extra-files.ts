import type { Migration } from "../migrations.js";

/**
 * A post's files after the first: kept whole as JSON on the post (read with it, no join), and
 * indexed by triggers in `post_extra_files` for what looks files up by id or content address (media
 * serving, garbage collection, orphan checks). Single-file posts keep their file in the `file_*`
 * columns and need no change.
 */
export const EXTRA_FILES: Migration = {
  version: 21,
  name: "extra files",
  sql: `
    ALTER TABLE posts ADD COLUMN extra_files TEXT;
    CREATE TABLE post_extra_files (
      board TEXT NOT NULL,
      no INTEGER NOT NULL,
      tim INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      thumb_sha256 TEXT NOT NULL,
      PRIMARY KEY (board, no, tim)
    ) STRICT;
    CREATE INDEX post_extra_files_tim ON post_extra_files (board, tim);
    CREATE INDEX post_extra_files_sha256 ON post_extra_files (sha256);
    CREATE INDEX post_extra_files_thumb_sha256 ON post_extra_files (thumb_sha256);
    CREATE TRIGGER posts_extra_files_insert AFTER INSERT ON posts WHEN new.extra_files IS NOT NULL BEGIN
      INSERT INTO post_extra_files (board, no, tim, sha256, thumb_sha256)
        SELECT new.board, new.no, value ->> 'tim', value ->> 'sha256', value ->> 'thumbSha256'
        FROM json_each(new.extra_files);
    END;
    CREATE TRIGGER posts_extra_files_update AFTER UPDATE OF extra_files ON posts BEGIN
      DELETE FROM post_extra_files WHERE board = old.board AND no = old.no;
      INSERT INTO post_extra_files (board, no, tim, sha256, thumb_sha256)
        SELECT new.board, new.no, value ->> 'tim', value ->> 'sha256', value ->> 'thumbSha256'
        FROM json_each(coalesce(new.extra_files, '[]'));
    END;
    CREATE TRIGGER posts_extra_files_delete AFTER DELETE ON posts WHEN old.extra_files IS NOT NULL BEGIN
      DELETE FROM post_extra_files WHERE board = old.board AND no = old.no;
    END;
  `,
};
