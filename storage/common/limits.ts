import { num } from "./guards.js";

/** A count limit from board settings as a whole, non-negative number (settings are plain numbers). */
export function countLimit(value: unknown, what: string): number {
  return Math.max(0, Math.floor(num(value, what)));
}
