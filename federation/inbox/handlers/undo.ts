import type { Follow } from "../../../server/domain/federation-ports.js";
import { accepted, forbidden, ignored, malformed } from "../errors.js";
import { followedGroupOf, handleDirectModeration } from "./group-moderation.js";
import type { Handler } from "./types.js";

/**
 * Undo of a Follow: the follow goes, when the one undoing it is its follower. Undo of a Lock, a
 * Block or a removal (Delete) is a group's moderation (see group-moderation.ts).
 */
export const handleUndo: Handler = async (deps, inbound) => {
  const { s } = deps;
  const { activity } = inbound;
  const inner = activity.object;
  if (inner === undefined) throw malformed("The Undo names no object.");
  // A moderator lifting a lock or a ban need not be the one who set it.
  if (
    typeof inner !== "string" &&
    inner.kind === "activity" &&
    (inner.type === "Lock" || inner.type === "Block" || inner.type === "Delete")
  ) {
    // A restore that names no group of ours is nothing to us (we hold no post it could bring back).
    if (inner.type === "Delete" && (await followedGroupOf(deps, activity)) === null) {
      return ignored("Undo(Delete) of nothing mirrored from a group we follow.");
    }
    return handleDirectModeration(deps, inbound);
  }
  const follows = s.store.federation.follows;
  let follow: Follow | null;
  if (typeof inner === "string") {
    follow = await follows.getById(inner);
  } else {
    if (inner.kind !== "activity") return ignored(`Undo of a ${inner.type} is not handled.`);
    if (inner.actor !== activity.actor) throw forbidden("An actor can only undo its own activities.");
    if (inner.type !== "Follow") return ignored(`Undo(${inner.type}) is not handled.`);
    const target = inner.objectIds[0];
    follow = (await follows.getById(inner.id)) ?? (target ? await follows.get(inner.actor, target) : null);
  }
  if (!follow) return ignored("No such follow.");
  if (follow.actorId !== activity.actor) throw forbidden("An actor can only undo its own follow.");
  await follows.remove(follow.actorId, follow.objectId);
  return accepted(`${follow.actorId} no longer follows ${follow.objectId}.`);
};
