import type { FederationIds } from "../ids.js";
import { AS_CONTEXT, PUBLIC, SECURITY_CONTEXT } from "./context.js";

/*
 * What a board's staff send, in Lemmy's shapes (crates/apub activities: deletion, locking,
 * community/collection_add|remove): the moderator is the actor, the board is in `cc` and
 * `audience`, and the board announces the activity to its followers. Built without `@context`; the
 * announcement carries it.
 */

/** Who acts and why: the staff actor's id and the public reason (empty: none given). */
export interface ModeratorAct {
  actor: string;
  reason: string;
}

function base(
  ids: FederationIds,
  board: string,
  id: string,
  type: string,
  act: ModeratorAct,
  published: string,
): Record<string, unknown> {
  return {
    id,
    type,
    actor: act.actor,
    to: [PUBLIC],
    cc: [ids.board(board)],
    audience: ids.board(board),
    published,
  };
}

function withReason(doc: Record<string, unknown>, reason: string): Record<string, unknown> {
  return reason === "" ? doc : { ...doc, summary: reason };
}

/** A moderator's removal of a post (Lemmy reads a `Delete` by someone not its author as a removal). */
export function removalActivity(
  ids: FederationIds,
  board: string,
  id: string,
  act: ModeratorAct,
  objectId: string,
  published: string,
): Record<string, unknown> {
  return withReason({ ...base(ids, board, id, "Delete", act, published), object: objectId }, act.reason);
}

/** A moderator closing a thread to replies. */
export function lockActivity(
  ids: FederationIds,
  board: string,
  id: string,
  act: ModeratorAct,
  threadId: string,
  published: string,
): Record<string, unknown> {
  return withReason({ ...base(ids, board, id, "Lock", act, published), object: threadId }, act.reason);
}

/** A moderator reopening a thread: `Undo` of a `Lock` (embedded, as Lemmy sends it). */
export function unlockActivity(
  ids: FederationIds,
  board: string,
  id: string,
  act: ModeratorAct,
  threadId: string,
  published: string,
): Record<string, unknown> {
  const lock = lockActivity(ids, board, `${id}#lock`, { actor: act.actor, reason: "" }, threadId, published);
  return withReason({ ...base(ids, board, id, "Undo", act, published), object: lock }, act.reason);
}

/** A moderator pinning (`Add`) or unpinning (`Remove`) a thread in the board's `featured` collection. */
export function featuredActivity(
  ids: FederationIds,
  board: string,
  id: string,
  type: "Add" | "Remove",
  act: ModeratorAct,
  threadId: string,
  published: string,
): Record<string, unknown> {
  return withReason(
    { ...base(ids, board, id, type, act, published), object: threadId, target: ids.boardFeatured(board) },
    act.reason,
  );
}

/**
 * The board withdrawing its boost of a removed thread, which is what takes it off Mastodon and
 * other microblogs: they honour a `Delete` only from the post's own author.
 */
export function unboostActivity(
  ids: FederationIds,
  board: string,
  id: string,
  boostId: string,
  objectId: string,
  published: string,
): Record<string, unknown> {
  const actor = ids.board(board);
  return {
    id,
    type: "Undo",
    actor,
    to: [PUBLIC],
    cc: [ids.boardFollowers(board)],
    published,
    object: { id: boostId, type: "Announce", actor, object: objectId },
  };
}

/** A staff member as a `Person`: named by role, with a key, its inbox the instance's shared inbox. */
export function staffPerson(
  ids: FederationIds,
  board: string,
  staff: { id: string; key: string; name: string },
  publicKeyPem: string,
): Record<string, unknown> {
  return {
    "@context": [AS_CONTEXT, SECURITY_CONTEXT],
    id: staff.id,
    type: "Person",
    preferredUsername: `${board}_staff_${staff.key.slice(0, 8).toLowerCase()}`,
    name: staff.name,
    summary: `<p>A moderator of /${board}/.</p>`,
    url: `${ids.publicUrl}/${board}/log`,
    inbox: ids.sharedInbox(),
    endpoints: { sharedInbox: ids.sharedInbox() },
    publicKey: { id: ids.keyId(staff.id), owner: staff.id, publicKeyPem },
  };
}
