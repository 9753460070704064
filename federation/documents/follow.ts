import { AS_CONTEXT } from "./context.js";

/*
 * The follow handshake: a board's `Follow` of a remote group and its `Undo`, and the board's
 * `Accept` or `Reject` of a remote actor's `Follow`. Each names the Follow it is about in full.
 */

/** A local board's `Follow` of a remote group. */
export function followActivity(id: string, boardId: string, groupId: string): Record<string, unknown> {
  return { "@context": AS_CONTEXT, id, type: "Follow", actor: boardId, object: groupId, to: [groupId] };
}

/** A local board's `Undo` of its `Follow` of a remote group (named `{follow id}#undo`). */
export function undoFollowActivity(boardId: string, follow: { id: string; objectId: string }): Record<string, unknown> {
  return {
    "@context": AS_CONTEXT,
    id: `${follow.id}#undo`,
    type: "Undo",
    actor: boardId,
    object: { id: follow.id, type: "Follow", actor: boardId, object: follow.objectId },
    to: [follow.objectId],
  };
}

/** The board's answer to an inbound Follow: `Accept` or `Reject`, naming the Follow it answers. */
export function followAnswer(
  type: "Accept" | "Reject",
  id: string,
  boardId: string,
  follow: { id: string; actorId: string },
): Record<string, unknown> {
  return {
    "@context": AS_CONTEXT,
    id,
    type,
    actor: boardId,
    object: { id: follow.id, type: "Follow", actor: follow.actorId, object: boardId },
    to: [follow.actorId],
  };
}
