import { DomainError } from "./errors.js";
/**
 * Staff roles, as infinity and LynxChan scope them: instance-wide roles, and board roles that
 * apply only to the boards listed on the user.
 */
export type Role = "admin" | "global_mod" | "board_owner" | "board_volunteer";
export const ROLES: readonly Role[] = ["admin", "global_mod", "board_owner", "board_volunteer"];

export interface StaffUser {
  username: string;
  passwordHash: string;
  role: Role;
  /** Boards a board owner or volunteer moderates; ignored for instance-wide roles. */
  boards: string[];
  createdAt: number;
  /**
   * The name the public sees for this account's staff actions (its Person, the moderation log), as
   * the account or an admin chose it; absent, its role's label stands in. Never the login name
   * unless someone typed it.
   */
  publicName?: string;
  /** Time-based codes asked at sign-in after the password (see StaffTotp); absent: password alone. */
  totp?: StaffTotp;
}

/**
 * A staff account's two-factor sign-in. The shared secret is stored sealed (encrypted under a key
 * derived from the instance secret), recovery codes only as sha256 hashes. Until `enabledAt` is set the
 * enrolment is pending: the secret was shown but no code from it has confirmed it yet.
 */
export interface StaffTotp {
  sealedSecret: string;
  recoveryHashes: string[];
  enabledAt: number | null;
  /** The newest 30-second step whose code was accepted: a code is good once. */
  lastStep: number;
}

/** Whether the account signs in with a code after its password. */
export function hasTwoFactor(user: Pick<StaffUser, "totp">): boolean {
  return typeof user.totp?.enabledAt === "number";
}

export type Permission =
  | "manage_instance" // boards, staff, tokens, instance settings
  | "manage_board" // a board's settings and volunteers
  | "moderate"; // delete, ban, sticky, lock, archive, reports

/** Whether `user` may do `permission` on `board` (or instance-wide when board is null). */
export function can(user: Pick<StaffUser, "role" | "boards">, permission: Permission, board: string | null): boolean {
  switch (user.role) {
    case "admin":
      return true;
    case "global_mod":
      return permission === "moderate";
    case "board_owner":
      return board !== null && user.boards.includes(board) && permission !== "manage_instance";
    case "board_volunteer":
      return board !== null && user.boards.includes(board) && permission === "moderate";
  }
}

export interface Session {
  /** sha256 of the session cookie value: the cookie itself is never stored. */
  idHash: string;
  username: string;
  createdAt: number;
  expiresAt: number;
}

export interface ApiToken {
  id: string;
  /** sha256 of the token: the token itself is shown once and never stored. */
  tokenHash: string;
  label: string;
  createdAt: number;
}

export interface Ban {
  id: string;
  /** HMAC of the banned address (IPv6 by /64). */
  ipHash: string;
  /** null: every board. */
  board: string | null;
  reason: string;
  createdAt: number;
  /** null: permanent. */
  expiresAt: number | null;
  createdBy: string;
  /** The post that earned the ban, as `board/no`, for the record. */
  postRef: string | null;
}

/**
 * What kind of wrong a report is about, a fixed set as Mastodon's report categories are (its spam,
 * legal, violation, other): unwanted advertising or floods, content against the law, a board rule
 * broken, anything else.
 */
export const REPORT_CATEGORIES = ["spam", "illegal", "rule", "other"] as const;
export type ReportCategory = (typeof REPORT_CATEGORIES)[number];

export function isReportCategory(value: unknown): value is ReportCategory {
  return typeof value === "string" && (REPORT_CATEGORIES as readonly string[]).includes(value);
}

export interface Report {
  id: string;
  board: string;
  postNo: number;
  reason: string;
  /** Absent: the reporter chose none (or the report came from a server that sends none). */
  category?: ReportCategory;
  createdAt: number;
  ipHash: string | null;
  resolved: boolean;
  /** The server a report from the fediverse came from (its domain); absent for a reader's report. */
  origin?: string;
  /** The Flag it arrived as, kept when its sender reads Lemmy's `Resolve`, which answers it. */
  flag?: ReceivedFlag;
  /** The poster token a peer's Flag named, checked to be the reported post's own. */
  posterToken?: string;
}

/** What a `Resolve` must repeat of the Flag it answers (Lemmy embeds the Flag in it). */
export interface ReceivedFlag {
  id: string;
  actor: string;
  /** The group (our board) it was addressed to. */
  to: string[];
  /** The reported object's id. */
  object: string;
  summary: string;
}

/** Longest ban reason (the banned poster or account sees it). */
export const MAX_BAN_REASON = 500;
/** Longest timed ban: ten years; longer is permanent. */
export const MAX_BAN_SECONDS = 10 * 365 * 24 * 3600;

/**
 * A ban's reason and length as given, checked: a reason (which `who` will read) of at most
 * MAX_BAN_REASON characters, and a whole number of seconds up to MAX_BAN_SECONDS or none (permanent).
 */
export function banTerms(
  input: { reason?: unknown; durationSeconds?: number | null | undefined },
  who: string,
): { reason: string; durationSeconds: number | null } {
  const reason = typeof input.reason === "string" ? input.reason.trim() : "";
  if (reason.length === 0) throw new DomainError("invalid", `reason: a ban needs a reason (${who} sees it).`);
  if (reason.length > MAX_BAN_REASON) throw new DomainError("invalid", `reason: at most ${MAX_BAN_REASON} characters.`);
  const duration = input.durationSeconds ?? null;
  if (duration !== null && (!Number.isInteger(duration) || duration <= 0 || duration > MAX_BAN_SECONDS)) {
    throw new DomainError(
      "invalid",
      `duration: a whole number of seconds from 1 to ${MAX_BAN_SECONDS}, or none for a permanent ban.`,
    );
  }
  return { reason, durationSeconds: duration };
}
