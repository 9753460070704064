import { DomainError } from "../../server/domain/errors.js";
import type { NewPost } from "../../server/domain/post.js";
import {
  FILTER_ACTIONS,
  FILTER_SCOPES,
  type FilterAuditAction,
  type FilterAuditEntry,
  type HeldPost,
  type WordFilter,
} from "../../server/domain/word-filters.js";
import { int, nullableInt, nullableStr, str } from "./guards.js";
import { buildPost } from "./new-post.js";

const AUDIT_ACTIONS: readonly FilterAuditAction[] = ["create", "update", "delete"];

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new DomainError("invalid", `${what} must be one of ${allowed.join(", ")}.`);
  }
  return value as T;
}

/** A filter copied member by member, each of the right type: nothing stray reaches a row or document. */
export function checkedFilter(f: WordFilter): WordFilter {
  if (f === null || typeof f !== "object") throw new DomainError("invalid", "A filter must be an object.");
  if (typeof f.regex !== "boolean") throw new DomainError("invalid", "regex must be true or false.");
  return {
    id: str(f.id, "id"),
    pattern: str(f.pattern, "pattern"),
    regex: f.regex,
    board: nullableStr(f.board, "board"),
    action: oneOf(f.action, FILTER_ACTIONS, "action"),
    replacement: nullableStr(f.replacement, "replacement"),
    scope: oneOf(f.scope, FILTER_SCOPES, "scope"),
    createdAt: int(f.createdAt, "createdAt"),
    updatedAt: int(f.updatedAt, "updatedAt"),
  };
}

export function checkedFilterAudit(a: FilterAuditEntry): FilterAuditEntry {
  if (a === null || typeof a !== "object") throw new DomainError("invalid", "An audit entry must be an object.");
  return {
    id: str(a.id, "id"),
    filterId: str(a.filterId, "filterId"),
    action: oneOf(a.action, AUDIT_ACTIONS, "action"),
    filter: checkedFilter(a.filter),
    by: str(a.by, "by"),
    at: int(a.at, "at"),
  };
}

/** The post of a held post, checked as a post about to be written is. */
function checkedNewPost(p: NewPost): NewPost {
  const { board: _b, no: _n, threadNo: _t, ...post } = buildPost("held", 0, 0, p);
  return post;
}

export function checkedHeldPost(h: HeldPost): HeldPost {
  if (h === null || typeof h !== "object") throw new DomainError("invalid", "A held post must be an object.");
  return {
    id: str(h.id, "id"),
    board: str(h.board, "board"),
    threadNo: nullableInt(h.threadNo, "threadNo"),
    reason: str(h.reason, "reason"),
    post: checkedNewPost(h.post),
    heldAt: int(h.heldAt, "heldAt"),
  };
}
