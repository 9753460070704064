import type { Post } from "../../server/domain/post.js";
import type { Services } from "../../server/services/container.js";

const LOCAL_POST = /^\/([a-z0-9]{1,30})\/(thread|post)\/([1-9][0-9]{0,14})$/;

/**
 * The local post an ActivityPub id names: one of ours (`{PUBLIC_URL}/{board}/thread/{no}` or
 * `/{board}/post/{no}`), or a remote post we hold a copy of. Null when we have no such post.
 */
export async function resolveLocalPost(s: Services, id: string): Promise<Post | null> {
  const prefix = s.config.publicUrl;
  if (id.startsWith(`${prefix}/`)) {
    const m = LOCAL_POST.exec(id.slice(prefix.length));
    if (!m) return null;
    const post = await s.store.posts.getPost(m[1]!, Number(m[3]));
    if (!post) return null;
    // A thread id names an opening post and a post id a reply, as Urls.apId mints them.
    const op = post.no === post.threadNo;
    return (m[2] === "thread") === op ? post : null;
  }
  const ref = await s.store.federation.remotePosts.get(id);
  if (!ref) return null;
  return s.store.posts.getPost(ref.board, ref.no);
}
