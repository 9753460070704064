import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/** Milliseconds a writer waits for another connection (another process on the same file) to finish. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating it and its directory if needed) the database file with the settings the store
 * relies on: WAL so readers never block the writer, NORMAL sync (durable at checkpoints, safe under
 * WAL against corruption), and enforced foreign keys, which carry the board → thread → post cascades.
 */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("temp_store = MEMORY");
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}
