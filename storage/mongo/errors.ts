import { DomainError, StorageError } from "../../server/domain/errors.js";

/** The server refused a document because a unique index already holds its key. */
export function isDuplicateKey(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 11000;
}

/** Awaits `work`, turning a duplicate key error into DomainError("conflict"). */
export async function conflictOnDuplicate<T>(work: Promise<T>, message: string): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (isDuplicateKey(e)) throw new DomainError("conflict", message);
    throw e;
  }
}

/** MongoDB's error for a server whose disk is full (OutOfDiskSpace). */
const OUT_OF_DISK_SPACE = 14031;

/** A StorageError for a MongoDB server out of disk space; any other error as it is. */
export function asStorageFailure(e: unknown): unknown {
  const err = e as { code?: unknown; codeName?: unknown } | null;
  if (err?.code === OUT_OF_DISK_SPACE || err?.codeName === "OutOfDiskSpace") {
    return new StorageError("database", "the MongoDB server's disk is full (OutOfDiskSpace)", undefined, { cause: e });
  }
  return e;
}
