import { createHmac } from "node:crypto";
import { DomainError } from "./errors.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC calendar day of a time in milliseconds, as `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  const date = new Date(ms);
  if (!Number.isFinite(date.getTime())) throw new DomainError("invalid", "Not a valid time.");
  return date.toISOString().slice(0, 10);
}

/**
 * A poster's 8-character ID within one thread on one day, as 4chan shows on boards with IDs: the same
 * poster keeps it throughout a thread that day, and it says nothing about them in another thread or on
 * another day. Letters, digits, `+` and `/` only (the first 8 characters of standard base64).
 */
export function posterId(ipHash: string, board: string, threadNo: number, day: string, secret: string): string {
  if (!secret) throw new Error("posterId needs a secret");
  if (!DAY.test(day)) throw new DomainError("invalid", "The day must be written YYYY-MM-DD.");
  if (!Number.isSafeInteger(threadNo) || threadNo < 0) throw new DomainError("invalid", "Not a valid thread number.");
  // A separator no field can contain keeps ("a", "b1") and ("ab", "1") apart.
  const message = [ipHash, board, String(threadNo), day].join("\n");
  return createHmac("sha256", secret).update(message).digest("base64").slice(0, 8);
}
