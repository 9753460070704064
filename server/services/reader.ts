import type { Board } from "../domain/board.js";
import type { Store, ThreadOrder } from "../domain/ports.js";
import type { Post, ThreadState } from "../domain/post.js";
import { posterId, utcDay } from "../domain/poster-id.js";
import type { Secrets } from "./secrets.js";

/** Replies shown under each thread on index pages. */
export const INDEX_REPLIES = 5;
/** Pages of the board index (threads beyond them still show in the catalog until archived). */
export const MAX_INDEX_PAGES = 15;

export interface PostView {
  post: Post;
  /** The per-thread poster ID when the board shows them. */
  posterId: string | null;
  /** Numbers of posts in the shown set that quote this one. */
  backlinks: number[];
}

export interface ThreadView {
  state: ThreadState;
  /** OP first; on index pages, the OP and the last replies only. */
  posts: PostView[];
  omittedPosts: number;
  omittedImages: number;
}

export interface IndexPageView {
  board: Board;
  page: number;
  pageCount: number;
  threads: ThreadView[];
}

export interface CatalogView {
  board: Board;
  order: ThreadOrder;
  threads: ThreadView[];
}

/**
 * The read side: builds the views that pages and the JSON API render. It is the only reader of
 * posts for display, so poster IDs and backlinks are computed in one place.
 */
/** The boards as every page shows them, with fingerprints that change when any of them changes. */
export interface BoardSnapshot {
  boards: Board[];
  byUri: Map<string, Board>;
  /** Per board: changes with its title, description or settings. */
  fingerprints: Map<string, string>;
  /** Changes with any board's name, title, description or settings, or the set of boards. */
  version: string;
}

/** How long a snapshot of the boards is trusted without a change seen in this process. */
const BOARDS_TTL_MS = 2000;

export class BoardReader {
  private readonly posterIdKey: string;
  private snapshot: { at: number; value: Promise<BoardSnapshot> } | null = null;
  /** The boards of the last snapshot that loaded, for synchronous readers (the page header). */
  private lastBoards: readonly Board[] = [];

  constructor(
    private readonly store: Store,
    secrets: Secrets,
    private readonly now: () => number = Date.now,
  ) {
    this.posterIdKey = secrets.key("poster-id");
  }

  /**
   * The boards, read once and kept: changes made through this process drop the snapshot at once
   * (invalidateBoards), changes made by another process sharing the database show within two seconds.
   */
  boardSnapshot(): Promise<BoardSnapshot> {
    const t = this.now();
    if (!this.snapshot || t - this.snapshot.at > BOARDS_TTL_MS) {
      const value = this.store.boards.list().then((boards) => {
        const fingerprints = new Map(boards.map((b) => [b.uri, fingerprint(b)]));
        this.lastBoards = boards;
        return {
          boards,
          byUri: new Map(boards.map((b) => [b.uri, b])),
          fingerprints,
          version: hash(boards.map((b) => `${b.uri}=${fingerprints.get(b.uri)}`).join(",")),
        };
      });
      value.catch(() => {
        if (this.snapshot?.value === value) this.snapshot = null;
      });
      this.snapshot = { at: t, value };
    }
    return this.snapshot.value;
  }

  invalidateBoards(): void {
    this.snapshot = null;
  }

  /**
   * The boards as last loaded, without waiting: a stale or dropped snapshot starts reloading in the
   * background for the next caller. For code that must stay synchronous, such as the page layout.
   */
  knownBoards(): readonly Board[] {
    if (!this.snapshot || this.now() - this.snapshot.at > BOARDS_TTL_MS) this.boardSnapshot().catch(() => {});
    return this.lastBoards;
  }

  async listBoards(): Promise<Board[]> {
    return (await this.boardSnapshot()).boards;
  }

  async getBoard(uri: string): Promise<Board | null> {
    return (await this.boardSnapshot()).byUri.get(uri) ?? null;
  }

  getThreadState(board: string, no: number): Promise<ThreadState | null> {
    return this.store.posts.getThread(board, no);
  }

  /** A fingerprint that changes whenever anything shown on the board's index or catalog changes. */
  async boardVersion(board: Board): Promise<string> {
    const [v, snapshot] = await Promise.all([this.store.boards.version(board.uri), this.boardSnapshot()]);
    return `${v}:${snapshot.fingerprints.get(board.uri) ?? fingerprint(board)}`;
  }

  async thread(board: Board, state: ThreadState): Promise<ThreadView> {
    const posts = await this.store.posts.getThreadPosts(board.uri, state.no);
    return { state, posts: this.views(board, posts), omittedPosts: 0, omittedImages: 0 };
  }

  pageCount(board: Board, threadCount: number): number {
    return Math.max(1, Math.min(MAX_INDEX_PAGES, Math.ceil(threadCount / board.settings.threadsPerPage)));
  }

  /** Index page `page` (1-based): each thread with its last replies. Null past the last page. */
  async indexPage(board: Board, page: number): Promise<IndexPageView | null> {
    const per = board.settings.threadsPerPage;
    const total = await this.store.posts.countThreads(board.uri, false);
    const pageCount = this.pageCount(board, total);
    if (page < 1 || page > pageCount) return null;
    const summaries = await this.store.posts.listThreads(board.uri, {
      archived: false,
      order: "bump",
      offset: (page - 1) * per,
      limit: per,
    });
    const replies = await this.store.posts.lastReplies(
      board.uri,
      summaries.map((s) => s.state.no),
      INDEX_REPLIES,
    );
    const threads = summaries.map(({ state, op }) => {
      const last = replies.get(state.no) ?? [];
      const shownImages = last.filter((p) => p.file).length;
      return {
        state,
        posts: this.views(board, [op, ...last]),
        omittedPosts: Math.max(0, state.replyCount - last.length),
        omittedImages: Math.max(0, state.imageCount - shownImages),
      };
    });
    return { board, page, pageCount, threads };
  }

  /** Every live thread's OP (with its last replies for the JSON catalog), in the chosen order. */
  async catalog(board: Board, order: ThreadOrder, withReplies: number): Promise<CatalogView> {
    const summaries = await this.store.posts.listThreads(board.uri, {
      archived: false,
      order,
      offset: 0,
      limit: board.settings.maxThreads + 50,
    });
    const replies =
      withReplies > 0
        ? await this.store.posts.lastReplies(
            board.uri,
            summaries.map((s) => s.state.no),
            withReplies,
          )
        : new Map<number, Post[]>();
    const threads = summaries.map(({ state, op }) => {
      const last = replies.get(state.no) ?? [];
      return {
        state,
        posts: this.views(board, [op, ...last]),
        omittedPosts: Math.max(0, state.replyCount - last.length),
        omittedImages: Math.max(0, state.imageCount - last.filter((p) => p.file).length),
      };
    });
    return { board, order, threads };
  }

  /** Archived threads, newest archived first. */
  async archive(board: Board): Promise<ThreadView[]> {
    const summaries = await this.store.posts.listThreads(board.uri, {
      archived: true,
      order: "bump",
      offset: 0,
      limit: 3000,
    });
    return summaries
      .sort((a, b) => (b.state.archivedAt ?? 0) - (a.state.archivedAt ?? 0))
      .map(({ state, op }) => ({
        state,
        posts: this.views(board, [op]),
        omittedPosts: state.replyCount,
        omittedImages: 0,
      }));
  }

  private views(board: Board, posts: Post[]): PostView[] {
    const backlinks = new Map<number, number[]>();
    for (const p of posts) {
      for (const q of p.quotes) {
        const list = backlinks.get(q);
        if (list) {
          if (!list.includes(p.no)) list.push(p.no);
        } else backlinks.set(q, [p.no]);
      }
    }
    return posts.map((post) => ({
      post,
      posterId: this.posterIdOf(board, post),
      backlinks: backlinks.get(post.no) ?? [],
    }));
  }

  private posterIdOf(board: Board, post: Post): string | null {
    if (post.posterId) return post.posterId;
    if (!board.settings.posterIds || !post.ipHash) return null;
    return posterId(post.ipHash, board.uri, post.threadNo, utcDay(post.createdAt), this.posterIdKey);
  }
}

function fingerprint(board: Board): string {
  return hash(JSON.stringify([board.title, board.description, board.settings]));
}

function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
