import type { Board } from "../../server/domain/board.js";
import type { Post } from "../../server/domain/post.js";
import type { Services } from "../../server/services/container.js";
import { announceActivity } from "../documents/announce.js";
import { withActivityContext } from "../documents/context.js";
import { createActivity } from "../documents/create.js";
import { deleteActivity } from "../documents/delete.js";
import { digest } from "../documents/ids.js";
import { updateActivity } from "../documents/update.js";
import type { FederationIds } from "../ids.js";
import type { SoftwareFamily } from "./software.js";

/*
 * Which activities a board and its authors send when something happens, and to which software:
 * the documents themselves are built in ../documents/. The board (a `Group`) wraps what happened
 * in an `Announce`, FEP-1b12 style. Ids are derived from the post's id (or, for remote activities,
 * from the remote activity's id), so building the same activities twice gives the same ids and
 * the queue, which ignores an id it already holds, never sends an activity twice to one inbox.
 */

/** What the activities are built from: post ids and page URLs. */
type UrlSource = Pick<Services, "urls">;

/** One activity ready to send: who signs it and the document, `@context` included. */
export interface OutgoingActivity {
  /** The local actor that sends (and signs) it. */
  actor: string;
  activity: Record<string, unknown>;
  /**
   * Only followers on this family of software read it (and those whose software is unknown get it
   * too); absent, every follower is sent it. See software.ts.
   */
  family?: SoftwareFamily;
}

function announce(
  ids: FederationIds,
  boardUri: string,
  id: string,
  object: unknown,
  published: string,
  family?: SoftwareFamily,
): OutgoingActivity {
  return {
    actor: ids.board(boardUri),
    ...(family ? { family } : {}),
    activity: announceActivity(ids, boardUri, id, object, published),
  };
}

/**
 * What the board sends for a new local post: `Announce(Create(Note))`, which Lemmy, Mbin and other
 * group-aware software read, and, for a thread's OP, a plain boost `Announce(Note id)` as well,
 * because Mastodon ignores an announced `Create` but shows a boost and fetches the Note by its id.
 * Replies are not boosted: they would flood timelines with posts out of their thread. Each is
 * tagged with the software family that reads it, so a follower whose software is known is sent
 * only that one (and a microblog nothing for a reply).
 */
export function postActivities(
  board: Board,
  post: Post,
  s: UrlSource,
  ids: FederationIds,
  thread?: Pick<Post, "apId"> | null,
): OutgoingActivity[] {
  const apId = s.urls.apId(post);
  const published = new Date(post.createdAt).toISOString();
  const create = createActivity(board, post, s.urls, ids, thread);
  const out = [announce(ids, board.uri, `${apId}#announce`, create, published, "group")];
  if (post.no === post.threadNo) out.push(announce(ids, board.uri, `${apId}#boost`, apId, published, "microblog"));
  return out;
}

/**
 * A board's outbox entry for one of its posts, as a follower catching up reads it: what the board
 * sent group-aware followers for a post written here (`Announce(Create(Note))`, same id), and for
 * a post from elsewhere an `Announce` naming it by id (only its own server can vouch for it).
 */
export function outboxActivity(
  board: Board,
  post: Post,
  s: UrlSource,
  ids: FederationIds,
  thread: Pick<Post, "apId"> | null,
): Record<string, unknown> {
  const published = new Date(post.createdAt).toISOString();
  const { "@context": _ignored, ...activity } =
    post.apId !== null
      ? announceActivity(
          ids,
          board.uri,
          `${ids.board(board.uri)}/activities/announce/${digest(post.apId)}`,
          post.apId,
          published,
        )
      : announceActivity(
          ids,
          board.uri,
          `${s.urls.apId(post)}#announce`,
          createActivity(board, post, s.urls, ids, thread),
          published,
        );
  return activity;
}

/**
 * What the author of a local reply in a mirrored thread sends to the group the thread belongs to:
 * the plain `Create(Note)`, as a Mastodon or Lemmy user's reply goes to the community, which then
 * announces it to everyone following it (this board included).
 */
export function upstreamCreate(
  board: Board,
  post: Post,
  s: UrlSource,
  ids: FederationIds,
  thread: Pick<Post, "apId">,
): OutgoingActivity {
  const activity = createActivity(board, post, s.urls, ids, thread);
  return { actor: String(activity["actor"]), activity: withActivityContext(ids, activity) };
}

/**
 * What goes out when a local post is deleted: the board announces the author's `Delete` of a
 * `Tombstone` (for group-aware software), and the author sends the same `Delete` itself (Mastodon
 * only honours a Delete from the account the status belongs to).
 */
export function deletionActivities(post: Post, s: UrlSource, ids: FederationIds, now: number): OutgoingActivity[] {
  const del = deleteActivity(post, s.urls, ids, now);
  return [
    announce(ids, post.board, `${s.urls.apId(post)}#announce-delete`, del, String(del["published"])),
    { actor: String(del["actor"]), activity: withActivityContext(ids, del) },
  ];
}

/**
 * What goes out when a local post changes (its file was removed): the author's `Update` with the
 * post as it is now, sent by the author and announced by the board, like a deletion.
 */
export function updateActivities(
  board: Board,
  post: Post,
  s: UrlSource,
  ids: FederationIds,
  thread: Pick<Post, "apId"> | null,
  now: number,
): OutgoingActivity[] {
  const update = updateActivity(board, post, s.urls, ids, thread, now);
  return [
    announce(ids, board.uri, `${s.urls.apId(post)}#announce-update-${now}`, update, String(update["published"])),
    { actor: String(update["actor"]), activity: withActivityContext(ids, update) },
  ];
}

/**
 * What the board sends for a remote activity it accepted into one of its threads: the activity
 * itself, embedded as received, in an `Announce`; and for a `Create` of a new thread (an embedded
 * object with an id and no `inReplyTo`), a plain boost of that object as for local threads. As for
 * local posts, an announced `Create` is for group-aware software and the boost for microblogs;
 * anything else (an `Update`, a `Delete`) goes to every follower.
 */
export function remoteActivities(
  boardUri: string,
  activity: Record<string, unknown>,
  activityId: string,
  ids: FederationIds,
  now: number,
): OutgoingActivity[] {
  const base = `${ids.board(boardUri)}/activities`;
  const published = new Date(now).toISOString();
  const isCreate = hasType(activity, "Create");
  const out = [
    announce(
      ids,
      boardUri,
      `${base}/announce/${digest(activityId)}`,
      activity,
      published,
      isCreate ? "group" : undefined,
    ),
  ];
  const object = activity["object"];
  if (isCreate && object !== null && typeof object === "object" && !Array.isArray(object)) {
    const o = object as Record<string, unknown>;
    const inReplyTo = o["inReplyTo"];
    const isReply = inReplyTo !== undefined && inReplyTo !== null && !(Array.isArray(inReplyTo) && !inReplyTo.length);
    if (typeof o["id"] === "string" && !isReply) {
      out.push(announce(ids, boardUri, `${base}/boost/${digest(o["id"])}`, o["id"], published, "microblog"));
    }
  }
  return out;
}

function hasType(doc: Record<string, unknown>, type: string): boolean {
  const t = doc["type"];
  return t === type || (Array.isArray(t) && t.includes(type));
}

/** The id of the queue item that carries one activity to one inbox. */
export function deliveryId(activityId: string, inbox: string): string {
  return digest(`${activityId}\n${inbox}`);
}

/**
 * The domain an inbox is on, as per-domain limits, back-off and domain rules key on it: the
 * hostname in lower case (IDNs in their punycode form, as URL parsing gives them), without a port
 * or a trailing dot. Null when the inbox is not an http(s) URL.
 */
export function inboxDomain(inbox: string): string | null {
  let url: URL;
  try {
    url = new URL(inbox);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  return host === "" ? null : host;
}
