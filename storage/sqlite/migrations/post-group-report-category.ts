import type { Migration } from "../migrations.js";

/**
 * The followed group a mirrored post came through (null: sent straight to us, or mirrored before),
 * and a report's category (null: none given).
 */
export const POST_GROUP_REPORT_CATEGORY: Migration = {
  version: 14,
  name: "remote post group, report category",
  sql: `
    ALTER TABLE remote_posts ADD COLUMN via TEXT;
    ALTER TABLE reports ADD COLUMN category TEXT;
  `,
};
