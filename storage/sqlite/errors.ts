import { DomainError } from "../../server/domain/errors.js";

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
