import { type Board, DEFAULT_BOARD_SETTINGS } from "../../domain/board.js";
import { DomainError } from "../../domain/errors.js";
import type { Post, ThreadState } from "../../domain/post.js";
import type { Ban, Report } from "../../domain/staff.js";
import type { Urls } from "../../services/urls.js";
import { railsBoolean } from "./body.js";

/** The admin API's representations: snake_case members and ISO 8601 times. */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function boardJson(b: Board) {
  return { uri: b.uri, title: b.title, description: b.description, settings: b.settings, created_at: iso(b.createdAt) };
}

/** A report with the reported post, so a moderator's tool can judge it without another request. */
export function reportJson(r: Report, post: Post | null, urls: Urls) {
  return {
    id: r.id,
    board: r.board,
    post_no: r.postNo,
    reason: r.reason,
    /** spam, illegal, rule or other; null when none was given. */
    category: r.category ?? null,
    created_at: iso(r.createdAt),
    resolved: r.resolved,
    /** The reporting server's domain for a report from the fediverse; null for a reader's here. */
    origin: r.origin ?? null,
    /** The poster token a peer's report named (it is the post's own); null otherwise. */
    poster_token: r.posterToken ?? null,
    post: post
      ? {
          no: post.no,
          thread_no: post.threadNo,
          url: urls.thread(post.board, post.threadNo, post.no),
          name: post.name,
          trip: post.trip,
          subject: post.subject,
          comment: post.comment,
          file: post.file
            ? { url: urls.file(post.board, post.file), thumb_url: urls.thumb(post.board, post.file) }
            : null,
          created_at: iso(post.createdAt),
          /** The poster's token on the board (staff only: a moderation handle, never shown publicly). */
          poster_token: post.posterToken,
        }
      : null,
  };
}

/** A ban's length in seconds: a number, or its digits as a form sends them; null or "" is permanent. */
export function banDuration(v: unknown): number | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^[0-9]{1,12}$/.test(v.trim())) return Number(v.trim());
  throw new DomainError("invalid", "duration: seconds as a number, or null for a permanent ban.");
}

export function banJson(b: Ban) {
  return {
    id: b.id,
    board: b.board,
    ip_hash: b.ipHash,
    reason: b.reason,
    created_at: iso(b.createdAt),
    expires_at: iso(b.expiresAt),
    created_by: b.createdBy,
    post: b.postRef,
  };
}

export function threadJson(t: ThreadState) {
  return {
    board: t.board,
    no: t.no,
    sticky: t.sticky,
    locked: t.locked,
    archived: t.archived,
    archived_at: iso(t.archivedAt),
    replies: t.replyCount,
    images: t.imageCount,
    bumped_at: iso(t.bumpedAt),
  };
}

/** The JSON body as an object of known members; anything else is a 400 naming the stray member. */
export function jsonObject(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body))
    throw new DomainError("invalid", "The request body must be a JSON object.");
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key))
      throw new DomainError("invalid", `Unknown member "${key}"; expected ${allowed.join(", ")}.`);
  }
  return body as Record<string, unknown>;
}

export function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new DomainError("invalid", `${key}: must be a string.`);
  return v;
}

/** A boolean from JSON, or as a form sends one ("true"/"false", "1"/"0", "on"/"off"). */
export function optionalBoolean(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const flag = railsBoolean(v);
  if (flag === undefined) throw new DomainError("invalid", `${key}: must be true or false.`);
  return flag;
}

/**
 * Board settings as a form sends them (`settings[bumpLimit]=250`, `settings[allowedTypes][]=…`): each
 * text value read as the type the setting has, so the board service checks one shape whatever the
 * body's encoding. A value that does not read as its type is left as sent, for the service to refuse.
 */
export function formSettings(settings: unknown): unknown {
  if (typeof settings !== "object" || settings === null || Array.isArray(settings)) return settings;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    const model: unknown = (DEFAULT_BOARD_SETTINGS as Record<string, unknown>)[key];
    if (typeof model === "number" && typeof value === "string" && /^-?[0-9]{1,15}$/.test(value.trim())) {
      out[key] = Number(value.trim());
    } else if (typeof model === "boolean") {
      out[key] = railsBoolean(value) ?? value;
    } else if (Array.isArray(model) && typeof value === "string") {
      out[key] = [value];
    } else out[key] = value;
  }
  return out;
}
