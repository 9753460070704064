import type { Board } from "../../server/domain/board.js";
import type { Post } from "../../server/domain/post.js";
import type { Urls } from "../../server/services/urls.js";
import type { FederationIds } from "../ids.js";
import { PUBLIC } from "./context.js";
import { postObject } from "./note.js";

/**
 * The `Create` of a local post by its author, without `@context`: embedded in the board's
 * `Announce`, or sent as it is (`withActivityContext`).
 */
export function createActivity(
  board: Board,
  post: Post,
  urls: Urls,
  ids: FederationIds,
  thread?: Pick<Post, "apId"> | null,
): Record<string, unknown> {
  const object = postObject(
    board,
    post,
    { urls, ids, anonymousActor: ids.anonymousActor(), withPosterToken: true },
    thread,
  );
  delete object["@context"];
  return {
    id: `${urls.apId(post)}#create`,
    type: "Create",
    actor: post.fediActor ?? ids.anonymousActor(),
    to: [PUBLIC, ids.board(board.uri)],
    cc: [ids.boardFollowers(board.uri)],
    audience: ids.board(board.uri),
    published: new Date(post.createdAt).toISOString(),
    object,
  };
}
