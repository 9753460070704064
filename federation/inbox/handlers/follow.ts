import { DomainError } from "../../../server/domain/errors.js";
import type { Follow } from "../../../server/domain/federation-ports.js";
import { learnFollowerSoftware } from "../../delivery/peer-software.js";
import { followAnswer } from "../../documents/follow.js";
import { activityId } from "../../documents/ids.js";
import { domainOf } from "../../remote/fetch.js";
import { accepted, ignored, malformed, notFound } from "../errors.js";
import { remoteRefusal } from "../trust.js";
import { silencedOn } from "./silence.js";
import type { Handler } from "./types.js";

/**
 * Follow of a board: recorded as accepted (boards approve followers automatically) and answered with
 * an Accept signed by the board. A follower on a silenced domain waits, pending, for a moderator to
 * authorize or reject it (no answer is sent until then). Follows of anything else of ours are ignored.
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
  const silenced = silencedOn(s, follower.id, uri);
  let stored: Follow;
  try {
    const added = await s.store.federation.follows.add({
      id: activity.id,
      actorId: follower.id,
      objectId: boardId,
      board: uri,
      direction: "inbound",
      state: silenced ? "pending" : "accepted",
      inbox: follower.inbox,
      sharedInbox: follower.sharedInbox,
      domain: domainOf(follower.id),
      createdAt: s.clock(),
    });
    stored = added.follow;
    // A repeat is accepted unless the domain is silenced: then a moderator's decision stands.
    if (!added.created && !silenced) stored = (await s.store.federation.follows.accept(follower.id, boardId)) ?? stored;
  } catch (err) {
    if (err instanceof DomainError && err.kind === "conflict") {
      throw malformed("The Follow's id already names another follow.");
    }
    throw err;
  }

  // What the follower's server runs decides what the board sends it; learnt now, off the response path.
  void learnFollowerSoftware(deps, follower.sharedInbox ?? follower.inbox);

  if (stored.state === "pending") return accepted(`${follower.id} asks to follow /${uri}/; a moderator decides.`);
  await deps.outbox.send(
    boardId,
    follower.inbox,
    followAnswer("Accept", activityId(boardId, "accept"), boardId, { id: activity.id, actorId: follower.id }),
  );
  return accepted(`${follower.id} follows /${uri}/.`);
};
