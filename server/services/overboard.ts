import type { Board } from "../domain/board.js";
import type { Store } from "../domain/ports.js";
import type { BoardReader, ThreadView, Visibility } from "./reader.js";

/** Threads on the overboard's index page, each with its last replies. */
export const OVERBOARD_THREADS = 20;
/** Threads in the overboard's catalog. */
export const OVERBOARD_CATALOG_THREADS = 150;

export interface OverboardThread {
  board: Board;
  thread: ThreadView;
}

/**
 * The boards the overboard and the search across boards cover: listed boards, safe-for-work ones
 * only unless the reader chose to see the others too. Unlisted boards never are.
 */
export function overboardBoards(boards: readonly Board[], nsfw: boolean): Board[] {
  return boards.filter((b) => b.settings.listed && (b.settings.sfw || nsfw));
}

/**
 * The latest threads across boards: each board's live threads as its catalog shows them (the same
 * rules hide the same posts), merged by last bump, newest first. Stickies are ordinary threads
 * here: a board's sticky does not pin itself over every other board.
 */
export class Overboard {
  constructor(private readonly deps: { store: Store; reader: BoardReader }) {}

  /** A fingerprint that moves with every included board, and the latest change among them. */
  async stamp(boards: readonly Board[]): Promise<{ version: string; modifiedAt: number }> {
    const stamps = await Promise.all(boards.map((b) => this.deps.reader.boardStamp(b)));
    return {
      version: `${boards.map((b, i) => `${b.uri}@${stamps[i]?.version}`).join(",")}:${this.deps.reader.rulesVersion()}`,
      modifiedAt: Math.max(0, ...stamps.map((s) => s.modifiedAt)),
    };
  }

  /** The `count` latest-bumped threads of `boards`, each with its last `replies` visible replies. */
  async threads(boards: readonly Board[], count: number, replies: number, vis: Visibility): Promise<OverboardThread[]> {
    const all: OverboardThread[] = [];
    for (const board of boards) {
      const view = await this.deps.reader.catalog(board, "bump", 0, vis);
      for (const thread of view.threads) all.push({ board, thread });
    }
    all.sort(
      (a, b) =>
        b.thread.state.bumpedAt - a.thread.state.bumpedAt ||
        (a.board.uri < b.board.uri ? 1 : a.board.uri > b.board.uri ? -1 : 0) ||
        b.thread.state.no - a.thread.state.no,
    );
    const chosen = all.slice(0, count);
    if (replies <= 0) return chosen;
    const full = new Map<string, ThreadView>();
    for (const board of boards) {
      const mine = chosen.filter((t) => t.board.uri === board.uri);
      if (mine.length === 0) continue;
      const summaries = mine.flatMap(({ thread }) => {
        const op = thread.posts[0]?.post;
        return op ? [{ state: thread.state, op }] : [];
      });
      for (const t of await this.deps.reader.threadsWithReplies(board, summaries, replies, vis))
        full.set(`${board.uri}/${t.state.no}`, t);
    }
    return chosen.map(({ board, thread }) => ({
      board,
      thread: full.get(`${board.uri}/${thread.state.no}`) ?? thread,
    }));
  }
}
