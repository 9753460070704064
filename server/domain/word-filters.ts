import { DomainError } from "./errors.js";
import type { NewPost } from "./post.js";

/**
 * Word filters: staff-written words or regular expressions that refuse a post, hold it for a
 * moderator or replace the matched text, on one board or the whole instance, for local posts,
 * federated ones or both. Matching itself is in filter-matching.ts.
 */
export type FilterAction = "reject" | "hold" | "replace";
export type FilterScope = "local" | "federated" | "both";
export const FILTER_ACTIONS: readonly FilterAction[] = ["reject", "hold", "replace"];
export const FILTER_SCOPES: readonly FilterScope[] = ["local", "federated", "both"];

/** What a replace filter puts in place of the matched text when it names nothing. */
export const DEFAULT_REPLACEMENT = "[filtered]";
export const MAX_PATTERN = 500;
export const MAX_REPLACEMENT = 100;

export interface WordFilter {
  id: string;
  pattern: string;
  /** True: `pattern` is a regular expression (RE2 syntax); false: a word or phrase. */
  regex: boolean;
  /** The board it applies to; null for every board. */
  board: string | null;
  action: FilterAction;
  /** What replaces the match (replace filters only; null otherwise). */
  replacement: string | null;
  scope: FilterScope;
  createdAt: number;
  updatedAt: number;
}

export type FilterAuditAction = "create" | "update" | "delete";

/** One change to the filters, kept for staff (never public: a published filter helps evasion). */
export interface FilterAuditEntry {
  id: string;
  filterId: string;
  action: FilterAuditAction;
  /** The filter after the change (before it, for a delete). */
  filter: WordFilter;
  /** Who changed it: a staff username, or "api" for the admin API. */
  by: string;
  at: number;
}

/**
 * The filters and their audit trail. Every write changes the filter and appends its audit entry in
 * one transaction, and moves `version`, so every process sharing the store recompiles its rules.
 */
export interface WordFilterRepository {
  /** Every filter, oldest first. */
  list(): Promise<WordFilter[]>;
  get(id: string): Promise<WordFilter | null>;
  create(filter: WordFilter, audit: FilterAuditEntry): Promise<void>;
  /** Replaces the filter of the same id; false when there is none. */
  update(filter: WordFilter, audit: FilterAuditEntry): Promise<boolean>;
  /** False when there is no such filter. */
  remove(id: string, audit: FilterAuditEntry): Promise<boolean>;
  /** Moves with every write. */
  version(): Promise<number>;
  /** The audit trail, newest first. */
  audit(limit: number): Promise<FilterAuditEntry[]>;
}

/** A local post a filter held for a moderator: not shown nor announced until approved. */
export interface HeldPost {
  id: string;
  board: string;
  /** The thread it replies to; null for a new thread. */
  threadNo: number | null;
  /** Why it is held (the filter that matched), for staff. */
  reason: string;
  /** The post as it will be written (its file, if any, already stored). */
  post: NewPost;
  heldAt: number;
}

export interface HeldPostRepository {
  add(held: HeldPost): Promise<void>;
  get(id: string): Promise<HeldPost | null>;
  /** Oldest first, of one board or of all. */
  list(board?: string): Promise<HeldPost[]>;
  /** False when there was no such post. */
  remove(id: string): Promise<boolean>;
  /** The media addresses (files and thumbnails) held posts refer to, which must not be collected. */
  referencedMedia(): Promise<Set<string>>;
}

/** Checks the members a filter is written with, as the admin API and the staff pages send them. */
export function checkedFilterFields(input: {
  pattern: unknown;
  regex: unknown;
  board: unknown;
  action: unknown;
  replacement: unknown;
  scope: unknown;
}): Pick<WordFilter, "pattern" | "regex" | "board" | "action" | "replacement" | "scope"> {
  const { pattern, regex, board, action, replacement, scope } = input;
  if (typeof pattern !== "string" || pattern.trim() === "")
    throw new DomainError("invalid", "pattern: the word or regular expression to match.");
  if (pattern.length > MAX_PATTERN) throw new DomainError("invalid", `pattern: at most ${MAX_PATTERN} characters.`);
  if (regex !== undefined && regex !== null && typeof regex !== "boolean")
    throw new DomainError("invalid", "regex: true or false.");
  if (board !== undefined && board !== null && (typeof board !== "string" || !/^[a-z0-9]{1,16}$/.test(board))) {
    throw new DomainError("invalid", "board: a board uri, or null for the whole instance.");
  }
  if (typeof action !== "string" || !(FILTER_ACTIONS as readonly string[]).includes(action)) {
    throw new DomainError("invalid", `action: one of ${FILTER_ACTIONS.join(", ")}.`);
  }
  const sc = scope === undefined || scope === null ? "both" : scope;
  if (typeof sc !== "string" || !(FILTER_SCOPES as readonly string[]).includes(sc)) {
    throw new DomainError("invalid", `scope: one of ${FILTER_SCOPES.join(", ")}.`);
  }
  if (replacement !== undefined && replacement !== null && typeof replacement !== "string") {
    throw new DomainError("invalid", "replacement: text.");
  }
  if (typeof replacement === "string" && replacement.length > MAX_REPLACEMENT) {
    throw new DomainError("invalid", `replacement: at most ${MAX_REPLACEMENT} characters.`);
  }
  return {
    pattern: regex === true ? pattern : pattern.trim(),
    regex: regex === true,
    board: typeof board === "string" ? board : null,
    action: action as FilterAction,
    replacement: action === "replace" ? (typeof replacement === "string" ? replacement : DEFAULT_REPLACEMENT) : null,
    scope: sc as FilterScope,
  };
}
