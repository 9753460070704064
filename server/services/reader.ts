import { type Board, pageCapacity } from "../domain/board.js";
import { domainOfUrl, type PolicyDecision } from "../domain/defederation/rules.js";
import type { Store, ThreadOrder } from "../domain/ports.js";
import type { Post, ThreadState, ThreadSummary } from "../domain/post.js";
import { posterId, utcDay } from "../domain/poster-id.js";
import { tokensByBoard } from "../domain/poster-token.js";
import type { DomainPolicy } from "./defederation/rules-in-force.js";
import type {
  ArchiveView,
  CatalogView,
  IndexPageView,
  PostView,
  Reach,
  ThreadView,
  Visibility,
} from "./reader-views.js";
import type { Secrets } from "./secrets.js";

/** Replies shown under each thread on index pages. */
export const INDEX_REPLIES = 5;

export type {
  ArchiveView,
  CatalogView,
  IndexPageView,
  PostView,
  Reach,
  ThreadView,
  Visibility,
} from "./reader-views.js";

export const DEFAULT_VISIBILITY: Readonly<Visibility> = Object.freeze({ showLimited: false });

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
/** Entries of the per-reader memos (actor → host, thread → OP author) before they start over. */
const MEMO_LIMIT = 20_000;
/** Boards (per order) whose live thread list is kept for the views built at one board version. */
const LISTINGS_KEPT = 16;

/** A thread's OP as far as deciding its reach goes: its author and its poster token. */
interface OpAuthor {
  createdAt: number;
  actor: string | null;
  token: string | null;
}

/** Notes, while one view is built, whether anything from a limited server was left out of it. */
interface Tally {
  limitedHidden: boolean;
}

/**
 * The read side: builds the views that pages and the JSON API render. It is the only reader of
 * posts for display, so poster IDs, backlinks and what the domain rules hide are decided in one
 * place. The rules are applied when a view is built, never to what is stored, so a rule change
 * shows at once and lifting a rule brings everything back; views are cached under
 * `rulesVersion()`, which moves with every change of the rules.
 */
export class BoardReader {
  private readonly posterIdKey: string;
  private snapshot: { at: number; value: Promise<BoardSnapshot> } | null = null;
  /** The boards of the last snapshot that loaded, for synchronous readers (the page header). */
  private lastBoards: readonly Board[] = [];
  /** Actor URL → its normalised host (null when it has none): parsing a URL costs more than a rule check. */
  private readonly hosts = new Map<string, string | null>();
  /**
   * `board/no` → the author of the thread's OP (null for a local one) and the thread's creation time,
   * so a thread page can be refused without reading its posts. A post's author never changes; the
   * time tells a thread from a later one with the same number on a board deleted and made again.
   */
  private readonly opAuthors = new Map<string, OpAuthor>();
  /**
   * The live threads of the boards last listed, per order, at the board version they were read at:
   * the fifteen index pages, the catalog and the JSON listings of one version filter one list.
   */
  private readonly listings = new Map<string, { version: number; limit: number; value: Promise<ThreadSummary[]> }>();
  /** The earliest expiry among the rules that hid something in a view built since the last bump. */
  private nextExpiry = Number.POSITIVE_INFINITY;
  private expiries = 0;
  /** The hidden poster tokens of the last snapshot that loaded, and a fingerprint of them. */
  private hidden = new Map<string, Set<string>>();
  private hiddenVersion = "0";

  constructor(
    private readonly store: Store,
    secrets: Secrets,
    private readonly policy: DomainPolicy,
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
      // Hidden tokens travel with the boards: every view starts from a snapshot, so a hiding shows
      // at once in this process and within the snapshot's life in another sharing the store.
      const value = Promise.all([this.store.boards.list(), this.store.hiddenTokens.list(null)]).then(
        ([boards, hiddenList]) => {
          const fingerprints = new Map(boards.map((b) => [b.uri, fingerprint(b)]));
          this.lastBoards = boards;
          this.hidden = tokensByBoard(hiddenList);
          this.hiddenVersion = hash(hiddenList.map((h) => `${h.board}/${h.token}`).join(","));
          return {
            boards,
            byUri: new Map(boards.map((b) => [b.uri, b])),
            fingerprints,
            version: hash(boards.map((b) => `${b.uri}=${fingerprints.get(b.uri)}`).join(",")),
          };
        },
      );
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
    return (await this.boardStamp(board)).version;
  }

  /** The board's fingerprint (see boardVersion) with the time of its last change (milliseconds). */
  async boardStamp(board: Board): Promise<{ version: string; modifiedAt: number }> {
    const [stamp, snapshot] = await Promise.all([this.store.boards.stamp(board.uri), this.boardSnapshot()]);
    return {
      version: `${stamp?.version ?? 0}:${snapshot.fingerprints.get(board.uri) ?? fingerprint(board)}`,
      modifiedAt: stamp?.modifiedAt ?? board.createdAt,
    };
  }

  /**
   * Changes whenever what the domain rules hide may have changed: with every change of the rules,
   * when a rule that hid something in a view built here reaches its expiry (the compiled rules
   * skip an expired rule without a change of their own), and when staff hide or show a poster
   * token. Cached views key on it.
   */
  rulesVersion(): string {
    if (this.now() >= this.nextExpiry) {
      this.expiries++;
      this.nextExpiry = Number.POSITIVE_INFINITY;
    }
    return `${this.policy.version}.${this.expiries}.${this.hiddenVersion}`;
  }

  /** What the rules make of a post on a board. */
  postReach(board: Board, post: Post): Reach {
    if (this.isHiddenToken(board.uri, post.posterToken)) return "hidden";
    return this.reachOf(board.uri, authorOf(post));
  }

  /**
   * What the rules make of a thread's OP, which decides whether its page opens at all. Reads the OP
   * only the first time a thread is asked about.
   */
  async threadReach(board: Board, state: ThreadState): Promise<Reach> {
    const key = `${board.uri}/${state.no}`;
    let known = this.opAuthors.get(key);
    if (!known || known.createdAt !== state.createdAt) {
      const op = await this.store.posts.getPost(board.uri, state.no);
      if (!op) return "shown";
      known = this.rememberOp(op);
    }
    if (this.isHiddenToken(board.uri, known.token)) return "hidden";
    return this.reachOf(board.uri, known.actor);
  }

  /**
   * A whole thread as `vis` lets the reader see it: replies from suspended servers are always left
   * out, replies from limited ones unless the reader opted in. A limited OP is kept (a thread opened
   * by its address shows, with a notice; listings and the JSON API decide with `threadReach`); null
   * when the OP is from a suspended server or the thread has no posts.
   */
  async thread(board: Board, state: ThreadState, vis: Visibility = DEFAULT_VISIBILITY): Promise<ThreadView | null> {
    const posts = await this.store.posts.getThreadPosts(board.uri, state.no);
    const [op, ...replies] = posts;
    if (!op) return null;
    this.rememberOp(op);
    const reach = this.postReach(board, op);
    if (reach === "hidden") return null;
    const tally: Tally = { limitedHidden: false };
    const shown = [op, ...replies.filter((p) => this.keep(board, p, vis, tally))];
    return {
      state,
      posts: this.views(board, shown),
      omittedPosts: 0,
      omittedImages: 0,
      limited: reach === "limited",
      limitedHidden: tally.limitedHidden,
    };
  }

  pageCount(board: Board, threadCount: number): number {
    return Math.max(1, Math.ceil(threadCount / board.settings.threadsPerPage));
  }

  /** Live threads the reader would see on the board, for the page count of boards.json. */
  async visibleThreadCount(board: Board, vis: Visibility = DEFAULT_VISIBILITY): Promise<number> {
    const tally: Tally = { limitedHidden: false };
    return (await this.visibleLiveThreads(board, "bump", vis, tally)).length;
  }

  /**
   * Index page `page` (1-based): each thread with its last replies. Null past the last page. The
   * rules are applied to the whole live list before it is cut into pages, so every page holds
   * `threadsPerPage` threads the reader can see.
   */
  async indexPage(board: Board, page: number, vis: Visibility = DEFAULT_VISIBILITY): Promise<IndexPageView | null> {
    const per = board.settings.threadsPerPage;
    if (page < 1 || page > pageCapacity(board)) return null;
    const tally: Tally = { limitedHidden: false };
    const all = await this.visibleLiveThreads(board, "bump", vis, tally);
    const pageCount = this.pageCount(board, all.length);
    if (page > pageCount) return null;
    const summaries = all.slice((page - 1) * per, page * per);
    const threads = await this.withLastReplies(board, summaries, INDEX_REPLIES, vis, tally);
    return { board, page, pageCount, threads, showLimited: vis.showLimited, limitedHidden: tally.limitedHidden };
  }

  /** Every live thread's OP (with its last replies for the JSON catalog), in the chosen order. */
  async catalog(
    board: Board,
    order: ThreadOrder,
    withReplies: number,
    vis: Visibility = DEFAULT_VISIBILITY,
  ): Promise<CatalogView> {
    const tally: Tally = { limitedHidden: false };
    const summaries = await this.visibleLiveThreads(board, order, vis, tally);
    const threads = await this.withLastReplies(board, summaries, withReplies, vis, tally);
    return { board, order, threads, showLimited: vis.showLimited, limitedHidden: tally.limitedHidden };
  }

  /**
   * Live threads already listed (by `catalog`) with their last `n` visible replies: pages across
   * boards pick their threads first, then read replies for those only.
   */
  threadsWithReplies(
    board: Board,
    threads: readonly ThreadSummary[],
    n: number,
    vis: Visibility = DEFAULT_VISIBILITY,
  ): Promise<ThreadView[]> {
    return this.withLastReplies(board, threads, n, vis, { limitedHidden: false });
  }

  /** One post as shown out of its thread (a search result): its poster ID, no backlinks. */
  postView(board: Board, post: Post): PostView {
    return {
      post,
      posterId: this.posterIdOf(board, post),
      backlinks: [],
      limited: this.postReach(board, post) === "limited",
    };
  }

  /** Archived threads, newest archived first. */
  async archive(board: Board, vis: Visibility = DEFAULT_VISIBILITY): Promise<ArchiveView> {
    const summaries = await this.store.posts.listThreads(board.uri, {
      archived: true,
      order: "bump",
      offset: 0,
      limit: 3000,
    });
    const tally: Tally = { limitedHidden: false };
    const threads = summaries
      .filter((s) => this.keepThread(board, s, vis, tally))
      .sort((a, b) => (b.state.archivedAt ?? 0) - (a.state.archivedAt ?? 0))
      .map(({ state, op }) => ({
        state,
        posts: this.views(board, [op]),
        omittedPosts: state.replyCount,
        omittedImages: 0,
        limited: this.postReach(board, op) === "limited",
        limitedHidden: false,
      }));
    return { board, threads, showLimited: vis.showLimited, limitedHidden: tally.limitedHidden };
  }

  /** The live threads (at most `maxThreads` of them, plus stickies kept beyond) the reader may see. */
  private async visibleLiveThreads(
    board: Board,
    order: ThreadOrder,
    vis: Visibility,
    tally: Tally,
  ): Promise<ThreadSummary[]> {
    const summaries = await this.liveThreads(board, order);
    return summaries.filter((s) => this.keepThread(board, s, vis, tally));
  }

  /** The board's live threads as stored, read once per board version (the list is shared: never changed). */
  private async liveThreads(board: Board, order: ThreadOrder): Promise<readonly ThreadSummary[]> {
    const key = `${board.uri}:${order}`;
    const limit = board.settings.maxThreads + 50;
    // Read before the list, so the list is at least as new as the version it is kept under.
    const version = await this.store.boards.version(board.uri);
    const kept = this.listings.get(key);
    this.listings.delete(key);
    if (kept && kept.version === version && kept.limit === limit) {
      this.listings.set(key, kept);
      return kept.value;
    }
    const value = this.store.posts.listThreads(board.uri, { archived: false, order, offset: 0, limit });
    value.catch(() => {
      if (this.listings.get(key)?.value === value) this.listings.delete(key);
    });
    this.listings.set(key, { version, limit, value });
    for (const oldest of this.listings.keys()) {
      if (this.listings.size <= LISTINGS_KEPT) break;
      this.listings.delete(oldest);
    }
    return value;
  }

  /**
   * Each thread with its last `n` visible replies. The store hands out the last `n` replies; when
   * some of them are hidden and the thread has older ones, that thread is read whole to fill the
   * gap, so a thread shows as many replies as it would without the hidden ones.
   */
  private async withLastReplies(
    board: Board,
    summaries: readonly ThreadSummary[],
    n: number,
    vis: Visibility,
    tally: Tally,
  ): Promise<ThreadView[]> {
    const replies =
      n > 0 && summaries.length > 0
        ? await this.store.posts.lastReplies(
            board.uri,
            summaries.map((s) => s.state.no),
            n,
          )
        : new Map<number, Post[]>();
    const threads: ThreadView[] = [];
    for (const { state, op } of summaries) {
      const got = replies.get(state.no) ?? [];
      let last = got.filter((p) => this.keep(board, p, vis, tally));
      if (last.length < got.length && state.replyCount > got.length) {
        const all = await this.store.posts.getThreadPosts(board.uri, state.no);
        last = all.slice(1).filter((p) => this.keep(board, p, vis, tally));
        last = last.slice(Math.max(0, last.length - n));
      }
      threads.push({
        state,
        posts: this.views(board, [op, ...last]),
        omittedPosts: Math.max(0, state.replyCount - last.length),
        omittedImages: Math.max(0, state.imageCount - last.filter((p) => p.file).length),
        limited: this.postReach(board, op) === "limited",
        limitedHidden: false,
      });
    }
    return threads;
  }

  private keepThread(board: Board, summary: ThreadSummary, vis: Visibility, tally: Tally): boolean {
    this.rememberOp(summary.op);
    return this.keep(board, summary.op, vis, tally);
  }

  private keep(board: Board, post: Post, vis: Visibility, tally: Tally): boolean {
    const reach = this.postReach(board, post);
    if (reach === "shown") return true;
    if (reach === "hidden") return false;
    if (!vis.showLimited) tally.limitedHidden = true;
    return vis.showLimited;
  }

  private reachOf(board: string, actor: string | null): Reach {
    if (actor === null) return "shown";
    let host = this.hosts.get(actor);
    if (host === undefined) {
      host = domainOfUrl(actor);
      if (this.hosts.size >= MEMO_LIMIT) this.hosts.clear();
      this.hosts.set(actor, host);
    }
    // An author without a usable host cannot be checked against any rule: treated as suspended,
    // as the policy does for such a URL.
    if (host === null) return "hidden";
    const decision = this.policy.check(host, board);
    if (decision.suspended) {
      this.noteExpiry(decision);
      return "hidden";
    }
    if (decision.silenced) {
      this.noteExpiry(decision);
      return "limited";
    }
    return "shown";
  }

  private isHiddenToken(board: string, token: string | null): boolean {
    return token !== null && this.hidden.get(board)?.has(token) === true;
  }

  private noteExpiry(decision: PolicyDecision): void {
    const at = decision.rule?.expiresAt;
    if (at != null && at < this.nextExpiry) this.nextExpiry = at;
  }

  private rememberOp(op: Post): OpAuthor {
    const key = `${op.board}/${op.no}`;
    const known = this.opAuthors.get(key);
    if (known && known.createdAt === op.createdAt) return known;
    const entry = { createdAt: op.createdAt, actor: authorOf(op), token: op.posterToken };
    if (this.opAuthors.size >= MEMO_LIMIT) this.opAuthors.clear();
    this.opAuthors.set(key, entry);
    return entry;
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
      limited: this.postReach(board, post) === "limited",
    }));
  }

  private posterIdOf(board: Board, post: Post): string | null {
    if (post.posterId) return post.posterId;
    if (!board.settings.posterIds || !post.ipHash) return null;
    return posterId(post.ipHash, board.uri, post.threadNo, utcDay(post.createdAt), this.posterIdKey);
  }
}

/** Where a post came from: its fediverse author, else its ActivityPub id; null for a local post. */
function authorOf(post: Post): string | null {
  return post.fediActor ?? post.apId;
}

function fingerprint(board: Board): string {
  return hash(JSON.stringify([board.title, board.description, board.settings]));
}

function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
