import type { Board } from "../../../server/domain/board.js";
import { sameOrigin } from "../../remote/fetch.js";
import type { NormalizedObject } from "../../vocab/normalize.js";
import { accepted, ignored, malformed } from "../errors.js";
import { resolveLocalPost } from "../local-posts.js";
import { POST_TYPES, storeNote, visibleOnBoard } from "../remote-note.js";
import { embeddedJson, fetchFromOrigin, trustedObject } from "../trust.js";
import type { Handler, InboxDeps } from "./types.js";

/**
 * Announce by a Group one of our boards follows (an accepted outbound follow), of a Create(Note) or
 * a Note: the post is mirrored into the following board, as a new thread or as a reply to a post
 * we hold. Announces from anyone else are ignored before anything is fetched. The announced post
 * is always read from its origin unless the group itself wrote it.
 */
export const handleAnnounce: Handler = async (deps, { activity, json }) => {
  const board = await followingBoard(deps, activity.actor);
  if (!board) return ignored("Announces are taken only from groups a board follows.");
  const ref = activity.object;
  if (ref === undefined) throw malformed("The Announce names no object.");

  let note: NormalizedObject;
  if (typeof ref !== "string" && ref.kind === "activity") {
    if (ref.type !== "Create") return ignored(`Announce(${ref.type}) is not handled.`);
    const inner = ref.object;
    if (inner === undefined) throw malformed("The announced Create names no object.");
    // Someone else's Create, embedded: its object is read from the object's origin.
    const doc = (await fetchFromOrigin(deps, typeof inner === "string" ? inner : inner.id)).document;
    if (doc.kind !== "object") return ignored(`Announce of a Create(${doc.type}) is not handled.`);
    note = doc;
  } else {
    let doc = (await trustedObject(deps, activity.actor, ref, embeddedJson(json))).document;
    if (doc.kind === "activity") {
      // An id that named a Create: its object, from its own origin.
      if (doc.type !== "Create" || doc.objectIds[0] === undefined)
        return ignored(`Announce(${doc.type}) is not handled.`);
      doc = (await fetchFromOrigin(deps, doc.objectIds[0])).document;
    }
    if (doc.kind !== "object") return ignored(`Announce of a ${doc.type} is not handled.`);
    note = doc;
  }
  if (!POST_TYPES.has(note.type)) return ignored(`Announce of a ${note.type} is not handled.`);
  // A group passing on a reply written here: the post is already here, as our own.
  if (note.id.startsWith(`${deps.ids.publicUrl}/`)) return ignored("One of our own posts.");
  if (note.attributedTo === undefined) return ignored("The announced object names no author.");
  // Only the author's own server can say who wrote it.
  if (!sameOrigin(note.id, note.attributedTo))
    return ignored("The announced object names an author on another server.");
  if (await deps.s.store.federation.remotePosts.get(note.id)) return ignored("The object is already here.");

  let target: { board: Board; threadNo: number | null } = { board, threadNo: null };
  if (note.inReplyTo !== undefined) {
    const parent = await resolveLocalPost(deps.s, note.inReplyTo);
    if (!parent) return ignored("A reply to a post that is not here.");
    const parentBoard = await deps.s.store.boards.get(parent.board);
    if (!parentBoard) return ignored("A reply to a post that is not here.");
    target = { board: parentBoard, threadNo: parent.threadNo };
  }
  if (!visibleOnBoard(note, activity.actor) && !visibleOnBoard(note, deps.ids.board(target.board.uri))) {
    return ignored("The announced object is not public.");
  }
  const { post } = await storeNote(deps, note, { ...target, author: note.attributedTo });
  return accepted(`Mirrored as /${post.board}/${post.no}.`);
};

/** The first local board with an accepted follow of `groupId`, or null. */
async function followingBoard(deps: InboxDeps, groupId: string): Promise<Board | null> {
  const { s, ids } = deps;
  for (const board of await s.store.boards.list()) {
    const follow = await s.store.federation.follows.get(ids.board(board.uri), groupId);
    if (follow && follow.direction === "outbound" && follow.state === "accepted") return board;
  }
  return null;
}
