import type { Migration } from "../migrations.js";

/** The followed group a mirrored post came through (null: sent straight to us, or mirrored before). */
export const REMOTE_POST_GROUP: Migration = {
  version: 15,
  name: "remote post group",
  sql: `
    ALTER TABLE remote_posts ADD COLUMN via TEXT;
  `,
};
