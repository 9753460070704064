import { DomainError } from "../../server/domain/errors.js";

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
