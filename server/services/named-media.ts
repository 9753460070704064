import { TimTaken } from "../domain/errors.js";
import type { MediaStore } from "../domain/ports.js";
import type { NewPost, PostFile } from "../domain/post.js";

/** Refusals of a wanted file id before the post fails: each retry takes an id the board offered. */
const ATTEMPTS = 6;

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
 * publishes names (a bucket behind MEDIA_URL), the names are written first for the ids the post asks
 * for, then the post is stored taking exactly those ids; when the board has given one out meanwhile
 * (another post, another process), the store refuses and keeps nothing, the names are removed, and
 * the next attempt uses the id the board offered. Elsewhere the post is stored as it always was.
 */
export async function insertPublished<T>(
  media: Publisher,
  board: string,
  post: NewPost,
  insert: (post: NewPost, exactTim: boolean) => Promise<T>,
  warn: Warn,
): Promise<T> {
  if (!media.publish || !post.file) return insert(post, false);
  let attempt = withTims(post, post.file.tim);
  for (let i = 1; ; i++) {
    const files = filesOf(attempt);
    try {
      for (const f of files) for (const [name, sha256] of namesOf(board, f)) await media.publish(name, sha256);
      return await insert(attempt, true);
    } catch (err) {
      await unpublishFiles(media, board, files, warn);
      if (!(err instanceof TimTaken) || i >= ATTEMPTS) throw err;
      // Posts racing for the same offered id spread over the next few.
      attempt = withTims(attempt, err.next + Math.floor(Math.random() * i * files.length));
    }
  }
}
