import { DomainError, isDiskFull, StorageError } from "../../server/domain/errors.js";

/** A primary key or unique index refused the row. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

/** Runs `fn`, turning a unique violation into DomainError("conflict"). */
export function conflictOnDuplicate<T>(fn: () => T, message: string): T {
  try {
    return fn();
  } catch (e) {
    if (isUniqueViolation(e)) throw new DomainError("conflict", message);
    throw e;
  }
}

/**
 * A StorageError for SQLite's "database or disk is full" (the disk, a quota, or max_page_count), so
 * callers can tell our storage failing from their request failing; any other error as it is.
 */
export function asStorageFailure(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === "SQLITE_FULL" || isDiskFull(e)) {
    return new StorageError("database", `the database's disk is full (${String(code)})`, undefined, { cause: e });
  }
  return e;
}
