import { isBoardUri } from "../domain/board.js";
import { extractQuotes, renderMarkup } from "../domain/markup.js";
import type { Store } from "../domain/ports.js";

/** Quotes resolved per post; more are rendered as plain dead links. */
const MAX_RESOLVED_QUOTES = 50;

/**
 * A comment in the imageboard's markup as the HTML a post on `boardUri` shows, its quotes of posts
 * (on this board or another) resolved to the threads they are in.
 */
export async function renderWithQuotes(
  store: Pick<Store, "posts" | "boards">,
  boardUri: string,
  comment: string,
): Promise<{ html: string; quotes: number[] }> {
  const refs = extractQuotes(comment);
  const sameBoard = new Map<number, number>();
  for (const no of refs.sameBoard.slice(0, MAX_RESOLVED_QUOTES)) {
    const p = await store.posts.getPost(boardUri, no);
    if (p) sameBoard.set(no, p.threadNo);
  }
  const cross = new Map<string, number>();
  const boards = new Set<string>();
  for (const ref of refs.crossBoard.slice(0, MAX_RESOLVED_QUOTES)) {
    if (!isBoardUri(ref.board)) continue;
    if (!boards.has(ref.board) && (await store.boards.get(ref.board))) boards.add(ref.board);
    if (ref.no !== null && boards.has(ref.board)) {
      const p = await store.posts.getPost(ref.board, ref.no);
      if (p) cross.set(`${ref.board}/${ref.no}`, p.threadNo);
    }
  }
  return renderMarkup(comment, {
    board: boardUri,
    threadOf: (no) => sameBoard.get(no) ?? null,
    crossThreadOf: (b, no) => cross.get(`${b}/${no}`) ?? null,
    boardExists: (b) => boards.has(b),
  });
}
