import type { Board } from "../domain/board.js";
import type { Store } from "../domain/ports.js";
import type { Post, ThreadState } from "../domain/post.js";
import {
  formatSearchKey,
  type PostSearchQuery,
  parseSearchKey,
  parseSearchNumber,
  searchLimit,
  searchWords,
} from "../domain/search.js";
import type { BoardReader, PostView, Visibility } from "./reader.js";

/** Rounds of reading past posts the rules hide before a short page is answered as it is. */
const MAX_ROUNDS = 4;

export interface SearchRequest {
  q: unknown;
  /** One board, or null for every listed board the reader's rating choice lets in (`boards`). */
  board: Board | null;
  /** The boards searched across when `board` is null. */
  boards: readonly Board[];
  maxId: unknown;
  limit: unknown;
  vis: Visibility;
}

export interface SearchHit {
  board: Board;
  view: PostView;
  state: ThreadState;
}

export interface SearchPage {
  words: string[];
  hits: SearchHit[];
  /** What `max_id` takes for the next page, or null when there is none. */
  next: string | null;
}

/**
 * Full-text search as readers may see it: the store finds posts by their words, then the rules the
 * pages apply (hidden poster tokens, suspended servers, limited ones unless opted in, threads whose
 * OP is hidden) leave posts out, reading on past them so a page is full when it can be.
 *
 * Order and paging: on one board, newest number first, `max_id` = a post number (the page holds
 * posts numbered below it). Across boards, newest time first, then board name, then number, all
 * descending, `max_id` = `{ms}-{board}-{no}` of the last post seen (see formatSearchKey).
 */
export class SearchService {
  constructor(private readonly deps: { store: Store; reader: BoardReader }) {}

  /** Throws DomainError("invalid") for a bad `q`, `limit` or `max_id`. */
  async search(req: SearchRequest): Promise<SearchPage> {
    const words = searchWords(req.q);
    const limit = searchLimit(req.limit);
    const maxId = typeof req.maxId === "string" && req.maxId !== "" ? req.maxId : null;
    const boards = req.board ? [req.board] : [...req.boards];
    const byUri = new Map(boards.map((b) => [b.uri, b]));
    let query: PostSearchQuery = req.board
      ? { words, boards: [req.board.uri], limit, order: "number", before: maxId ? parseSearchNumber(maxId) : null }
      : { words, boards: [...byUri.keys()], limit, order: "time", before: maxId ? parseSearchKey(maxId) : null };
    if (boards.length === 0) return { words, hits: [], next: null };

    const hits: SearchHit[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const posts = await this.deps.store.search.search(query);
      for (const post of posts) {
        const board = byUri.get(post.board);
        const hit = board ? await this.visible(board, post, req.vis) : null;
        if (hit) hits.push(hit);
        if (hits.length === limit) return { words, hits, next: keyOf(query, post) };
      }
      const last = posts.at(-1);
      if (posts.length < query.limit || !last) return { words, hits, next: null };
      query = after(query, last);
    }
    // Many posts in a row were hidden: the next page starts after the last one read.
    const before = query.before;
    const next = before === null ? null : typeof before === "number" ? String(before) : formatSearchKey(before);
    return { words, hits, next };
  }

  private async visible(board: Board, post: Post, vis: Visibility): Promise<SearchHit | null> {
    const reader = this.deps.reader;
    const reach = reader.postReach(board, post);
    if (reach === "hidden" || (reach === "limited" && !vis.showLimited)) return null;
    const state = await reader.getThreadState(board.uri, post.threadNo);
    if (!state) return null;
    const threadReach = await reader.threadReach(board, state);
    if (threadReach === "hidden" || (threadReach === "limited" && !vis.showLimited)) return null;
    return { board, view: reader.postView(board, post), state };
  }
}

function keyOf(query: PostSearchQuery, post: Post): string {
  return query.order === "number" ? String(post.no) : formatSearchKey(post);
}

function after(query: PostSearchQuery, post: Post): PostSearchQuery {
  return query.order === "number"
    ? { ...query, before: post.no }
    : { ...query, before: { createdAt: post.createdAt, board: post.board, no: post.no } };
}
