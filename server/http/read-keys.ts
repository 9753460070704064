import type { Board } from "../domain/board.js";
import type { ThreadOrder } from "../domain/ports.js";
import type { ThreadState } from "../domain/post.js";

/**
 * Where a cached read lives in the render cache and which version of it is current. The Express
 * routes and the path ahead of them both name their entries here, so the two always agree on what
 * a page is keyed on and when it is stale (the versions come from the store).
 */
export interface CacheSlot {
  key: string;
  version: string;
  /** The store's time of the last change the read shows (milliseconds). */
  modifiedAt: number;
}

/** A board's stamp (its counter and settings) and the domain rules' version, as the reader gives them. */
export interface BoardStamp {
  version: string;
  modifiedAt: number;
}

/** The web pages' cache keys carry this prefix; the JSON's carry `json:`. */
export function htmlKey(key: string): string {
  return `html:${key}`;
}

export const pageSlots = {
  thread(board: Board, state: ThreadState, siteVersion: string, rules: string, variant: string): CacheSlot {
    return {
      key: `thread:${board.uri}:${state.no}:${variant}`,
      version: `${state.version}:${siteVersion}:${rules}`,
      modifiedAt: state.modifiedAt,
    };
  },
  catalog(board: Board, order: ThreadOrder, stamp: BoardStamp, siteVersion: string, rules: string, variant: string) {
    return boardSlot(`catalog:${board.uri}:${order}:${variant}`, stamp, siteVersion, rules);
  },
  index(board: Board, page: number, stamp: BoardStamp, siteVersion: string, rules: string, variant: string) {
    return boardSlot(`index:${board.uri}:${page}:${variant}`, stamp, siteVersion, rules);
  },
  archive(board: Board, stamp: BoardStamp, siteVersion: string, rules: string, variant: string) {
    return boardSlot(`archive:${board.uri}:${variant}`, stamp, siteVersion, rules);
  },
};

function boardSlot(key: string, stamp: BoardStamp, siteVersion: string, rules: string): CacheSlot {
  return { key, version: `${stamp.version}:${siteVersion}:${rules}`, modifiedAt: stamp.modifiedAt };
}

/** The 4chan-shaped JSON's entries: a board's listings change with its threads and the domain rules. */
export const jsonSlots = {
  board(kind: "catalog" | "threads" | "archive", board: Board, stamp: BoardStamp, rules: string, variant: string) {
    return jsonBoardSlot(`json:${kind}:${board.uri}:${variant}`, stamp, rules);
  },
  page(board: Board, page: number, stamp: BoardStamp, rules: string, variant: string): CacheSlot {
    return jsonBoardSlot(`json:page:${board.uri}:${page}:${variant}`, stamp, rules);
  },
  /** `boardFingerprint`: the board's settings show in a thread's JSON too (bumplimit, imagelimit, ids). */
  thread(board: Board, state: ThreadState, boardFingerprint: string | undefined, rules: string, variant: string) {
    return {
      key: `json:thread:${board.uri}:${state.no}:${variant}`,
      version: `${state.version}:${boardFingerprint}:${rules}`,
      modifiedAt: state.modifiedAt,
    };
  },
};

function jsonBoardSlot(key: string, stamp: BoardStamp, rules: string): CacheSlot {
  return { key, version: `${stamp.version}:${rules}`, modifiedAt: stamp.modifiedAt };
}
