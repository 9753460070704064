import { DomainError } from "./errors.js";
import type { Post } from "./post.js";

/** The longest query accepted, in characters. */
export const MAX_QUERY_LENGTH = 200;
/** Words a query may hold; more would only make the index work harder for nothing. */
export const MAX_QUERY_WORDS = 8;
export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 100;

/**
 * Where a page of results across boards stops: results are ordered by post time, then board name,
 * then number, all descending, and the next page holds the posts strictly after this key.
 */
export interface SearchKey {
  createdAt: number;
  board: string;
  no: number;
}

/**
 * What the store is asked: posts of `boards` holding every one of `words` in their subject or
 * comment. `before` a number: on one board, newest number first, only numbers below it.
 * `before` a key: newest time first (see SearchKey), only posts after it.
 */
export type PostSearchQuery = {
  words: string[];
  boards: string[];
  limit: number;
} & ({ order: "number"; before: number | null } | { order: "time"; before: SearchKey | null });

/** A run of letters, digits and combining marks: what both stores' full-text indexes call a word. */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/**
 * The words of what a reader typed, lower-cased and de-duplicated. Everything else (quotes, `*`,
 * parentheses, `-`, `:`) separates words and is never read as query syntax, so `NEAR`, `OR` or an
 * unbalanced quote are plain words or nothing. Throws DomainError("invalid") for an empty or
 * over-long query, or one without a word.
 */
export function searchWords(q: unknown): string[] {
  if (typeof q !== "string" || q.trim() === "") throw new DomainError("invalid", "q: the words to search for.");
  if (q.length > MAX_QUERY_LENGTH)
    throw new DomainError("invalid", `q: at most ${MAX_QUERY_LENGTH} characters.`, { max: MAX_QUERY_LENGTH });
  const words = [...new Set(q.normalize("NFKC").toLowerCase().match(WORD) ?? [])];
  if (words.length === 0) throw new DomainError("invalid", "q: search for at least one word (letters or digits).");
  if (words.length > MAX_QUERY_WORDS)
    throw new DomainError("invalid", `q: at most ${MAX_QUERY_WORDS} words.`, { max: MAX_QUERY_WORDS });
  return words;
}

/** The page size asked for: the default when absent; invalid outside 1 to MAX_SEARCH_LIMIT. */
export function searchLimit(value: unknown): number {
  if (value === undefined || value === "") return DEFAULT_SEARCH_LIMIT;
  const n = typeof value === "string" && /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_SEARCH_LIMIT))
    throw new DomainError("invalid", `limit: a whole number from 1 to ${MAX_SEARCH_LIMIT}.`);
  return n;
}

/** The key after `post` in cross-board order, written as `max_id` carries it: `{ms}-{board}-{no}`. */
export function formatSearchKey(post: Pick<Post, "createdAt" | "board" | "no">): string {
  return `${post.createdAt}-${post.board}-${post.no}`;
}

/** Reads a cross-board `max_id` (see formatSearchKey); throws DomainError("invalid") otherwise. */
export function parseSearchKey(value: string): SearchKey {
  const m = /^(\d{1,15})-([a-z0-9]{1,30})-(\d{1,15})$/.exec(value);
  if (!m) throw new DomainError("invalid", "max_id: the next_max_id of the previous page ({time}-{board}-{no}).");
  return { createdAt: Number(m[1]), board: m[2] as string, no: Number(m[3]) };
}

/** Reads a one-board `max_id` (a post number); throws DomainError("invalid") otherwise. */
export function parseSearchNumber(value: string): number {
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1)
    throw new DomainError("invalid", "max_id: a post number; results are the posts numbered below it.");
  return Number(value);
}
