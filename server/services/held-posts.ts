import { randomUUID } from "node:crypto";
import { DomainError } from "../domain/errors.js";
import type { FilterFields, FilterOrigin } from "../domain/filter-matching.js";
import type { MediaStore, Store } from "../domain/ports.js";
import type { NewPost, Post } from "../domain/post.js";
import { can } from "../domain/staff.js";
import type { HeldPost } from "../domain/word-filters.js";
import type { Clock } from "./clock.js";
import type { PostEvents } from "./events.js";
import type { Logger } from "./logger.js";
import { insertPublished } from "./named-media.js";
import type { Actor } from "./staff.js";
import type { WordFilterService } from "./word-filters.js";

/**
 * What a federated post a word filter would hold becomes: held (the caller keeps the activity for
 * a moderator), posted (a moderator approved it) or refused (the caller cannot hold it).
 */
export type FilterHold = "hold" | "post" | "refuse";

/** What a poster is told when a filter refuses their post: never which filter. */
export const FILTERED = "This post contains text that is not allowed here.";
export const HELD = "Your post is waiting for a moderator; it appears once approved.";

/**
 * A post a word filter held: not an error of the request, but what the poster must be told instead
 * of a link to the post. The HTTP edge answers 202 (API) or a notice page (web).
 */
export class PostHeld extends Error {
  override readonly name = "PostHeld";
  constructor(
    readonly held: Pick<HeldPost, "id" | "board" | "threadNo">,
    /** Which filter held it, for staff only. */
    readonly reason = "",
  ) {
    super(HELD);
  }
}

/** What the word filters make of a post before it is written: refused, held, or its text as it goes in. */
export async function screenPost(
  filters: WordFilterService | undefined,
  board: string,
  origin: FilterOrigin,
  fields: FilterFields,
  filterVersion?: number,
): Promise<{ fields: FilterFields; hold: string | null }> {
  if (!filters) return { fields, hold: null };
  const v = await filters.check(board, origin, fields, filterVersion);
  if (v.action === "reject") throw new DomainError("forbidden", FILTERED);
  return {
    fields: v.fields,
    hold: v.action === "hold" && v.rule ? `Word filter "${v.rule.pattern}" (${v.rule.id})` : null,
  };
}

/** Keeps `post` for a moderator instead of writing it, and tells the caller so by throwing PostHeld. */
export async function holdPost(
  deps: { store: Store; clock: Clock },
  where: { board: string; threadNo: number | null; reason: string },
  post: NewPost,
): Promise<never> {
  const held: HeldPost = { id: `local:${randomUUID()}`, ...where, post, heldAt: deps.clock() };
  await deps.store.heldPosts.add(held);
  throw new PostHeld(held);
}

export interface HeldPostDeps {
  store: Store;
  clock: Clock;
  events: PostEvents;
  /** Removes blobs nothing refers to any more (the posting service's). */
  removeBlobs: (addresses: readonly string[]) => Promise<void>;
  /** Local posts are announced to followers (federation is on). */
  announce: boolean;
  /** Where files are published by name (see MediaStore.publish), approving publishes the post's first. */
  media?: Pick<MediaStore, "publish" | "unpublish">;
  logger?: Pick<Logger, "warn">;
}

/**
 * Local posts a word filter held for a moderator: kept whole (their file stored) apart from the
 * board, so they are neither shown nor announced; approving writes the post as it would have been
 * written, rejecting drops it and its file.
 */
export class HeldPostService {
  constructor(private readonly deps: HeldPostDeps) {}

  /** Held posts `user` may moderate, oldest first. */
  async list(user: Actor, board?: string): Promise<HeldPost[]> {
    const all = await this.deps.store.heldPosts.list(board);
    return all.filter((h) => can(user, "moderate", h.board));
  }

  async get(user: Actor, id: string): Promise<HeldPost> {
    const held = await this.deps.store.heldPosts.get(id);
    if (!held || !can(user, "moderate", held.board)) throw new DomainError("not_found", "No such held post.");
    return held;
  }

  /** Writes the held post now; it stays held when it cannot be (its thread is gone, locked…). */
  async approve(user: Actor, id: string): Promise<{ held: HeldPost; post: Post }> {
    const held = await this.get(user, id);
    const board = await this.deps.store.boards.get(held.board);
    if (!board) throw new DomainError("not_found", `Board /${held.board}/ does not exist.`);
    const post: NewPost = { ...held.post, createdAt: this.deps.clock() };
    // Taken out first, so two moderators approving at once write it once; put back if it cannot be written.
    if (!(await this.deps.store.heldPosts.remove(held.id))) throw new DomainError("not_found", "No such held post.");
    const insert = async (p: NewPost, exactTim: boolean): Promise<Post> =>
      held.threadNo === null
        ? (
            await this.deps.store.posts.createThread(board.uri, p, {
              maxThreads: board.settings.maxThreads,
              announce: this.deps.announce,
              exactTim,
            })
          ).post
        : await this.deps.store.posts.createReply(board.uri, held.threadNo, p, {
            bumpLimit: board.settings.bumpLimit,
            imageLimit: board.settings.imageLimit,
            announce: this.deps.announce,
            exactTim,
          });
    let created: Post;
    try {
      created = await insertPublished(this.deps.media ?? {}, this.deps.store.posts, board.uri, post, insert, (m, f) =>
        this.deps.logger?.warn(m, f),
      );
    } catch (err) {
      await this.deps.store.heldPosts.add(held);
      throw err;
    }
    this.deps.events.emit({ type: "post_created", post: created });
    return { held, post: created };
  }

  /** Drops the held post and its file (unless something else refers to it). */
  async reject(user: Actor, id: string): Promise<HeldPost> {
    const held = await this.get(user, id);
    if (!(await this.deps.store.heldPosts.remove(held.id))) throw new DomainError("not_found", "No such held post.");
    const file = held.post.file;
    if (file) {
      const referenced = await this.deps.store.posts.referencedMedia();
      for (const sha of await this.deps.store.heldPosts.referencedMedia()) referenced.add(sha);
      await this.deps.removeBlobs([file.sha256, file.thumbSha256].filter((a) => !referenced.has(a)));
    }
    return held;
  }
}
