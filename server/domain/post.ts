import type { ImageType, MediaType } from "./board.js";

export type ImageExt = ".jpg" | ".png" | ".gif" | ".webp";
export type MediaExt = ImageExt | ".webm" | ".mp4";

export const IMAGE_EXT: Readonly<Record<ImageType, ImageExt>> = {
  "image/jpeg": ".jpg",
  "image/png": ".png",
  "image/gif": ".gif",
  "image/webp": ".webp",
};

export const EXT_BY_TYPE: Readonly<Record<MediaType, MediaExt>> = {
  ...IMAGE_EXT,
  "video/webm": ".webm",
  "video/mp4": ".mp4",
};

/** A stored image attached to a post. Both files live in the media store by content address. */
export interface PostFile {
  /** sha256 (hex) of the stored, metadata-free original: its content address. */
  sha256: string;
  /** sha256 (hex) of the thumbnail. */
  thumbSha256: string;
  /** 4chan-style file id, unique within the board; names the file in URLs: `{tim}{ext}`, `{tim}s.jpg`. */
  tim: number;
  ext: MediaExt;
  mime: MediaType;
  /** The uploader's file name without extension: shown as escaped text, never used in a path. */
  filename: string;
  /** Bytes of the stored original. */
  size: number;
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  /** base64 MD5 of the stored original, as 4chan reports it. */
  md5: string;
  spoiler: boolean;
  /** A video's length in seconds; absent for images (and for videos stored before it was kept). */
  duration?: number;
}

/** Most files one post may carry, whatever a board sets (its `maxFiles` stays at or below it). */
export const MAX_POST_FILES = 16;

export interface Post {
  board: string;
  /** Board-wide post number. */
  no: number;
  /** The thread's OP number; equal to `no` for an OP. */
  threadNo: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  name: string;
  trip: string | null;
  capcode: string | null;
  subject: string | null;
  /** The comment as typed (raw text), kept for editing, search and federation `source`. */
  comment: string;
  /**
   * The comment rendered once at write time, in 4chan's `com` markup: escaped text with `<br>`,
   * `<span class="quote">` greentext, `<a class="quotelink">` quotes, `<s>` spoilers, `<pre>` code.
   */
  html: string;
  /** Numbers of posts on the same board this post quotes (`>>N`), for backlinks. */
  quotes: number[];
  posterId: string | null;
  sage: boolean;
  /** The post's first file: 4chan's file fields. */
  file: PostFile | null;
  /**
   * The post's further files, in order (vichan's `extra_files`); empty when it has one file or none.
   * Never set while `file` is null: deleting the first file moves the next one up.
   */
  extraFiles: PostFile[];
  /** A file was attached and later deleted by its poster or staff. */
  fileDeleted: boolean;
  /** HMAC of the poster's address (IPv6 by /64); null for posts from the fediverse. */
  ipHash: string | null;
  /**
   * The poster's per-board, rotating pseudonymous token (see poster-token.ts): set on local posts
   * with an address, kept as sent on posts mirrored from another Atoll; absent or null otherwise.
   * A moderation handle shown to staff only, never on public pages.
   */
  posterToken: string | null;
  /** Hash of the deletion password, if one was given. */
  passwordHash: string | null;
  /** ActivityPub id of a post that came from elsewhere; local posts derive theirs from PUBLIC_URL. */
  apId: string | null;
  /** Actor id of a fediverse author. */
  fediActor: string | null;
}

/** The fields a caller supplies; storage allocates `no` and `threadNo`. */
export type NewPost = Omit<Post, "no" | "threadNo" | "board" | "posterToken" | "extraFiles"> & {
  /** Absent: none. */
  extraFiles?: PostFile[] | undefined;
  /** Absent: none (a post without an address, or from a peer that sends none). */
  posterToken?: string | null | undefined;
};

/** Which post and thread it is, and where it came from: a post without its text or file. */
export type PostOrigin = Pick<Post, "board" | "no" | "threadNo" | "apId" | "fediActor">;

export interface ThreadState {
  board: string;
  no: number;
  createdAt: number;
  bumpedAt: number;
  /** Replies, not counting the OP. */
  replyCount: number;
  /** Replies carrying an image, not counting the OP's. */
  imageCount: number;
  sticky: boolean;
  locked: boolean;
  archived: boolean;
  archivedAt: number | null;
  /** Incremented by every change to the thread or its posts: render caches key on it. */
  version: number;
  /**
   * Milliseconds: the last change a reader can see (a reply, sage or past the bump limit included,
   * a deletion, an edit, sticky, lock, archiving). 4chan's `last_modified`; never before `bumpedAt`.
   */
  modifiedAt: number;
}

export interface ThreadSummary {
  state: ThreadState;
  op: Post;
}

/** Every file of a post, the first one first. */
export function filesOf(post: Pick<Post, "file"> & { extraFiles?: readonly PostFile[] | undefined }): PostFile[] {
  return post.file ? [post.file, ...(post.extraFiles ?? [])] : [];
}

export function isOp(post: Pick<Post, "no" | "threadNo">): boolean {
  return post.no === post.threadNo;
}

/** The post with all its files gone, as a deletion of its files leaves it. */
export function withoutFiles(post: Post): Post {
  return { ...post, file: null, extraFiles: [], fileDeleted: true };
}
