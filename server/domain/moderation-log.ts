import { DomainError } from "./errors.js";
import type { Role } from "./staff.js";

/**
 * The public record of what staff did on a board, and of removals its followed groups sent. Entries
 * name staff only by the public label of their role (or a capcode they chose), never by login name.
 */
export type ModerationAction =
  | "delete"
  | "delete_file"
  | "ban"
  | "lock"
  | "unlock"
  | "sticky"
  | "unsticky"
  | "archive"
  | "unarchive"
  | "remote_removal"
  | "hide_poster"
  | "unhide_poster";

export const MODERATION_ACTIONS: readonly ModerationAction[] = [
  "delete",
  "delete_file",
  "ban",
  "lock",
  "unlock",
  "sticky",
  "unsticky",
  "archive",
  "unarchive",
  "remote_removal",
  "hide_poster",
  "unhide_poster",
];

export interface ModerationLogEntry {
  id: string;
  board: string;
  action: ModerationAction;
  /** The post acted on (a thread's OP for thread actions); null for a ban given without a post. */
  postNo: number | null;
  /** The public reason; empty when none was given. */
  reason: string;
  /** Who acted, as the public sees it ("Board owner", a capcode, or the remote moderator's id). */
  by: string;
  createdAt: number;
}

/** Longest public reason kept in the log and sent in `summary`. */
export const MAX_PUBLIC_REASON = 500;

export interface ModerationLogRepository {
  append(entry: ModerationLogEntry): Promise<void>;
  /** The board's entries, newest first, those created before `before` when given. */
  list(board: string, query: { before?: number | undefined; limit: number }): Promise<ModerationLogEntry[]>;
}

/** How the public sees a staff member of `role` acting on a board: by role, never by login name. */
export function publicStaffLabel(role: Role): string {
  switch (role) {
    case "admin":
      return "Administrator";
    case "global_mod":
      return "Global moderator";
    case "board_owner":
      return "Board owner";
    case "board_volunteer":
      return "Board volunteer";
  }
}

/** How the public sees this staff member: the name they chose, else their role's label. */
export function staffPublicName(user: { role: Role; publicName?: string | undefined }): string {
  return user.publicName ?? publicStaffLabel(user.role);
}

/** Longest chosen public name. */
export const MAX_PUBLIC_NAME = 40;
/** Letters and digits of any script, spaces and a little punctuation: no markup, no control characters. */
const PUBLIC_NAME = /^[\p{L}\p{N}][\p{L}\p{N} .,'&()/#+_-]*$/u;

/**
 * A chosen public name, checked: trimmed, inner spaces folded, at most MAX_PUBLIC_NAME characters
 * of PUBLIC_NAME. Empty (or null) clears it: the role's label is shown again.
 */
export function checkPublicName(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new DomainError("invalid", "public_name: text, or null to clear it.");
  const name = value.normalize("NFC").trim().replace(/\s+/g, " ");
  if (name === "") return null;
  if ([...name].length > MAX_PUBLIC_NAME) {
    throw new DomainError("invalid", `public_name: at most ${MAX_PUBLIC_NAME} characters.`);
  }
  if (!PUBLIC_NAME.test(name)) {
    throw new DomainError(
      "invalid",
      "public_name: letters, digits, spaces and . , ' & ( ) / # + _ - only, starting with a letter or digit.",
    );
  }
  return name;
}

/** A public reason as given (a string, trimmed), checked for length; absent: empty. */
export function publicReason(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new DomainError("invalid", "reason: text.");
  const reason = value.trim();
  if (reason.length > MAX_PUBLIC_REASON) {
    throw new DomainError("invalid", `reason: at most ${MAX_PUBLIC_REASON} characters.`);
  }
  return reason;
}
