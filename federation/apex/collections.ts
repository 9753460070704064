import { isBoardUri } from "../../server/domain/board.js";
import type { Post } from "../../server/domain/post.js";
import type { Services } from "../../server/services/container.js";
import { outboxActivity } from "../delivery/activities.js";
import { postObject } from "../documents/note.js";
import type { FederationIds } from "../ids.js";
import type { StaffActors } from "../staff-actors.js";
import type { CollectionResolver, CollectionSource } from "./store.js";

const THREAD_NO = /^[1-9][0-9]{0,14}$/;
/** Stickies are listed first by bump order; more than this many on one board is not a front page. */
const MAX_STICKIES = 50;

/**
 * The local collections, read from Atoll's stores: a board's outbox (its live threads as
 * `Create(Note)`, newest first), followers (accepted), following, moderators, and a thread's
 * replies (oldest first, as the thread reads). Returns null for any other id.
 */
export function localCollections(
  s: Pick<Services, "reader" | "store" | "urls">,
  ids: FederationIds,
  staff: Pick<StaffActors, "moderatorsOf">,
): CollectionResolver {
  const prefix = `${ids.publicUrl}/ap/boards/`;
  return async (collectionId) => {
    if (!collectionId.startsWith(prefix)) return null;
    const parts = collectionId.slice(prefix.length).split("/");
    const [uri, name, no, tail] = parts;
    if (!isBoardUri(uri)) return null;
    const board = await s.reader.getBoard(uri);
    if (!board) return null;
    if (parts.length === 2) {
      switch (name) {
        case "outbox":
          // Every post, newest first, as the board announced it: a follower that missed some reads
          // back until it finds what it has.
          return {
            count: () => s.store.posts.countBoardPosts(uri),
            slice: async (offset, limit) => {
              const posts = await s.store.posts.recentPosts(uri, offset, limit);
              const threads = new Map<number, Promise<Pick<Post, "apId"> | null>>();
              const threadOf = (p: Post) => {
                if (p.no === p.threadNo) return Promise.resolve(null);
                let t = threads.get(p.threadNo);
                if (!t) {
                  t = s.store.posts.getOrigin(uri, p.threadNo);
                  threads.set(p.threadNo, t);
                }
                return t;
              };
              return Promise.all(posts.map(async (p) => outboxActivity(board, p, s, ids, await threadOf(p))));
            },
          };
        case "followers":
          return fromList(async () => (await s.store.federation.follows.followersOf(uri)).map((f) => f.actorId));
        case "following":
          return fromList(async () => (await s.store.federation.follows.followingOf(uri)).map((f) => f.objectId));
        case "moderators":
          return fromList(async () => (await staff.moderatorsOf(uri)).map((a) => a.id));
        case "featured":
          // The sticky threads, as Lemmy lists its pinned posts: our own as full objects (Lemmy
          // reads them so), mirrored ones by id.
          return fromList(async () => {
            const ctx = { urls: s.urls, ids, anonymousActor: ids.anonymousActor() };
            const stickies = (
              await s.store.posts.listThreads(uri, { archived: false, order: "bump", offset: 0, limit: MAX_STICKIES })
            ).filter((t) => t.state.sticky);
            return stickies.map((t) => t.op.apId ?? postObject(board, t.op, ctx));
          });
        default:
          return null;
      }
    }
    if (parts.length === 4 && name === "threads" && tail === "replies" && no !== undefined && THREAD_NO.test(no)) {
      const thread = await s.store.posts.getThread(uri, Number(no));
      if (!thread) return null;
      return {
        count: async () => thread.replyCount,
        slice: async (offset, limit) =>
          (await s.store.posts.getThreadPosts(uri, Number(no)))
            .slice(1)
            .slice(offset, offset + limit)
            .map((p) => s.urls.apId(p)),
      };
    }
    return null;
  };
}

/** A collection whose items are one list read once per request. */
function fromList(read: () => Promise<unknown[]>): CollectionSource {
  let list: Promise<unknown[]> | null = null;
  const items = () => {
    list ??= read();
    return list;
  };
  return {
    count: async () => (await items()).length,
    slice: async (offset, limit) => (await items()).slice(offset, offset + limit),
  };
}
