import type { Board } from "../../../server/domain/board.js";
import type { NormalizedDocument, NormalizedEmbedded, NormalizedObject } from "../../vocab/normalize.js";
import { ignored, malformed } from "../errors.js";
import { mirrorGroupPost } from "../mirror-post.js";
import { POST_TYPES } from "../remote-note.js";
import { believable, embeddedJson, fetchFromOrigin, trustedObject } from "../trust.js";
import { applyGroupModeration, MODERATION_TYPES } from "./group-moderation.js";
import type { Handler, InboxDeps } from "./types.js";

/**
 * Announce by a Group one of our boards follows (an accepted outbound follow), of a Create(Note) or
 * a Note: the post is mirrored into the following board, as a new thread or as a reply in the
 * thread it belongs to (whose missing posts are fetched first, see placeReply). Announces from anyone
 * else are ignored before anything is fetched. What the group's own server wrote is taken as
 * embedded; a post from anywhere else is read from its origin.
 */
export const handleAnnounce: Handler = async (deps, { activity, json, lastChance = false }) => {
  const board = await followingBoard(deps, activity.actor);
  if (!board) return ignored("Announces are taken only from groups a board follows.");
  const ref = activity.object;
  if (ref === undefined) throw malformed("The Announce names no object.");
  // A moderator's action the group passes on (Lemmy's shape): applied to our mirror of the group.
  if (typeof ref !== "string" && ref.kind === "activity" && MODERATION_TYPES.has(ref.type)) {
    return applyGroupModeration(deps, activity.actor, ref, embeddedJson(json));
  }

  const note = await announcedPost(deps, activity.actor, ref, embeddedJson(json));
  if (typeof note === "string") return ignored(note);
  return mirrorGroupPost(deps, board, activity.actor, note, lastChance);
};

/**
 * The post an Announce is about, as we may believe it, or why it is not one we take. An embedded
 * Create is the group's own word when it and its object sit on the group's origin (FEP-fe34), so
 * followers need not fetch what the group sent them; any other post comes from its origin.
 */
async function announcedPost(
  deps: InboxDeps,
  group: string,
  ref: string | NormalizedEmbedded,
  json: Record<string, unknown> | undefined,
): Promise<NormalizedObject | string> {
  let doc: NormalizedDocument;
  if (typeof ref !== "string" && ref.kind === "activity") {
    if (ref.type !== "Create") return `Announce(${ref.type}) is not handled.`;
    const inner = ref.object;
    if (inner === undefined) throw malformed("The announced Create names no object.");
    doc =
      typeof inner !== "string" && believable(group, ref) && believable(group, inner)
        ? inner
        : (await fetchFromOrigin(deps, typeof inner === "string" ? inner : inner.id)).document;
  } else {
    doc = (await trustedObject(deps, group, ref, json)).document;
    if (doc.kind === "activity") {
      // An id that named a Create: its object, from its own origin.
      if (doc.type !== "Create" || doc.objectIds[0] === undefined) return `Announce(${doc.type}) is not handled.`;
      doc = (await fetchFromOrigin(deps, doc.objectIds[0])).document;
    }
  }
  if (doc.kind !== "object") return `Announce of a ${doc.type} is not handled.`;
  if (!POST_TYPES.has(doc.type)) return `Announce of a ${doc.type} is not handled.`;
  return doc;
}

/** The first local board with an accepted follow of `groupId`, or null. */
async function followingBoard(deps: InboxDeps, groupId: string): Promise<Board | null> {
  const { s, ids } = deps;
  for (const board of await s.store.boards.list()) {
    const follow = await s.store.federation.follows.get(ids.board(board.uri), groupId);
    if (follow && follow.direction === "outbound" && follow.state === "accepted") return board;
  }
  return null;
}
