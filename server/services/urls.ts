import type { Post, PostFile } from "../domain/post.js";

/** The id of a board's `Group` actor, for code that has the public URL but no Urls. */
export function boardActorUrl(publicUrl: string, board: string): string {
  return `${publicUrl}/ap/boards/${board}`;
}

/**
 * Every URL the instance hands out, derived from PUBLIC_URL and MEDIA_URL in one place, so pages,
 * the JSON API and federation always agree.
 */
export class Urls {
  constructor(
    readonly publicUrl: string,
    readonly mediaUrl: string,
  ) {}

  board(board: string): string {
    return `${this.publicUrl}/${board}/`;
  }

  /** The board's ActivityPub actor (its `Group`), as federation/ids.ts names it. */
  boardActor(board: string): string {
    return boardActorUrl(this.publicUrl, board);
  }

  boardFeed(board: string): string {
    return `${this.publicUrl}/${board}/index.rss`;
  }

  threadFeed(board: string, threadNo: number): string {
    return `${this.publicUrl}/${board}/thread/${threadNo}.rss`;
  }

  /** The thread page; with a reply number, the anchor of that reply. */
  thread(board: string, threadNo: number, postNo?: number): string {
    const base = `${this.publicUrl}/${board}/thread/${threadNo}`;
    return postNo === undefined || postNo === threadNo ? base : `${base}#p${postNo}`;
  }

  /**
   * The ActivityPub id of a post: a thread is its own page URL (so pasting it into a fediverse search
   * finds it), a reply has `/post/{no}`, which redirects browsers to the reply's anchor.
   */
  apId(post: Pick<Post, "board" | "no" | "threadNo" | "apId">): string {
    if (post.apId) return post.apId;
    return post.no === post.threadNo
      ? `${this.publicUrl}/${post.board}/thread/${post.no}`
      : `${this.publicUrl}/${post.board}/post/${post.no}`;
  }

  file(board: string, file: Pick<PostFile, "tim" | "ext">): string {
    return `${this.mediaUrl}/${board}/${file.tim}${file.ext}`;
  }

  thumb(board: string, file: Pick<PostFile, "tim">): string {
    return `${this.mediaUrl}/${board}/${file.tim}s.jpg`;
  }
}
