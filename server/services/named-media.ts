import { STORE_UNAVAILABLE, StorageError } from "../domain/errors.js";
import type { MediaStore, PostRepository } from "../domain/ports.js";
import type { NewPost, PostFile } from "../domain/post.js";

/**
 * Longest a post's names may wait for the post: past it the post is refused and its names removed.
 * So a name far older than this that no post holds is one no insert can still claim, and
 * `atoll media publish --prune` may remove it.
 */
export const PUBLISH_DEADLINE_MS = 10 * 60_000;

type Publisher = Pick<MediaStore, "publish" | "unpublish">;
type Files = Pick<NewPost, "file" | "extraFiles">;
type Warn = (message: string, fields: Record<string, unknown>) => void;

/** The names pages link a file by (`{tim}{ext}`, `{tim}s.jpg`), each with the blob it shows. */
export function namesOf(
  board: string,
  f: Pick<PostFile, "tim" | "ext" | "sha256" | "thumbSha256">,
): [string, string][] {
  return [
    [`${board}/${f.tim}${f.ext}`, f.sha256],
    [`${board}/${f.tim}s.jpg`, f.thumbSha256],
  ];
}

function filesOf(post: Files): PostFile[] {
  return post.file ? [post.file, ...(post.extraFiles ?? [])] : [];
}

/** The post's files with ids `tim`, `tim + 1`, … in order: what the store keeps under `exactTim`. */
function withTims(post: NewPost, tim: number): NewPost {
  if (!post.file) return post;
  return {
    ...post,
    file: { ...post.file, tim },
    extraFiles: (post.extraFiles ?? []).map((f, i) => ({ ...f, tim: tim + 1 + i })),
  };
}

/** Removes the names of `files` on `board`; a name that cannot be removed is logged and left. */
export async function unpublishFiles(
  media: Publisher,
  board: string,
  files: readonly PostFile[],
  warn: Warn,
): Promise<void> {
  if (!media.unpublish) return;
  for (const f of files) {
    for (const [name] of namesOf(board, f)) {
      try {
        await media.unpublish(name);
      } catch (err) {
        warn("could not remove a published media name", { name, err });
      }
    }
  }
}

/**
 * Stores a post whose files must be readable by name before anyone can see it. Where the media store
 * publishes names (a bucket behind MEDIA_URL), ids are first reserved on the board (no other post
 * can ever get them, whatever process writes), the files are published under them, and the post is
 * stored keeping exactly those ids. A failure at any step removes the names, which were this post's
 * alone. Elsewhere the post is stored as it always was, its ids given out by the store.
 */
export async function insertPublished<T>(
  media: Publisher,
  posts: Pick<PostRepository, "reserveTims">,
  board: string,
  post: NewPost,
  insert: (post: NewPost, exactTim: boolean) => Promise<T>,
  warn: Warn,
): Promise<T> {
  if (!media.publish || !post.file) return insert(post, false);
  const count = 1 + (post.extraFiles ?? []).length;
  const reserved = withTims(post, await posts.reserveTims(board, count, post.file.tim));
  const files = filesOf(reserved);
  const started = performance.now();
  try {
    for (const f of files) for (const [name, sha256] of namesOf(board, f)) await media.publish(name, sha256);
    if (performance.now() - started > PUBLISH_DEADLINE_MS) {
      throw new StorageError("media", "object storage took too long to copy a post's names", STORE_UNAVAILABLE, {
        reason: "unavailable",
      });
    }
    return await insert(reserved, true);
  } catch (err) {
    await unpublishFiles(media, board, files, warn);
    throw err;
  }
}
