import type { ClientSession, MongoClient, TransactionOptions } from "mongodb";
import { asStorageFailure } from "./errors.js";

const OPTIONS: TransactionOptions = {
  readConcern: { level: "snapshot" },
  writeConcern: { w: "majority" },
  readPreference: "primary",
};

/**
 * Runs `work` in a multi-document transaction. The driver retries the whole callback on transient
 * errors, which includes write conflicts between concurrent posts on one board (they all update the
 * board's counter), so `work` must start from scratch each time and await every operation in turn
 * (operations in parallel inside a transaction are not supported). A DomainError thrown by `work`
 * aborts the transaction, so nothing it wrote, its post number included, survives. A server out of
 * disk space is reported as a StorageError.
 */
export async function inTransaction<T>(client: MongoClient, work: (session: ClientSession) => Promise<T>): Promise<T> {
  try {
    return await client.withSession((session) => session.withTransaction(() => work(session), OPTIONS));
  } catch (err) {
    throw asStorageFailure(err);
  }
}
