import type { Board } from "../../server/domain/board.js";
import type { Post } from "../../server/domain/post.js";
import type { Urls } from "../../server/services/urls.js";
import type { FederationIds } from "../ids.js";
import { createActivity } from "./create.js";

/**
 * The author's `Update` of a local post, carrying the post as it is now and addressed as its
 * `Create` was, without `@context`. Its id names the moment, so each change is a new activity.
 */
export function updateActivity(
  board: Board,
  post: Post,
  urls: Urls,
  ids: FederationIds,
  thread: Pick<Post, "apId"> | null,
  now: number,
): Record<string, unknown> {
  const created = createActivity(board, post, urls, ids, thread);
  return {
    id: `${urls.apId(post)}#update-${now}`,
    type: "Update",
    actor: created["actor"],
    to: created["to"],
    cc: created["cc"],
    audience: created["audience"],
    published: new Date(now).toISOString(),
    object: created["object"],
  };
}
