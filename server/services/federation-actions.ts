import type { HeldReason } from "../domain/defederation-ports.js";
import type { FollowState } from "../domain/federation-ports.js";
import type { RemoteBan } from "../domain/remote-bans.js";

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

  /** Inbound follows of the board waiting for approval (from silenced domains), oldest first. */
  listFollowRequests(localBoard: string): Promise<FollowRequestView[]>;
  /**
   * Accepts a waiting follow (named by its Follow activity id or by the follower's actor id) and
   * queues the board's Accept for the follower. "not_found" when the board has no such request.
   */
  authorizeFollowRequest(localBoard: string, id: string): Promise<FollowRequestView>;
  /** Forgets a waiting follow and queues the board's Reject for the follower. */
  rejectFollowRequest(localBoard: string, id: string): Promise<FollowRequestView>;

  /** New threads from silenced domains held for a moderator, oldest first, of one board or all. */
  listHeld(board?: string): Promise<HeldThreadView[]>;
  /**
   * Posts a held thread exactly as if it had just arrived, then forgets it. "not_found" for an
   * unknown id; "unprocessable" when it cannot be posted now (it stays held, to retry or reject).
   */
  approveHeld(
    id: string,
  ): Promise<{ held: HeldThreadView; outcome: "accepted" | "ignored" | "rejected" | "deferred"; detail: string }>;
  /** Drops a held thread without posting it. */
  rejectHeld(id: string): Promise<HeldThreadView>;

  /**
   * The account an actor URL or a handle (`user@host`, `@user@host`) names, the handle resolved
   * through WebFinger: "invalid" for anything else, "unprocessable" when it cannot be resolved.
   */
  resolveAccount(target: string): Promise<{ id: string; handle: string | null }>;
  /**
   * Queues Lemmy's `Block` of a remote account (or its `Undo` when `lifted`) for the account's
   * server and the followers of the board (of every board, for an instance-wide ban).
   */
  announceRemoteBan(ban: RemoteBan, lifted: boolean): Promise<void>;
}

/** An inbound follow of a board waiting for a moderator. */
export interface FollowRequestView {
  /** The id of the Follow activity. */
  id: string;
  board: string;
  /** The follower's actor id. */
  actor: string;
  /** The follower's `name@host`, when its actor is known here; null otherwise. */
  handle: string | null;
  domain: string;
  createdAt: number;
}

/** A new thread held for a moderator. */
export interface HeldThreadView {
  /** The id of the Create activity. */
  id: string;
  board: string;
  domain: string;
  actor: string;
  /** The object's id, subject and text (tags removed, cut), as far as the held activity embeds them. */
  objectId: string | null;
  subject: string | null;
  text: string;
  receivedAt: number;
  /** Why it waits: `silenced`, `probation` (a new peer), or what a word filter matched. */
  reason: HeldReason;
}

/** A follow request as the admin API shows it, in Mastodon's spirit: snake_case, ISO 8601 times. */
export function followRequestJson(f: FollowRequestView) {
  return {
    id: f.id,
    board: f.board,
    actor: f.actor,
    handle: f.handle,
    domain: f.domain,
    created_at: new Date(f.createdAt).toISOString(),
  };
}

export function heldThreadJson(h: HeldThreadView) {
  return {
    id: h.id,
    board: h.board,
    domain: h.domain,
    actor: h.actor,
    object_id: h.objectId,
    subject: h.subject,
    text: h.text,
    received_at: new Date(h.receivedAt).toISOString(),
    reason: h.reason,
  };
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
