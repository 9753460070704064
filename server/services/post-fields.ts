import type { Board } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { stripFormatChars } from "../domain/format-chars.js";
import { normalizeComment } from "../domain/markup.js";
import type { PostInput } from "./posting.js";

/** Longest text a poster's fields may hold (the comment's limit is the board's). */
export const LIMITS = { name: 100, email: 100, subject: 100, password: 128 } as const;

/** A post's text fields checked and normalized; anything not text, or too long, is a clear refusal. */
export function postFields(board: Board, input: PostInput) {
  const text = (v: unknown, field: string, max: number): string => {
    if (v === undefined || v === null) return "";
    if (typeof v !== "string") throw new DomainError("invalid", `The field "${field}" must be text.`);
    if (v.length > max) throw new DomainError("invalid", `The field "${field}" is longer than ${max} characters.`);
    return v;
  };
  const comment = normalizeComment(text(input.comment, "com", board.settings.maxCommentLength));
  const email = text(input.email, "email", LIMITS.email).trim().toLowerCase();
  return {
    name: stripFormatChars(text(input.name, "name", LIMITS.name)),
    subject: stripFormatChars(text(input.subject, "sub", LIMITS.subject)).trim(),
    comment,
    password: text(input.password, "password", LIMITS.password),
    sage: email === "sage",
  };
}
