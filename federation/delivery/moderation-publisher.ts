import type { Post } from "../../server/domain/post.js";
import type { PostEvent, StaffAct } from "../../server/services/events.js";
import type { FederationContext } from "../context.js";
import { announceActivity } from "../documents/announce.js";
import { withActivityContext } from "../documents/context.js";
import { activityId, digest } from "../documents/ids.js";
import {
  featuredActivity,
  lockActivity,
  type ModeratorAct,
  removalActivity,
  unboostActivity,
  unlockActivity,
} from "../documents/moderation.js";
import type { StaffActors } from "../staff-actors.js";
import type { OutgoingActivity } from "./activities.js";
import type { DeliveryPublisher } from "./publisher.js";
import { TrackedWork } from "./tracked-work.js";

/** What the board sends for one staff act, and what goes to the origin of a removed remote post. */
export interface ModerationDelivery {
  board: string;
  toFollowers: OutgoingActivity[];
  toOrigin: OutgoingActivity[];
  originInboxes: string[];
}

/**
 * Turns staff acts (events carrying `by`) into deliveries, in Lemmy's shapes: a removal is the
 * moderator's `Delete` with the reason in `summary`, a lock `Lock` or `Undo(Lock)`, a sticky
 * `Add`/`Remove` to `featured`, each announced by the board to its followers. A removed thread's
 * boost is withdrawn for microblogs, and a removed remote post's origin (the followed group it
 * came through, its author's server) is sent the moderator's `Delete` too. Like the post
 * publisher, it runs after the fact and logs its failures.
 */
export class ModerationPublisher {
  readonly #work: TrackedWork;
  #detach: (() => void) | null = null;

  constructor(
    private readonly ctx: FederationContext,
    private readonly publisher: DeliveryPublisher,
    private readonly staff: StaffActors,
  ) {
    this.#work = new TrackedWork(ctx.s.logger, "could not queue a moderation activity");
  }

  attach(): void {
    if (this.#detach) return;
    this.#detach = this.ctx.s.events.on((event) => {
      if (event.type !== "post_deleted" && event.type !== "file_deleted" && event.type !== "thread_changed") return;
      if (!event.by) return;
      this.#work.track(
        this.build(event).then(async (d) => {
          if (d) await this.publisher.publishModeration(d.board, d.toFollowers, d.toOrigin, d.originInboxes);
        }),
      );
    });
  }

  async close(): Promise<void> {
    this.#detach?.();
    this.#detach = null;
    await this.idle();
  }

  async idle(): Promise<void> {
    await this.#work.idle();
  }

  /** The deliveries of one event, or null when it federates nothing. */
  async build(event: PostEvent): Promise<ModerationDelivery | null> {
    const { s, ids } = this.ctx;
    const now = s.clock();
    const published = new Date(now).toISOString();
    if (event.type === "post_deleted" && event.by && event.post.no === event.by.postNo) {
      const post = event.post;
      const board = post.board;
      const act = this.act(board, event.by);
      const objectId = post.apId ?? s.urls.apId(post);
      const boardId = ids.board(board);
      const removal = removalActivity(
        ids,
        board,
        `${boardId}/activities/remove/${digest(objectId)}`,
        act,
        objectId,
        published,
      );
      const toFollowers: OutgoingActivity[] = [
        {
          actor: boardId,
          family: "group",
          activity: announceActivity(
            ids,
            board,
            `${boardId}/activities/announce/remove/${digest(objectId)}`,
            removal,
            published,
          ),
        },
      ];
      if (post.apId === null && post.no === post.threadNo) {
        const boostId = `${objectId}#boost`;
        toFollowers.push({
          actor: boardId,
          family: "microblog",
          activity: withActivityContext(
            ids,
            unboostActivity(ids, board, `${boostId}/undo`, boostId, objectId, published),
          ),
        });
      }
      if (post.apId === null) return { board, toFollowers, toOrigin: [], originInboxes: [] };
      return {
        board,
        toFollowers,
        toOrigin: [{ actor: act.actor, activity: withActivityContext(ids, removal) }],
        originInboxes: await this.originInboxes(post),
      };
    }
    if (event.type === "thread_changed" && event.by && event.changed) {
      const { thread, changed } = event;
      const op = await s.store.posts.getPost(thread.board, thread.no);
      if (!op) return null;
      const board = thread.board;
      const act = this.act(board, event.by);
      const threadId = op.apId ?? s.urls.apId(op);
      const out: Record<string, unknown>[] = [];
      if (changed.locked === true)
        out.push(lockActivity(ids, board, activityId(act.actor, "lock"), act, threadId, published));
      if (changed.locked === false) {
        out.push(unlockActivity(ids, board, activityId(act.actor, "undo"), act, threadId, published));
      }
      if (changed.sticky !== undefined) {
        const type = changed.sticky ? "Add" : "Remove";
        out.push(
          featuredActivity(ids, board, activityId(act.actor, type.toLowerCase()), type, act, threadId, published),
        );
      }
      if (out.length === 0) return null;
      const boardId = ids.board(board);
      const toFollowers = out.map((a) => ({
        actor: boardId,
        family: "group" as const,
        activity: announceActivity(
          ids,
          board,
          `${boardId}/activities/announce/${digest(String(a["id"]))}`,
          a,
          published,
        ),
      }));
      return { board, toFollowers, toOrigin: [], originInboxes: [] };
    }
    return null;
  }

  private act(board: string, by: StaffAct): ModeratorAct {
    return { actor: this.staff.of(board, by.username, by.role).id, reason: by.reason };
  }

  /** Where a remote post came from: the groups the board follows on its origin, and its author's server. */
  private async originInboxes(post: Post): Promise<string[]> {
    const { s } = this.ctx;
    const thread = post.no === post.threadNo ? post : await s.store.posts.getOrigin(post.board, post.threadNo);
    const out = thread?.apId ? await this.publisher.groupInboxes(post.board, thread.apId) : [];
    if (post.fediActor) {
      const author = await s.store.federation.actors.get(post.fediActor);
      if (author) out.push(author.sharedInbox ?? author.inbox);
    }
    return out;
  }
}
