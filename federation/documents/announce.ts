import type { FederationIds } from "../ids.js";
import { activityContext, PUBLIC } from "./context.js";

/**
 * A board's `Announce` of `object` (an activity, embedded, or the id of a post) to its followers,
 * FEP-1b12 style. The caller names it: ids derived from what is announced make a second build of
 * the same announcement the same activity.
 */
export function announceActivity(
  ids: FederationIds,
  boardUri: string,
  id: string,
  object: unknown,
  published: string,
): Record<string, unknown> {
  const board = ids.board(boardUri);
  return {
    "@context": activityContext(ids),
    id,
    type: "Announce",
    actor: board,
    to: [PUBLIC],
    cc: [ids.boardFollowers(boardUri)],
    audience: board,
    published,
    object,
  };
}
