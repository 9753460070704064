import type { Migration } from "../migrations.js";

/**
 * When a thread and a board last changed in a way a reader can see (4chan's `last_modified`, the
 * HTTP `Last-Modified`), and the last file id (`tim`) a board gave out, so ids stay unique within
 * the board across processes. Existing rows start from the best time known: the last bump or
 * archiving, and for a board its newest thread change.
 */
export const CHANGE_STAMPS: Migration = {
  version: 8,
  name: "modification times and file ids",
  sql: `
    ALTER TABLE threads ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;
    UPDATE threads SET modified_at = max(bumped_at, coalesce(archived_at, 0));
    ALTER TABLE boards ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;
    UPDATE boards SET modified_at = max(created_at,
      coalesce((SELECT max(t.modified_at) FROM threads t WHERE t.board = boards.uri), 0));
    ALTER TABLE boards ADD COLUMN last_tim INTEGER NOT NULL DEFAULT 0;
  `,
};
