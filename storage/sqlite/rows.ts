import type { ImageType } from "../../server/domain/board.js";
import type { ImageExt, Post, PostFile, ThreadState } from "../../server/domain/post.js";
import { storedFile } from "../common/post-file.js";

/** A `posts` row as SQLite returns it: booleans are 0/1, the file is flattened, quotes are JSON. */
export interface PostRow {
  board: string;
  no: number;
  thread_no: number;
  created_at: number;
  name: string;
  trip: string | null;
  capcode: string | null;
  subject: string | null;
  comment: string;
  html: string;
  quotes: string;
  poster_id: string | null;
  sage: number;
  file_sha256: string | null;
  file_thumb_sha256: string | null;
  file_tim: number | null;
  file_ext: string | null;
  file_mime: string | null;
  file_name: string | null;
  file_size: number | null;
  file_width: number | null;
  file_height: number | null;
  file_thumb_width: number | null;
  file_thumb_height: number | null;
  file_md5: string | null;
  file_spoiler: number | null;
  file_duration: number | null;
  file_deleted: number;
  /** The post's further files: a JSON list of PostFile, null when there are none. */
  extra_files: string | null;
  ip_hash: string | null;
  password_hash: string | null;
  ap_id: string | null;
  fedi_actor: string | null;
  poster_token: string | null;
}

export type FileRow = Pick<
  PostRow,
  | "file_sha256"
  | "file_thumb_sha256"
  | "file_tim"
  | "file_ext"
  | "file_mime"
  | "file_name"
  | "file_size"
  | "file_width"
  | "file_height"
  | "file_thumb_width"
  | "file_thumb_height"
  | "file_md5"
  | "file_spoiler"
  | "file_duration"
>;

export const FILE_COLUMNS =
  "file_sha256, file_thumb_sha256, file_tim, file_ext, file_mime, file_name, file_size, file_width, file_height, " +
  "file_thumb_width, file_thumb_height, file_md5, file_spoiler, file_duration";

export const POST_COLUMNS =
  "board, no, thread_no, created_at, name, trip, capcode, subject, comment, html, quotes, poster_id, sage, " +
  `${FILE_COLUMNS}, file_deleted, ip_hash, password_hash, ap_id, fedi_actor, poster_token, extra_files`;

/** Where each named column is in a row read as values (`statement.raw()`), from a column list. */
function columnPlaces<R>(columns: string): Record<keyof R, number> {
  return Object.fromEntries(columns.split(", ").map((c, i) => [c, i])) as Record<keyof R, number>;
}

const POST_AT = columnPlaces<PostRow>(POST_COLUMNS);

/**
 * A posts row read as values (a statement in raw mode, selecting POST_COLUMNS): the driver hands
 * back an array much faster than an object of thirty-one named fields, and the literal here gives
 * every row one shape.
 */
export function postRowFromValues(v: readonly unknown[]): PostRow {
  const at = POST_AT;
  return {
    board: v[at.board] as string,
    no: v[at.no] as number,
    thread_no: v[at.thread_no] as number,
    created_at: v[at.created_at] as number,
    name: v[at.name] as string,
    trip: v[at.trip] as string | null,
    capcode: v[at.capcode] as string | null,
    subject: v[at.subject] as string | null,
    comment: v[at.comment] as string,
    html: v[at.html] as string,
    quotes: v[at.quotes] as string,
    poster_id: v[at.poster_id] as string | null,
    sage: v[at.sage] as number,
    file_sha256: v[at.file_sha256] as string | null,
    file_thumb_sha256: v[at.file_thumb_sha256] as string | null,
    file_tim: v[at.file_tim] as number | null,
    file_ext: v[at.file_ext] as string | null,
    file_mime: v[at.file_mime] as string | null,
    file_name: v[at.file_name] as string | null,
    file_size: v[at.file_size] as number | null,
    file_width: v[at.file_width] as number | null,
    file_height: v[at.file_height] as number | null,
    file_thumb_width: v[at.file_thumb_width] as number | null,
    file_thumb_height: v[at.file_thumb_height] as number | null,
    file_md5: v[at.file_md5] as string | null,
    file_spoiler: v[at.file_spoiler] as number | null,
    file_duration: v[at.file_duration] as number | null,
    file_deleted: v[at.file_deleted] as number,
    ip_hash: v[at.ip_hash] as string | null,
    password_hash: v[at.password_hash] as string | null,
    ap_id: v[at.ap_id] as string | null,
    fedi_actor: v[at.fedi_actor] as string | null,
    poster_token: v[at.poster_token] as string | null,
    extra_files: v[at.extra_files] as string | null,
  };
}

/** The same columns qualified by a table alias, for joins. */
export function postColumnsOf(alias: string): string {
  return POST_COLUMNS.split(", ")
    .map((c) => `${alias}.${c}`)
    .join(", ");
}

/** The named parameters the insert statement takes (`@board`, `@no`, ...). */
export const POST_PARAMS = POST_COLUMNS.split(", ")
  .map((c) => `@${c}`)
  .join(", ");

export function fileFromRow(row: FileRow): PostFile | null {
  if (row.file_sha256 === null) return null;
  return {
    sha256: row.file_sha256,
    thumbSha256: row.file_thumb_sha256 ?? "",
    tim: row.file_tim ?? 0,
    ext: (row.file_ext ?? "") as ImageExt,
    mime: (row.file_mime ?? "") as ImageType,
    filename: row.file_name ?? "",
    size: row.file_size ?? 0,
    width: row.file_width ?? 0,
    height: row.file_height ?? 0,
    thumbWidth: row.file_thumb_width ?? 0,
    thumbHeight: row.file_thumb_height ?? 0,
    md5: row.file_md5 ?? "",
    spoiler: row.file_spoiler === 1,
    ...(row.file_duration === null ? {} : { duration: row.file_duration }),
  };
}

function parseQuotes(json: string): number[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((n): n is number => typeof n === "number") : [];
  } catch {
    return [];
  }
}

/** The `extra_files` column read back: files this store wrote, copied field by field. */
export function parseFiles(json: string): PostFile[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) return [];
  return value.map((f: PostFile) => storedFile(f));
}

export function postFromRow(row: PostRow): Post {
  return {
    board: row.board,
    no: row.no,
    threadNo: row.thread_no,
    createdAt: row.created_at,
    name: row.name,
    trip: row.trip,
    capcode: row.capcode,
    subject: row.subject,
    comment: row.comment,
    html: row.html,
    quotes: parseQuotes(row.quotes),
    posterId: row.poster_id,
    sage: row.sage === 1,
    file: fileFromRow(row),
    extraFiles: row.extra_files === null ? [] : parseFiles(row.extra_files),
    fileDeleted: row.file_deleted === 1,
    ipHash: row.ip_hash,
    posterToken: row.poster_token,
    passwordHash: row.password_hash,
    apId: row.ap_id,
    fediActor: row.fedi_actor,
  };
}

export function postToRow(p: Post): PostRow {
  const f = p.file;
  return {
    board: p.board,
    no: p.no,
    thread_no: p.threadNo,
    created_at: p.createdAt,
    name: p.name,
    trip: p.trip,
    capcode: p.capcode,
    subject: p.subject,
    comment: p.comment,
    html: p.html,
    quotes: JSON.stringify(p.quotes),
    poster_id: p.posterId,
    sage: p.sage ? 1 : 0,
    file_sha256: f?.sha256 ?? null,
    file_thumb_sha256: f?.thumbSha256 ?? null,
    file_tim: f?.tim ?? null,
    file_ext: f?.ext ?? null,
    file_mime: f?.mime ?? null,
    file_name: f?.filename ?? null,
    file_size: f?.size ?? null,
    file_width: f?.width ?? null,
    file_height: f?.height ?? null,
    file_thumb_width: f?.thumbWidth ?? null,
    file_thumb_height: f?.thumbHeight ?? null,
    file_md5: f?.md5 ?? null,
    file_spoiler: f ? (f.spoiler ? 1 : 0) : null,
    file_duration: f?.duration ?? null,
    file_deleted: p.fileDeleted ? 1 : 0,
    ip_hash: p.ipHash,
    password_hash: p.passwordHash,
    ap_id: p.apId,
    fedi_actor: p.fediActor,
    poster_token: p.posterToken ?? null,
    extra_files: p.extraFiles.length > 0 ? JSON.stringify(p.extraFiles) : null,
  };
}

/** A `threads` row; listing joins read the same fields prefixed with `t_`. */
export interface ThreadRow {
  board: string;
  no: number;
  created_at: number;
  bumped_at: number;
  reply_count: number;
  image_count: number;
  sticky: number;
  locked: number;
  archived: number;
  archived_at: number | null;
  version: number;
  modified_at: number;
}

export const THREAD_COLUMNS =
  "board, no, created_at, bumped_at, reply_count, image_count, sticky, locked, archived, archived_at, version, modified_at";

const THREAD_AT = columnPlaces<ThreadRow>(THREAD_COLUMNS);

/** A threads row read as values (a statement in raw mode, selecting THREAD_COLUMNS). */
export function threadRowFromValues(v: readonly unknown[]): ThreadRow {
  const at = THREAD_AT;
  return {
    board: v[at.board] as string,
    no: v[at.no] as number,
    created_at: v[at.created_at] as number,
    bumped_at: v[at.bumped_at] as number,
    reply_count: v[at.reply_count] as number,
    image_count: v[at.image_count] as number,
    sticky: v[at.sticky] as number,
    locked: v[at.locked] as number,
    archived: v[at.archived] as number,
    archived_at: v[at.archived_at] as number | null,
    version: v[at.version] as number,
    modified_at: v[at.modified_at] as number,
  };
}

export function threadFromRow(row: ThreadRow): ThreadState {
  return {
    board: row.board,
    no: row.no,
    createdAt: row.created_at,
    bumpedAt: row.bumped_at,
    replyCount: row.reply_count,
    imageCount: row.image_count,
    sticky: row.sticky === 1,
    locked: row.locked === 1,
    archived: row.archived === 1,
    archivedAt: row.archived_at,
    version: row.version,
    modifiedAt: row.modified_at,
  };
}
