import type { Board } from "../../domain/board.js";
import type { Services } from "../../services/container.js";

/** What every page shows besides its own content: the board list in the header. */
export interface Site {
  boards: Board[];
  /** Changes whenever any board's name, title, description or settings change. */
  version: string;
}

/** Loads the board list once per request (from the reader's snapshot). */
export async function loadSite(s: Pick<Services, "reader">): Promise<Site> {
  const { boards, version } = await s.reader.boardSnapshot();
  return { boards, version };
}
