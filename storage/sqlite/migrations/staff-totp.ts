import type { Migration } from "../migrations.js";

/** A staff account's two-factor sign-in, as one JSON document (sealed secret, recovery hashes, last step). */
export const STAFF_TOTP: Migration = {
  version: 22,
  name: "staff two-factor sign-in",
  sql: `ALTER TABLE users ADD COLUMN totp TEXT;`,
};
