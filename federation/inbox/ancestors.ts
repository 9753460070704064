import type { Board } from "../../server/domain/board.js";
import type { ThreadState } from "../../server/domain/post.js";
import { sameOrigin } from "../remote/fetch.js";
import type { NormalizedObject } from "../vocab/normalize.js";
import type { InboxDeps } from "./handlers/types.js";
import { localBoard, resolveLocalThread } from "./local-posts.js";
import { POST_TYPES, storeNote, visibleOnBoard } from "./remote-note.js";
import { fetchFromOrigin } from "./trust.js";

/** How far up a chain of replies the inbox fetches to find the thread a reply belongs in. */
export const MAX_ANCESTORS = 10;

/** Where a post goes: a thread (by number) on a board, or a new thread there (`threadNo` null). */
export interface Placement {
  board: Board;
  threadNo: number | null;
  /** The thread's state when it was read on the way. */
  thread?: ThreadState | null;
}

export interface AncestorOptions {
  /**
   * The board a thread whose opening post is not here yet may be started on, or null when it may
   * not: the inbox's rule for top-level posts (addressed to a board, or announced by a group a
   * board follows).
   */
  rootBoard(root: NormalizedObject): Promise<Board | null>;
  /** The last try of a kept activity (see Inbound.lastChance). */
  lastChance: boolean;
  /** The followed group whose Announce brought the reply, recorded on what is stored (see RemotePostRef). */
  via?: string;
  /**
   * Whether missing parents may be fetched at all. A reply that reaches us without being meant for
   * us (it names none of our actors) is not worth a request to anyone.
   */
  fetch: boolean;
}

/**
 * The thread a reply goes into. When what it answers is here, that thread. Otherwise its parents
 * are fetched from their own origins (through the guarded client, each screened by the domain
 * rules), one by one up the chain, until one is here or the chain's first post is reached, at most
 * MAX_ANCESTORS of them; the missing posts are then stored oldest first (the first post as a new
 * thread where `rootBoard` allows it), so the reply lands in a thread that reads whole. Null when
 * the reply has no place here (its chain leads nowhere we post, is too long, or was deleted).
 * A parent out of reach for now throws TransientFailure (through fetchFromOrigin): the activity is
 * tried again later, and what was stored meanwhile stays.
 */
export async function placeReply(deps: InboxDeps, inReplyTo: string, opts: AncestorOptions): Promise<Placement | null> {
  const missing: NormalizedObject[] = [];
  let parent = inReplyTo;
  let found: Placement | null = null;
  for (;;) {
    const here = await resolveLocalThread(deps.s, parent);
    if (here) {
      const board = await localBoard(deps.s, here.board);
      if (!board) return null;
      found = { board, threadNo: here.threadNo, thread: here.state };
      break;
    }
    // One of our own ids with nothing behind it: deleted here, and nowhere else to ask.
    if (!opts.fetch || parent.startsWith(`${deps.ids.publicUrl}/`) || missing.length >= MAX_ANCESTORS) return null;
    const doc = (await fetchFromOrigin(deps, parent)).document;
    if (doc.kind !== "object" || !POST_TYPES.has(doc.type)) return null;
    // Only the author's own server can say who wrote it.
    if (doc.attributedTo === undefined || !sameOrigin(doc.id, doc.attributedTo)) return null;
    missing.push(doc);
    if (doc.inReplyTo === undefined) {
      const board = await opts.rootBoard(doc);
      if (!board) return null;
      found = { board, threadNo: null };
      break;
    }
    parent = doc.inReplyTo;
  }
  let place = found;
  for (const doc of missing.reverse()) {
    const known = await deps.s.store.federation.remotePosts.get(doc.id);
    if (known) {
      if (place.threadNo === null) place = { board: place.board, threadNo: known.no };
      continue;
    }
    const opening = place.threadNo === null;
    // A reply we may not show is left out of the chain; the thread's first post cannot be.
    if (!visibleOnBoard(doc, deps.ids.board(place.board.uri)) && !opening) continue;
    const stored = await storeNote(deps, doc, {
      ...place,
      author: doc.attributedTo as string,
      lastChance: opts.lastChance,
      ...(opts.via === undefined ? {} : { via: opts.via }),
    });
    if (opening) place = { board: place.board, threadNo: stored.post.threadNo };
  }
  return place;
}
