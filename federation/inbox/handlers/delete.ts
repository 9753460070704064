import { accepted, forbidden, ignored, malformed } from "../errors.js";
import { resolveLocalOrigin } from "../local-posts.js";
import { announceAccepted } from "../outbox.js";
import { followedGroupOf, handleDirectModeration } from "./group-moderation.js";
import type { Handler } from "./types.js";

/**
 * Delete of a post we hold, by its author: the post goes, with its media (an opening post takes its
 * thread), and the board passes the Delete on to its followers. A Delete by anyone else is a
 * group's moderation when it names a group we follow (see group-moderation.ts), else refused. An actor deleting itself loses its follows of our boards and our boards' follows of it.
 */
export const handleDelete: Handler = async (deps, inbound) => {
  const { activity, json } = inbound;
  const { s, ids } = deps;
  const id = activity.objectIds[0];
  if (id === undefined) throw malformed("The Delete names no object.");

  if (id === activity.actor) {
    let removed = 0;
    for (const board of await s.store.boards.list()) {
      const boardId = ids.board(board.uri);
      if (await s.store.federation.follows.remove(activity.actor, boardId)) removed++;
      if (await s.store.federation.follows.remove(boardId, activity.actor)) removed++;
    }
    await deps.actors.forget(activity.actor);
    return accepted(`The actor is gone; ${removed} follow(s) removed.`);
  }

  const remotePosts = s.store.federation.remotePosts;
  const mapping = await remotePosts.get(id);
  if (!mapping) {
    if (id.startsWith(`${s.config.publicUrl}/`) && (await resolveLocalOrigin(s, id))) return peerRemoval(deps, inbound);
    return ignored("Not a post we hold.");
  }
  const post = await s.store.posts.getPost(mapping.board, mapping.no);
  if (!post) {
    await remotePosts.delete(id);
    return ignored("Not a post we hold.");
  }
  if (post.fediActor !== activity.actor) {
    // A followed group, or one of its moderators, removing a post mirrored from it.
    if (await followedGroupOf(deps, activity)) return handleDirectModeration(deps, inbound);
    throw forbidden("Only the author of a post can delete it.");
  }
  const deleted = await s.posting.deleteRemote(post.board, post.no);
  for (const p of deleted) if (p.apId) await remotePosts.delete(p.apId);
  await announceAccepted(deps.outbox, deps.s.logger, post.board, json);
  return accepted(
    `Deleted /${post.board}/${post.no}${deleted.length > 1 ? ` and ${deleted.length - 1} repl(ies)` : ""}.`,
  );
};

/**
 * A peer's moderator removing one of our own posts from their mirror, and telling us as Lemmy
 * does. As in Lemmy, only our board's moderators remove our posts: theirs is not applied. It is
 * answered as taken (not refused), since their removal is theirs to make and a refusal would only
 * leave a failed delivery in their queue; our staff hear of a post through a Flag, not a removal.
 */
const peerRemoval: Handler = async (deps, { activity }) => {
  deps.s.logger.info("inbox: a peer's removal of our post is not applied here", {
    id: activity.id,
    actor: activity.actor,
    object: activity.objectIds[0],
    reason: activity.summary,
  });
  return ignored("Our posts are removed by our own staff only; the removal from your mirror is noted.");
};
