import type { Board } from "../../server/domain/board.js";
import type { Post, PostOrigin, ThreadState } from "../../server/domain/post.js";
import type { Services } from "../../server/services/container.js";

const LOCAL_POST = /^\/([a-z0-9]{1,30})\/(thread|post)\/([1-9][0-9]{0,14})$/;

/**
 * Where the local post an ActivityPub id names would be: one of ours by its URL
 * (`{PUBLIC_URL}/{board}/thread/{no}` names an opening post, `/{board}/post/{no}` a reply, as
 * Urls.apId mints them), or a remote post we hold a copy of. Null when the id cannot name one.
 */
async function localAddress(
  s: Pick<Services, "config" | "store">,
  id: string,
): Promise<{ board: string; no: number; op: boolean | null } | null> {
  const prefix = s.config.publicUrl;
  if (id.startsWith(`${prefix}/`)) {
    const m = LOCAL_POST.exec(id.slice(prefix.length));
    return m ? { board: m[1]!, no: Number(m[3]), op: m[2] === "thread" } : null;
  }
  const ref = await s.store.federation.remotePosts.get(id);
  return ref ? { board: ref.board, no: ref.no, op: null } : null;
}

/** `post`, when it is an opening post or a reply as its id said (`op`; null: the id does not say). */
function matching<T extends { no: number; threadNo: number }>(post: T | null, op: boolean | null): T | null {
  if (post === null || op === null) return post;
  return (post.no === post.threadNo) === op ? post : null;
}

/** The local post an ActivityPub id names (see localAddress), or null when we have no such post. */
export async function resolveLocalPost(s: Pick<Services, "config" | "store">, id: string): Promise<Post | null> {
  const at = await localAddress(s, id);
  return at ? matching(await s.store.posts.getPost(at.board, at.no), at.op) : null;
}

/** Like resolveLocalPost, reading only where the post comes from (no text or file). */
export async function resolveLocalOrigin(
  s: Pick<Services, "config" | "store">,
  id: string,
): Promise<PostOrigin | null> {
  const at = await localAddress(s, id);
  return at ? matching(await s.store.posts.getOrigin(at.board, at.no), at.op) : null;
}

/** The thread a reply to `id` goes into, and its state when reading the post was not needed. */
export interface LocalThread {
  board: string;
  threadNo: number;
  /** Read on the way for an id naming the thread itself; null when only its number is known. */
  state: ThreadState | null;
}

/**
 * The local thread an ActivityPub id belongs to: a thread of ours by its own id (the thread's state
 * is all that is read), or the thread of a post of ours or of a remote post we hold. Null when we
 * have no such post. The same ids name the same posts as for `resolveLocalPost`.
 */
export async function resolveLocalThread(
  s: Pick<Services, "config" | "store">,
  id: string,
): Promise<LocalThread | null> {
  const prefix = s.config.publicUrl;
  if (id.startsWith(`${prefix}/`)) {
    const m = LOCAL_POST.exec(id.slice(prefix.length));
    if (m?.[2] === "thread") {
      // A thread's row lives exactly as long as its opening post.
      const state = await s.store.posts.getThread(m[1]!, Number(m[3]));
      return state ? { board: state.board, threadNo: state.no, state } : null;
    }
  }
  const post = await resolveLocalPost(s, id);
  return post ? { board: post.board, threadNo: post.threadNo, state: null } : null;
}

/**
 * A board by uri, from the reader's snapshot of the boards (kept current by this process's changes,
 * and within seconds of another's), or from the store when the snapshot does not have it yet.
 */
export async function localBoard(s: Pick<Services, "reader" | "store">, uri: string): Promise<Board | null> {
  return (await s.reader.getBoard(uri)) ?? s.store.boards.get(uri);
}
