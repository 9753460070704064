/**
 * Serialisation to the shape of 4chan's read-only JSON API, field for field, so clients written for
 * it read an Atoll board unchanged. Atoll adds `ap_id` (and `fedi_actor` for fediverse posts).
 */
import { type Board, pageCapacity } from "../../domain/board.js";
import type { PostFile, ThreadState } from "../../domain/post.js";
import type { PostView, ThreadView } from "../../services/reader.js";
import type { Urls } from "../../services/urls.js";

export type Json = Record<string, unknown>;

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const pad = (n: number) => String(n).padStart(2, "0");

/** 4chan's `now`: `MM/DD/YY(Day)HH:MM:SS`, here in UTC. */
export function fourchanNow(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)}(${DAYS[d.getUTCDay()]})${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** A URL-friendly slug of the subject or comment, as 4chan's `semantic_url`. */
export function semanticUrl(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9\s-]/g, "")
    .trim()
    .split(/\s+/)
    .slice(0, 8)
    .join("-")
    .slice(0, 60);
}

export function postJson(board: Board, view: PostView, state: ThreadState, urls: Urls, opExtras?: Json): Json {
  const { post } = view;
  const op = post.no === post.threadNo;
  const out: Json = {
    no: post.no,
    resto: op ? 0 : post.threadNo,
  };
  if (op) {
    if (state.sticky) out["sticky"] = 1;
    if (state.locked) out["closed"] = 1;
  }
  out["now"] = fourchanNow(post.createdAt);
  out["time"] = Math.floor(post.createdAt / 1000);
  out["name"] = post.name;
  if (post.trip) out["trip"] = post.trip;
  if (view.posterId) out["id"] = view.posterId;
  if (post.capcode) out["capcode"] = post.capcode;
  if (post.subject) out["sub"] = post.subject;
  if (post.html) out["com"] = post.html;
  if (post.file) {
    Object.assign(out, fileJson(post.file));
    // vichan's shape: each further file with the same fields as the first.
    if (post.extraFiles.length > 0) out["extra_files"] = post.extraFiles.map(fileJson);
  } else if (post.fileDeleted) {
    out["filedeleted"] = 1;
  }
  if (op) {
    out["replies"] = state.replyCount;
    out["images"] = state.imageCount;
    if (state.replyCount >= board.settings.bumpLimit) out["bumplimit"] = 1;
    if (state.imageCount >= board.settings.imageLimit) out["imagelimit"] = 1;
    out["semantic_url"] = semanticUrl(post.subject ?? post.comment);
    if (state.archived) {
      out["archived"] = 1;
      out["archived_on"] = Math.floor((state.archivedAt ?? state.bumpedAt) / 1000);
    }
    Object.assign(out, opExtras);
  }
  out["ap_id"] = urls.apId(post);
  if (post.fediActor) out["fedi_actor"] = post.fediActor;
  return out;
}

export function threadJson(board: Board, thread: ThreadView, urls: Urls): Json {
  const posts = thread.posts.map((v, i) =>
    postJson(
      board,
      v,
      thread.state,
      urls,
      i === 0 ? { unique_ips: uniqueIps(thread), last_modified: seconds(thread.state.modifiedAt) } : undefined,
    ),
  );
  return { posts };
}

function uniqueIps(thread: ThreadView): number {
  const seen = new Set<string>();
  for (const v of thread.posts) seen.add(v.post.ipHash ?? v.post.fediActor ?? String(v.post.no));
  return seen.size;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** An index-page thread: OP with `omitted_posts`/`omitted_images`, then the shown replies. */
export function indexThreadJson(board: Board, thread: ThreadView, urls: Urls): Json {
  const posts = thread.posts.map((v, i) =>
    postJson(
      board,
      v,
      thread.state,
      urls,
      i === 0
        ? {
            omitted_posts: thread.omittedPosts,
            omitted_images: thread.omittedImages,
            last_modified: seconds(thread.state.modifiedAt),
          }
        : undefined,
    ),
  );
  return { posts };
}

/** A catalog entry: the OP with `last_replies`, as 4chan's catalog.json. */
export function catalogThreadJson(board: Board, thread: ThreadView, urls: Urls): Json {
  const [op, ...rest] = thread.posts;
  if (!op) return {};
  return postJson(board, op, thread.state, urls, {
    omitted_posts: thread.omittedPosts,
    omitted_images: thread.omittedImages,
    last_modified: seconds(thread.state.modifiedAt),
    ...(rest.length > 0 ? { last_replies: rest.map((v) => postJson(board, v, thread.state, urls)) } : {}),
  });
}

/** Splits threads into 4chan's numbered pages. */
export function paginate<T>(items: T[], perPage: number): Array<{ page: number; threads: T[] }> {
  const pages: Array<{ page: number; threads: T[] }> = [];
  for (let i = 0; i < items.length; i += perPage)
    pages.push({ page: pages.length + 1, threads: items.slice(i, i + perPage) });
  return pages.length > 0 ? pages : [{ page: 1, threads: [] }];
}

export function boardJson(board: Board): Json {
  const s = board.settings;
  const pages = pageCapacity(board);
  return {
    board: board.uri,
    title: board.title,
    ws_board: s.sfw ? 1 : 0,
    per_page: s.threadsPerPage,
    pages,
    max_filesize: s.maxFileSize,
    max_webm_filesize: 0,
    max_comment_chars: s.maxCommentLength,
    max_webm_duration: 0,
    bump_limit: s.bumpLimit,
    image_limit: s.imageLimit,
    cooldowns: { threads: s.threadCooldown, replies: s.replyCooldown, images: s.replyCooldown },
    meta_description: board.description,
    // Files may be marked spoilers, and threads past maxThreads go to the board's archive.
    spoilers: 1,
    is_archived: 1,
    ...(s.posterIds ? { user_ids: 1 } : {}),
    ...(s.forcedAnon ? { forced_anon: 1 } : {}),
  };
}

/** A file's 4chan fields. */
function fileJson(f: PostFile): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tim: f.tim,
    filename: f.filename,
    ext: f.ext,
    fsize: f.size,
    md5: f.md5,
    w: f.width,
    h: f.height,
    tn_w: f.thumbWidth,
    tn_h: f.thumbHeight,
  };
  if (f.spoiler) out["spoiler"] = 1;
  return out;
}
