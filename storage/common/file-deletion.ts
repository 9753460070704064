import type { Post, PostFile } from "../../server/domain/post.js";
import { filesOf } from "../../server/domain/post.js";

/**
 * A post without its files, or without the one named by `tim`: the files left keep their order,
 * the first of them in `file`, and the post is marked `fileDeleted` once none is left.
 */
export function withoutFile(post: Post, tim: number | undefined): { post: Post; removed: PostFile[] } {
  const files = filesOf(post);
  const removed = tim === undefined ? files : files.filter((f) => f.tim === tim);
  if (removed.length === 0) return { post, removed };
  const kept = files.filter((f) => !removed.includes(f));
  const [first, ...rest] = kept;
  return {
    post: { ...post, file: first ?? null, extraFiles: rest, fileDeleted: first === undefined },
    removed,
  };
}
