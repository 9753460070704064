import type { Follow } from "../../../server/domain/federation-ports.js";
import type { NormalizedActivity } from "../../vocab/normalize.js";
import { accepted, forbidden, ignored, malformed } from "../errors.js";
import type { Handler, InboxDeps } from "./types.js";

/** The outbound follow an Accept or Reject answers, named by its id or embedded. */
async function answeredFollow({ s }: InboxDeps, activity: NormalizedActivity): Promise<Follow | null> {
  const inner = activity.object;
  if (inner === undefined) throw malformed(`The ${activity.type} names no object.`);
  const follows = s.store.federation.follows;
  if (typeof inner === "string") return follows.getById(inner);
  if (inner.kind !== "activity" || inner.type !== "Follow") return null;
  const target = inner.objectIds[0];
  return (await follows.getById(inner.id)) ?? (target ? follows.get(inner.actor, target) : null);
}

/**
 * Accept of a Follow one of our boards sent: the follow is accepted, its Announces are mirrored from
 * now on, and the board catches up with what the group posted before (see Backfill).
 */
export const handleAccept: Handler = async (deps, { activity }) => {
  const follow = await answeredFollow(deps, activity);
  if (follow?.direction !== "outbound") return ignored("Not an answer to a follow of ours.");
  if (follow.objectId !== activity.actor) throw forbidden("Only the followed actor can accept a follow.");
  await deps.s.store.federation.follows.accept(follow.actorId, follow.objectId);
  deps.followAccepted(follow.objectId);
  return accepted(`/${follow.board}/ follows ${follow.objectId}.`);
};

/** Reject of a Follow one of our boards sent: the follow is forgotten. */
export const handleReject: Handler = async (deps, { activity }) => {
  const follow = await answeredFollow(deps, activity);
  if (follow?.direction !== "outbound") return ignored("Not an answer to a follow of ours.");
  if (follow.objectId !== activity.actor) throw forbidden("Only the followed actor can reject a follow.");
  await deps.s.store.federation.follows.remove(follow.actorId, follow.objectId);
  return accepted(`${follow.objectId} refused the follow of /${follow.board}/.`);
};
