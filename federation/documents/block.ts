import type { RemoteBan } from "../../server/domain/remote-bans.js";
import type { FederationIds } from "../ids.js";
import { activityContext, PUBLIC } from "./context.js";

/** What a Block says of a ban: who, where, why, until when, and whether the posts went. */
export type BlockedAccount = Pick<
  RemoteBan,
  "id" | "actorId" | "board" | "reason" | "createdAt" | "expiresAt" | "deletePosts"
>;

/**
 * Lemmy's ban (`BlockUser`): `target` the board's Group for a board ban, the instance actor for an
 * instance-wide one (Lemmy's site ban); `summary` the reason, `removeData` whether the account's
 * posts were removed, `endTime` (and `expires`, newer Lemmy's name for it) when it is not
 * permanent. `actor` is the one who acts for the board or the instance: the board, or the instance,
 * unless a staff actor is given. The id derives from the ban, so its Undo embeds the same Block.
 */
export function blockActivity(ids: FederationIds, ban: BlockedAccount, actor?: string): Record<string, unknown> {
  const target = ban.board === null ? ids.instanceActor() : ids.board(ban.board);
  const until = ban.expiresAt === null ? null : new Date(ban.expiresAt).toISOString();
  return {
    id: `${target}/activities/block/${ban.id}`,
    type: "Block",
    actor: actor ?? target,
    to: [PUBLIC],
    cc: ban.board === null ? [] : [target],
    ...(ban.board === null ? {} : { audience: target }),
    object: ban.actorId,
    target,
    summary: ban.reason,
    removeData: ban.deletePosts,
    ...(until === null ? {} : { endTime: until, expires: until }),
    published: new Date(ban.createdAt).toISOString(),
  };
}

/** The lifting of a ban: `Undo` of the same Block, by the same actor. */
export function undoBlockActivity(
  ids: FederationIds,
  ban: BlockedAccount,
  now: number,
  actor?: string,
): Record<string, unknown> {
  const block = blockActivity(ids, ban, actor);
  return {
    id: `${String(block["id"])}/undo`,
    type: "Undo",
    actor: block["actor"],
    to: [PUBLIC],
    cc: block["cc"],
    ...(ban.board === null ? {} : { audience: block["audience"] }),
    published: new Date(now).toISOString(),
    object: block,
  };
}

/** The board passes its ban (or its lifting) on to its followers, FEP-1b12 style, as Lemmy's community does. */
export function announceBlock(ids: FederationIds, board: string, activity: Record<string, unknown>, now: number) {
  const boardId = ids.board(board);
  return {
    "@context": activityContext(ids),
    id: `${String(activity["id"])}/announce`,
    type: "Announce",
    actor: boardId,
    to: [PUBLIC],
    cc: [ids.boardFollowers(board)],
    audience: boardId,
    published: new Date(now).toISOString(),
    object: activity,
  };
}
