import { MEDIA_TYPES } from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";
import { EXT_BY_TYPE, MAX_POST_FILES, type NewPost, type Post, type PostFile } from "../../server/domain/post.js";
import { int, nullableStr, str } from "./guards.js";

const EXTS = new Set<string>(Object.values(EXT_BY_TYPE));

function bool(value: unknown, what: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw new DomainError("invalid", `${what} must be true or false.`);
  return value;
}

function checkedFile(f: unknown): PostFile | null {
  if (f === null || f === undefined) return null;
  if (typeof f !== "object") throw new DomainError("invalid", "file must be an object.");
  const file = f as Record<keyof PostFile, unknown>;
  const mime = str(file.mime, "file.mime");
  const ext = str(file.ext, "file.ext");
  if (!(MEDIA_TYPES as readonly string[]).includes(mime))
    throw new DomainError("invalid", "file.mime is not an image or video type.");
  if (!EXTS.has(ext)) throw new DomainError("invalid", "file.ext is not an image or video extension.");
  return {
    sha256: str(file.sha256, "file.sha256"),
    thumbSha256: str(file.thumbSha256, "file.thumbSha256"),
    tim: int(file.tim, "file.tim"),
    ext: ext as PostFile["ext"],
    mime: mime as PostFile["mime"],
    filename: str(file.filename, "file.filename"),
    size: int(file.size, "file.size"),
    width: int(file.width, "file.width"),
    height: int(file.height, "file.height"),
    thumbWidth: int(file.thumbWidth, "file.thumbWidth"),
    thumbHeight: int(file.thumbHeight, "file.thumbHeight"),
    md5: str(file.md5, "file.md5"),
    spoiler: bool(file.spoiler, "file.spoiler"),
    ...(file.duration === undefined || file.duration === null ? {} : { duration: duration(file.duration) }),
  };
}

function duration(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new DomainError("invalid", "file.duration must be a number of seconds.");
  return value;
}

function checkedFiles(p: NewPost): Pick<Post, "file" | "extraFiles"> {
  const file = checkedFile(p.file);
  const extra = p.extraFiles ?? [];
  if (!Array.isArray(extra)) throw new DomainError("invalid", "extraFiles must be a list.");
  if (extra.length > 0 && !file) throw new DomainError("invalid", "extraFiles needs a first file.");
  if (extra.length + 1 > MAX_POST_FILES) throw new DomainError("invalid", "Too many files for one post.");
  return { file, extraFiles: extra.map((f) => checkedFile(f) ?? invalidFile()) };
}

function invalidFile(): never {
  throw new DomainError("invalid", "extraFiles holds an empty entry.");
}

/**
 * The post a NewPost becomes once numbered, checked and copied field by field: no stray property
 * reaches a table or document, and a value of the wrong type is a DomainError rather than a driver
 * error halfway through a transaction.
 */
export function buildPost(board: string, no: number, threadNo: number, p: NewPost): Post {
  if (p === null || typeof p !== "object") throw new DomainError("invalid", "A post must be an object.");
  const quotes = p.quotes ?? [];
  if (!Array.isArray(quotes)) throw new DomainError("invalid", "quotes must be a list.");
  return {
    board,
    no,
    threadNo,
    createdAt: int(p.createdAt, "createdAt"),
    name: str(p.name, "name"),
    trip: nullableStr(p.trip, "trip"),
    capcode: nullableStr(p.capcode, "capcode"),
    subject: nullableStr(p.subject, "subject"),
    comment: str(p.comment, "comment"),
    html: str(p.html, "html"),
    quotes: quotes.map((q) => int(q, "quotes")),
    posterId: nullableStr(p.posterId, "posterId"),
    sage: bool(p.sage, "sage"),
    ...checkedFiles(p),
    fileDeleted: bool(p.fileDeleted, "fileDeleted"),
    ipHash: nullableStr(p.ipHash, "ipHash"),
    posterToken: nullableStr(p.posterToken, "posterToken"),
    passwordHash: nullableStr(p.passwordHash, "passwordHash"),
    apId: nullableStr(p.apId, "apId"),
    fediActor: nullableStr(p.fediActor, "fediActor"),
  };
}
