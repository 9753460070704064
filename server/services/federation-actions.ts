import type { FollowState } from "../domain/federation-ports.js";

/** One outbound follow of a local board, as operators see it. */
export interface BoardFollowView {
  /** The id of the Follow activity. */
  id: string;
  /** The local board that follows. */
  board: string;
  /** The followed group's actor id. */
  target: string;
  /** The group's `name@host`, when its actor is known here; null otherwise. */
  handle: string | null;
  /** `pending` until the group's Accept arrives. */
  state: FollowState;
  createdAt: number;
}

/**
 * What operators can do with the federation of their boards, from the admin API and the command
 * line, without the server's code knowing how ActivityPub does it. Every method throws DomainError:
 * "not_found" for an unknown board (or a follow that does not exist), "invalid" for a target that is
 * neither an actor URL nor a `name@host` handle, "unprocessable" when the target cannot be resolved
 * or fetched.
 */
export interface FederationActions {
  /**
   * Makes `localBoard` follow the remote group `target` (its actor URL, or its handle `name@host`,
   * resolved through WebFinger). The Follow is queued for delivery; the follow stays pending until
   * the group accepts. Following again re-sends the Follow and keeps the follow's state.
   */
  followBoard(localBoard: string, target: string): Promise<BoardFollowView>;
  /** Queues an Undo(Follow) for the group and forgets the follow at once; returns what was removed. */
  unfollowBoard(localBoard: string, target: string): Promise<BoardFollowView>;
  /** The board's outbound follows, pending and accepted, oldest first. */
  listFollows(localBoard: string): Promise<BoardFollowView[]>;
}

/** A follow as the admin API and `atoll board follows --json` show it: snake_case, ISO 8601 times. */
export function boardFollowJson(f: BoardFollowView) {
  return {
    id: f.id,
    board: f.board,
    target: f.target,
    handle: f.handle,
    state: f.state,
    created_at: new Date(f.createdAt).toISOString(),
  };
}
