import type { Post } from "../../server/domain/post.js";
import type { Urls } from "../../server/services/urls.js";
import type { FederationIds } from "../ids.js";
import { PUBLIC } from "./context.js";

/** The author's `Delete` of a local post, its object a `Tombstone`, without `@context`. */
export function deleteActivity(post: Post, urls: Urls, ids: FederationIds, now: number): Record<string, unknown> {
  const apId = urls.apId(post);
  return {
    id: `${apId}#delete`,
    type: "Delete",
    actor: post.fediActor ?? ids.anonymousActor(),
    to: [PUBLIC],
    cc: [ids.boardFollowers(post.board)],
    audience: ids.board(post.board),
    published: new Date(now).toISOString(),
    object: { id: apId, type: "Tombstone" },
  };
}
