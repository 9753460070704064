import type { Migration } from "../migrations.js";

/**
 * Each local post's pseudonymous poster token, the token a report from a peer names, and the
 * tokens a board's staff hide on its pages.
 */
export const POSTER_TOKENS: Migration = {
  version: 15,
  name: "poster tokens",
  sql: `
    ALTER TABLE posts ADD COLUMN poster_token TEXT;
    ALTER TABLE reports ADD COLUMN poster_token TEXT;
    CREATE INDEX posts_poster_token ON posts (board, poster_token) WHERE poster_token IS NOT NULL;
    CREATE TABLE hidden_poster_tokens (
      board TEXT NOT NULL,
      token TEXT NOT NULL,
      reason TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (board, token)
    ) STRICT;
  `,
};
