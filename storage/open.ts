import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Store } from "../server/domain/ports.js";
import { databaseNameFromUrl } from "./mongo/connection.js";
import { openSqliteStore } from "./sqlite/store.js";

/**
 * The store the configuration asks for: MongoDB when a URL is given, otherwise the embedded SQLite
 * database at `${dataDir}/atoll.db`. The MongoDB driver is loaded only when it is used.
 */
export async function openStore(opts: {
  dataDir: string;
  mongodbUrl: string | null;
  /** Told of trouble the store works around (SQLite: background checkpoints stopping). */
  onWarning?: (message: string, err: Error) => void;
}): Promise<Store> {
  if (opts.mongodbUrl) {
    const { openMongoStore } = await import("./mongo/store.js");
    return openMongoStore(opts.mongodbUrl);
  }
  const warn = opts.onWarning;
  return openSqliteStore(join(opts.dataDir, "atoll.db"), {
    checkpoints: warn ? { onError: (err) => warn("SQLite checkpoints are back on the request thread", err) } : {},
  });
}

/**
 * Where the store the configuration names is (for messages: a file, or a database on a MongoDB
 * server without the URL's credentials) and whether it holds Atoll data yet; opening a store that
 * does not creates a new, empty one.
 */
export async function locateStore(opts: {
  dataDir: string;
  mongodbUrl: string | null;
}): Promise<{ exists: boolean; where: string }> {
  if (opts.mongodbUrl) {
    const { mongoStoreExists } = await import("./mongo/store.js");
    const hosts = /^mongodb(?:\+srv)?:\/\/(?:[^@/?#]*@)?([^/?#]*)/.exec(opts.mongodbUrl)?.[1] ?? "?";
    return {
      exists: await mongoStoreExists(opts.mongodbUrl),
      where: `the MongoDB database "${databaseNameFromUrl(opts.mongodbUrl)}" on ${hosts}`,
    };
  }
  const file = resolve(opts.dataDir, "atoll.db");
  return { exists: existsSync(file), where: file };
}
