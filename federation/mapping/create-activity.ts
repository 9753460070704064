import type { Board } from "../../server/domain/board.js";
import type { Post } from "../../server/domain/post.js";
import type { Services } from "../../server/services/container.js";
import type { FederationIds } from "../ids.js";
import { PUBLIC } from "./context.js";
import { postObject } from "./post-object.js";

/** The `Create` of a local post, as the board's outbox and deliveries carry it. */
export function createActivity(
  board: Board,
  post: Post,
  s: Services,
  ids: FederationIds,
  thread?: Pick<Post, "apId"> | null,
): Record<string, unknown> {
  const object = postObject(board, post, { urls: s.urls, ids, anonymousActor: ids.anonymousActor() }, thread);
  delete object["@context"];
  return {
    id: `${s.urls.apId(post)}#create`,
    type: "Create",
    actor: post.fediActor ?? ids.anonymousActor(),
    to: [PUBLIC, ids.board(board.uri)],
    cc: [ids.boardFollowers(board.uri)],
    audience: ids.board(board.uri),
    published: new Date(post.createdAt).toISOString(),
    object,
  };
}
