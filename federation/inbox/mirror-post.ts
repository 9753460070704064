import type { Board } from "../../server/domain/board.js";
import type { GroupBan } from "../../server/domain/federation-ports.js";
import { sameOrigin } from "../remote/fetch.js";
import type { NormalizedObject } from "../vocab/normalize.js";
import { placeReply } from "./ancestors.js";
import { accepted, type InboxResult, ignored } from "./errors.js";
import type { InboxDeps } from "./handlers/types.js";
import { storeNote, visibleOnBoard } from "./remote-note.js";

/**
 * Mirrors a post a followed group passed on (announced, or restored by its moderators) onto
 * `board`, which follows the group: as a new thread, or as a reply in the thread it belongs to
 * (whose missing posts are fetched first, see placeReply). The post records the group it came
 * through.
 */
export async function mirrorGroupPost(
  deps: InboxDeps,
  board: Board,
  group: string,
  note: NormalizedObject,
  lastChance: boolean,
): Promise<InboxResult> {
  // A group passing on a reply written here: the post is already here, as our own.
  if (note.id.startsWith(`${deps.ids.publicUrl}/`)) return ignored("One of our own posts.");
  if (note.attributedTo === undefined) return ignored("The announced object names no author.");
  // Only the author's own server can say who wrote it.
  if (!sameOrigin(note.id, note.attributedTo))
    return ignored("The announced object names an author on another server.");
  if (await deps.s.store.federation.remotePosts.get(note.id)) return ignored("The object is already here.");

  const visible = (post: NormalizedObject, on: Board) =>
    visibleOnBoard(post, group) || visibleOnBoard(post, deps.ids.board(on.uri));
  let target = { board, threadNo: null as number | null };
  if (note.inReplyTo !== undefined) {
    const place = await placeReply(deps, note.inReplyTo, {
      lastChance,
      fetch: true,
      via: group,
      // A thread whose first post is missing here is the group's too, mirrored on the following board.
      rootBoard: async (root) => (visible(root, board) ? board : null),
    });
    if (!place) return ignored("A reply to a post that is not here.");
    target = place;
  }
  if (!visible(note, target.board)) return ignored("The announced object is not public.");
  const ban = await mirrorBan(deps, target.board.uri, note.attributedTo);
  if (ban) return ignored(`${note.attributedTo} is banned from ${ban.groupId}, which /${target.board.uri}/ follows.`);
  // Another delivery may have brought it while the thread was fetched.
  if (await deps.s.store.federation.remotePosts.get(note.id)) return ignored("The object is already here.");
  const { post } = await storeNote(deps, note, { ...target, author: note.attributedTo, lastChance, via: group });
  return accepted(`Mirrored as /${post.board}/${post.no}.`);
}

/**
 * The ban in force of `actorId` by a group the board follows, or null: such an account's posts are
 * not taken onto the board, whoever passes them on.
 */
export async function mirrorBan(deps: InboxDeps, board: string, actorId: string): Promise<GroupBan | null> {
  const groups = (await deps.s.store.federation.follows.followingOf(board))
    .filter((f) => f.state === "accepted")
    .map((f) => f.objectId);
  if (groups.length === 0) return null;
  const [ban] = await deps.s.store.federation.groupBans.active(actorId, groups, deps.s.clock());
  return ban ?? null;
}
