import { createHmac } from "node:crypto";
import { DomainError } from "./errors.js";

const DAY_MS = 86_400_000;
/** What a poster token looks like on the wire: tokens from other Atoll versions may be longer. */
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/** Default length of a token's rotation period, in days (POSTER_TOKEN_ROTATION_DAYS). */
export const DEFAULT_TOKEN_ROTATION_DAYS = 7;

/** The number of the rotation period a time falls in: periods of `days` days counted from the epoch. */
export function tokenPeriod(ms: number, days: number): number {
  if (!Number.isFinite(ms)) throw new DomainError("invalid", "Not a valid time.");
  if (!Number.isFinite(days) || days <= 0) throw new Error("the token rotation period must be positive");
  return Math.floor(ms / (days * DAY_MS));
}

/**
 * A poster's pseudonymous handle on one board for one rotation period: what a mirror names when it
 * hides or reports a poster, and what the origin resolves back to the poster's own posts. An HMAC
 * of the address hash (itself an HMAC) with the instance's secret: not reversible without the
 * secret, unrelated across boards and across periods, and the address never leaves the instance.
 */
export function posterToken(ipHash: string, board: string, period: number, secret: string): string {
  if (!secret) throw new Error("posterToken needs a secret");
  if (!Number.isSafeInteger(period) || period < 0) throw new DomainError("invalid", "Not a valid rotation period.");
  // A separator no field can contain keeps ("a", "b1") and ("ab", "1") apart.
  const message = [ipHash, board, String(period)].join("\n");
  return createHmac("sha256", secret).update(message).digest("base64url").slice(0, 22);
}

export function isPosterToken(value: unknown): value is string {
  return typeof value === "string" && TOKEN.test(value);
}

/** A poster token whose posts a board's staff hide from the board's readers. */
export interface HiddenPosterToken {
  board: string;
  token: string;
  /** Staff's note on why; may be empty. Shown to staff only. */
  reason: string;
  /** The staff login that hid it (staff pages only; the public log names the role). */
  createdBy: string;
  createdAt: number;
}

export interface HiddenPosterTokenRepository {
  /** Records the token as hidden on its board; false when it already was. */
  hide(entry: HiddenPosterToken): Promise<boolean>;
  /** Lifts the hiding; false when the token was not hidden on the board. */
  unhide(board: string, token: string): Promise<boolean>;
  /** Hidden tokens, newest first: one board's, or every board's when `board` is null. */
  list(board: string | null): Promise<HiddenPosterToken[]>;
}

/** Hidden tokens grouped by board, for checking posts against them. */
export function tokensByBoard(list: readonly HiddenPosterToken[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const h of list) {
    const set = out.get(h.board) ?? new Set<string>();
    set.add(h.token);
    out.set(h.board, set);
  }
  return out;
}
