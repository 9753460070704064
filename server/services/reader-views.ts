import type { Board } from "../domain/board.js";
import type { ThreadOrder } from "../domain/ports.js";
import type { Post, ThreadState } from "../domain/post.js";

/* The views the board reader builds (reader.ts) for pages, feeds and the JSON API. */

/**
 * What the domain rules make of a post for readers:
 *   shown    local, or from a server no rule limits (noop rules included)
 *   limited  from a silenced server: left out of listings unless the reader opts in
 *   hidden   from a suspended server (or one not allowed in allowlist mode), or by a poster token
 *            the board's staff hide: never shown
 */
export type Reach = "shown" | "limited" | "hidden";

/** What one reader has chosen to see. */
export interface Visibility {
  /** Show posts from limited (silenced) servers in listings, the JSON API and threads. */
  showLimited: boolean;
}

export interface PostView {
  post: Post;
  /** The per-thread poster ID when the board shows them. */
  posterId: string | null;
  /** Numbers of posts in the shown set that quote this one. */
  backlinks: number[];
  /** The post comes from a limited server (shown because the reader opted in, or as a thread's own OP). */
  limited: boolean;
}

export interface ThreadView {
  state: ThreadState;
  /** OP first; on index pages, the OP and the last replies only. */
  posts: PostView[];
  /**
   * From the stored counts, which include posts the rules hide: counting only the visible ones
   * would mean reading every post of every listed thread on each rebuild.
   */
  omittedPosts: number;
  omittedImages: number;
  /** The OP comes from a limited server. */
  limited: boolean;
  /** Posts from limited servers were left out because the reader has not opted in. */
  limitedHidden: boolean;
}

export interface IndexPageView {
  board: Board;
  page: number;
  pageCount: number;
  threads: ThreadView[];
  showLimited: boolean;
  /** Threads or replies from limited servers were left out of this page. */
  limitedHidden: boolean;
}

export interface CatalogView {
  board: Board;
  order: ThreadOrder;
  threads: ThreadView[];
  showLimited: boolean;
  limitedHidden: boolean;
}

export interface ArchiveView {
  board: Board;
  /** Newest archived first. */
  threads: ThreadView[];
  showLimited: boolean;
  limitedHidden: boolean;
}
