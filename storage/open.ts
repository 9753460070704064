import { join } from "node:path";
import type { Store } from "../server/domain/ports.js";
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
