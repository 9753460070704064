import type { Migration } from "../migrations.js";

/** A video's length in seconds, for the first file (further files keep it in their JSON). */
export const VIDEO_DURATION: Migration = {
  version: 23,
  name: "video duration",
  sql: "ALTER TABLE posts ADD COLUMN file_duration REAL;",
};
