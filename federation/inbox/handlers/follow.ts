import { DomainError } from "../../../server/domain/errors.js";
import { AS_CONTEXT } from "../../mapping/context.js";
import { domainOf } from "../../remote/fetch.js";
import { accepted, ignored, malformed, notFound } from "../errors.js";
import { activityId } from "../outbox.js";
import { remoteRefusal } from "../trust.js";
import type { Handler } from "./types.js";

/**
 * Follow of a board: recorded as accepted (boards approve followers automatically) and answered with
 * an Accept signed by the board. Follows of anything else of ours are ignored.
 */
export const handleFollow: Handler = async (deps, { activity }) => {
  const { s, ids } = deps;
  const target = activity.objectIds[0];
  if (target === undefined) throw malformed("The Follow names no object.");
  const uri = ids.boardOf(target);
  if (uri === null) {
    return ignored(target.startsWith(`${ids.publicUrl}/`) ? "Only boards can be followed." : "Not a follow of ours.");
  }
  const board = await s.store.boards.get(uri);
  if (!board) throw notFound(`There is no board /${uri}/.`);

  let follower: Awaited<ReturnType<typeof deps.actors.get>>;
  try {
    follower = await deps.actors.get(activity.actor);
  } catch (err) {
    throw remoteRefusal(err);
  }
  const boardId = ids.board(uri);
  try {
    const { created } = await s.store.federation.follows.add({
      id: activity.id,
      actorId: follower.id,
      objectId: boardId,
      board: uri,
      direction: "inbound",
      state: "accepted",
      inbox: follower.inbox,
      sharedInbox: follower.sharedInbox,
      domain: domainOf(follower.id),
      createdAt: s.clock(),
    });
    if (!created) await s.store.federation.follows.accept(follower.id, boardId);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "conflict") {
      throw malformed("The Follow's id already names another follow.");
    }
    throw err;
  }

  await deps.outbox.send(boardId, follower.inbox, {
    "@context": AS_CONTEXT,
    id: activityId(boardId, "accept"),
    type: "Accept",
    actor: boardId,
    object: { id: activity.id, type: "Follow", actor: follower.id, object: boardId },
    to: [follower.id],
  });
  return accepted(`${follower.id} follows /${uri}/.`);
};
