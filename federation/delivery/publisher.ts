import { domainOfUrl } from "../../server/domain/defederation/rules.js";
import { DomainError } from "../../server/domain/errors.js";
import type { Post } from "../../server/domain/post.js";
import type { PostEvent } from "../../server/services/events.js";
import type { FederationContext } from "../context.js";
import { sameOrigin } from "../remote/fetch.js";
import { isHttpUrl } from "../vocab/url.js";
import {
  deletionActivities,
  inboxDomain,
  type OutgoingActivity,
  postActivities,
  remoteActivities,
  updateActivities,
  upstreamCreate,
} from "./activities.js";
import { planDeliveries } from "./fanout.js";
import { type PeerInbox, PeerSoftware } from "./peer-software.js";

export interface DeliveryPublisherOptions {
  /** Called after items were queued (the worker's `kick`), so delivery starts without waiting for a poll. */
  onEnqueued?: () => void;
  /** How long `close()` waits for queued work to reach the store. Default 5 s. */
  closeTimeoutMs?: number;
  /** What the followers' instances run; by default NodeInfo through the context's guarded client. */
  peers?: PeerSoftware;
}

const MAX_ID_LENGTH = 2048;

/**
 * Turns what happens on the boards into deliveries in the durable queue. It never sends anything
 * itself and never runs in the path of an HTTP response: an event only records the post, and the
 * activities are built and queued on a later turn of the event loop (all the events of one turn
 * together, so deleting a thread with its replies costs one look-up of the followers per board and
 * one transaction). A failure is logged, never thrown into the code that emitted the event.
 *
 * Queue items carry, in their `keyId` field, the id of the local ACTOR that signs them (a board, or
 * the anonymous author for its own `Delete`), not a key: the worker loads that actor's key when it
 * sends, so no private key is ever copied into the queue.
 *
 * Each follower inbox is sent only the activities its software reads (see software.ts): a new
 * thread is one request per inbox whose software is known, two for the others. The software of an
 * instance never seen before is looked up before the fan-out is queued, except for `announceRemote`,
 * which runs in the inbox's response and leaves the lookup to the background.
 */
export class DeliveryPublisher {
  readonly #ctx: FederationContext;
  readonly #opts: DeliveryPublisherOptions;
  /** The followers' software, shared by every fan-out of this publisher. */
  readonly peers: PeerSoftware;
  #pendingEvents: PostEvent[] = [];
  #flushScheduled = false;
  readonly #work = new Set<Promise<void>>();
  #detach: (() => void) | null = null;
  #recovery: NodeJS.Timeout | null = null;

  constructor(ctx: FederationContext, opts: DeliveryPublisherOptions = {}) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.peers =
      opts.peers ??
      new PeerSoftware(ctx.s.store.federation.instances, PeerSoftware.nodeInfo(ctx.http), ctx.s.logger, {
        clock: ctx.s.clock,
      });
  }

  /** Starts listening to the instance's post events. Calling it twice has no further effect. */
  attach(): void {
    if (this.#detach) return;
    this.#detach = this.#ctx.s.events.on((event) => this.#onEvent(event));
  }

  /**
   * Queues, now and then every `everyMs`, the announcements left pending: at once all of them (what
   * a process that died left behind), then those older than `everyMs` (what a live process has had
   * ample time to queue). For the processes that send deliveries.
   */
  startRecovery(everyMs = 30_000): void {
    if (this.#recovery) return;
    const { s } = this.#ctx;
    const pass = (before: number) => {
      this.#track(this.recoverPending(before));
      this.#recovery = setTimeout(() => pass(s.clock() - everyMs), everyMs);
      this.#recovery.unref();
    };
    pass(s.clock() + 1);
  }

  /** Stops listening and waits (bounded) until what was already recorded is queued. */
  async close(): Promise<void> {
    if (this.#recovery) clearTimeout(this.#recovery);
    this.#recovery = null;
    this.#detach?.();
    this.#detach = null;
    const limit = this.#opts.closeTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limit);
      timer.unref();
    });
    await Promise.race([Promise.all([this.idle(), this.peers.idle()]), timeout]);
    clearTimeout(timer);
  }

  /** Resolves once every event recorded so far has been turned into queue items (or failed and logged). */
  async idle(): Promise<void> {
    while (this.#work.size > 0 || this.#flushScheduled) {
      if (this.#work.size > 0) await Promise.allSettled([...this.#work]);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  #onEvent(event: PostEvent): void {
    try {
      if (event.type !== "post_created" && event.type !== "post_deleted" && event.type !== "file_deleted") return;
      if (!isLocal(event.post)) return;
      // Staff removals go out as the moderator's, not the author's (moderation-publisher.ts).
      if (event.type === "post_deleted" && event.by) return;
      this.#pendingEvents.push(event);
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        const events = this.#pendingEvents;
        this.#pendingEvents = [];
        this.#track(this.#flush(events));
      });
    } catch (err) {
      this.#ctx.s.logger.error("could not record a post event for delivery", { err });
    }
  }

  #track(work: Promise<unknown>): void {
    const p: Promise<void> = work
      .then(
        () => {},
        (err: unknown) => this.#ctx.s.logger.error("could not queue deliveries", { err }),
      )
      .finally(() => this.#work.delete(p));
    this.#work.add(p);
  }

  async #flush(events: PostEvent[]): Promise<void> {
    const byBoard = new Map<string, PostEvent[]>();
    for (const e of events) {
      if (e.type !== "post_created" && e.type !== "post_deleted" && e.type !== "file_deleted") continue;
      const list = byBoard.get(e.post.board);
      if (list) list.push(e);
      else byBoard.set(e.post.board, [e]);
    }
    for (const [board, list] of byBoard) {
      try {
        await this.#publishBoard(board, list);
        await this.#announced(list.flatMap((e) => (e.type === "post_created" ? [e.post] : [])));
      } catch (err) {
        // The posts stay pending: recoverPending() queues them later.
        this.#ctx.s.logger.error("could not queue deliveries", { board, err });
      }
    }
  }

  /** The posts' announcements are queued: they are no longer pending. */
  async #announced(posts: Post[]): Promise<void> {
    if (posts.length === 0) return;
    await this.#ctx.s.store.announcements.done(posts.map((p) => ({ board: p.board, no: p.no })));
  }

  /**
   * Queues the announcements of local posts recorded as pending before `before` (whose process
   * died, or failed to queue them): a post is never left unannounced by a crash. Queueing twice is
   * harmless, since queue items are keyed by activity and inbox. Returns how many posts it queued.
   */
  async recoverPending(before: number): Promise<number> {
    const { s } = this.#ctx;
    let recovered = 0;
    for (;;) {
      const pending = await s.store.announcements.list(before, 100);
      if (pending.length === 0) {
        if (recovered > 0) s.logger.info("queued the announcements of posts left pending", { posts: recovered });
        return recovered;
      }
      for (const key of pending) {
        const post = await s.store.posts.getPost(key.board, key.no);
        // Deleted since (its deletion went out, if anything did), or not ours: nothing to announce.
        if (post && isLocal(post)) {
          await this.#publishBoard(post.board, [{ type: "post_created", post }]);
          recovered++;
        }
        await s.store.announcements.done([key]);
      }
    }
  }

  async #publishBoard(boardUri: string, events: PostEvent[]): Promise<number> {
    const { s, ids } = this.#ctx;
    const inboxes = await this.followerInboxes(boardUri);
    // No follower and no group followed: nothing of these events can go anywhere, so the board
    // and the threads (reads of their own) are not looked at.
    if (inboxes.length === 0 && !(await this.#followsGroups(boardUri))) return 0;
    const now = s.clock();
    const activities: OutgoingActivity[] = [];
    let queued = 0;
    // The board may have been deleted since; then there is nothing to announce.
    const board = await s.store.boards.get(boardUri);
    for (const e of events) {
      if (e.type === "file_deleted") {
        if (!board) continue;
        const thread = e.post.no === e.post.threadNo ? null : await s.store.posts.getPost(boardUri, e.post.threadNo);
        // The event's post is as it is now: the Update carries the files it still has, or none.
        activities.push(...updateActivities(board, e.post, s, ids, thread, now));
        continue;
      }
      if (e.type !== "post_created" && e.type !== "post_deleted") continue;
      const thread = e.post.no === e.post.threadNo ? null : await s.store.posts.getPost(boardUri, e.post.threadNo);
      if (e.type === "post_created" && board) activities.push(...postActivities(board, e.post, s, ids, thread));
      if (e.type === "post_deleted") activities.push(...deletionActivities(e.post, s, ids, now));
      // A reply in a thread mirrored from a group this board follows also goes to that group.
      if (thread?.apId && thread.fediActor) {
        const groups = await this.groupInboxes(boardUri, thread.apId);
        if (groups.length === 0) continue;
        const up =
          e.type === "post_created"
            ? board
              ? [upstreamCreate(board, e.post, s, ids, thread)]
              : []
            : deletionActivities(e.post, s, ids, now).slice(1);
        queued += await this.#enqueue(up, groups, now, true);
      }
    }
    if (inboxes.length === 0) return queued;
    return queued + (await this.#enqueue(activities, inboxes, now, true));
  }

  /** Whether the board follows some group (accepted), so that replies may go upstream. */
  async #followsGroups(boardUri: string): Promise<boolean> {
    const follows = await this.#ctx.s.store.federation.follows.followingOf(boardUri);
    return follows.some((f) => f.state === "accepted");
  }

  /** The inboxes of the groups this board follows (accepted) on the origin of a mirrored thread. */
  async groupInboxes(boardUri: string, threadApId: string): Promise<string[]> {
    const follows = await this.#ctx.s.store.federation.follows.followingOf(boardUri);
    return follows
      .filter((f) => f.state === "accepted" && sameOrigin(f.objectId, threadApId))
      .filter((f) => this.#federates(boardUri, f.objectId, f.inbox, f.sharedInbox))
      .map((f) => f.inbox);
  }

  /**
   * Where the board's activities go: for each accepted follower its shared inbox when it has one,
   * else its inbox, each address once, sorted; leaving out every follower whose actor, inbox or
   * shared inbox is on a domain suspended for the instance or by the board's own rules. A follower
   * on an allowed domain whose shared inbox is on a suspended one receives nothing.
   */
  async followerInboxes(boardUri: string): Promise<string[]> {
    const follows = await this.#ctx.s.store.federation.follows.followersOf(boardUri);
    const out = new Set<string>();
    let left = 0;
    for (const f of follows) {
      if (this.#federates(boardUri, f.actorId, f.inbox, f.sharedInbox)) out.add(f.sharedInbox ?? f.inbox);
      else left++;
    }
    if (left > 0) this.#ctx.s.logger.debug("followers on suspended domains left out", { board: boardUri, left });
    return [...out].sort();
  }

  /** Whether nothing of the remote side is on a domain suspended for the instance or the board. */
  #federates(board: string, actorId: string, inbox: string, sharedInbox: string | null): boolean {
    const { policy } = this.#ctx.s;
    return (
      policy.allowsUrl(actorId, board) &&
      policy.allowsUrl(inbox, board) &&
      (sharedInbox === null || policy.allowsUrl(sharedInbox, board))
    );
  }

  /**
   * Why the board may not pass on a remote activity (its actor, its object or the object's
   * author, or what the object replies to, is on a domain suspended for the instance or the
   * board), or null.
   */
  #announceRefusal(board: string, activity: Record<string, unknown>): string | null {
    const { policy } = this.#ctx.s;
    const urls: string[] = [];
    const idOf = (v: unknown): string | null =>
      typeof v === "string"
        ? v
        : v !== null && typeof v === "object" && !Array.isArray(v)
          ? idOf((v as { id?: unknown }).id)
          : null;
    const add = (v: unknown) => {
      const list = Array.isArray(v) ? v.slice(0, 16) : [v];
      for (const e of list) {
        const id = idOf(e);
        if (id !== null) urls.push(id);
      }
    };
    add(activity["id"]);
    add(activity["actor"]);
    const object = Array.isArray(activity["object"]) ? activity["object"].slice(0, 16) : [activity["object"]];
    for (const o of object) {
      add(o);
      if (o !== null && typeof o === "object" && !Array.isArray(o)) {
        const rec = o as Record<string, unknown>;
        add(rec["attributedTo"]);
        add(rec["actor"]);
        add(rec["inReplyTo"]);
        add(rec["object"]);
        for (const key of ["quote", "quoteUrl", "quoteUri", "_misskey_quote"]) add(rec[key]);
      }
    }
    for (const url of urls) {
      const host = domainOfUrl(url);
      // Not an http(s) URL: no domain's content (the inbox refused anything unusable already).
      if (host === null) continue;
      const d = policy.check(host, board);
      if (d.suspended) return `${url.slice(0, 200)}: ${d.reason}`;
    }
    return null;
  }

  /**
   * Queues `activities` for the board's followers and `origins` for `originInboxes` (where a
   * removed remote post came from), leaving out inboxes the instance's or the board's rules
   * suspend. Returns the number of queue items.
   */
  async publishModeration(
    boardUri: string,
    activities: OutgoingActivity[],
    origins: OutgoingActivity[],
    originInboxes: string[],
  ): Promise<number> {
    const now = this.#ctx.s.clock();
    const queued = await this.#enqueue(activities, await this.followerInboxes(boardUri), now, true);
    const allowed = [...new Set(originInboxes)].filter((i) => this.#ctx.s.policy.allowsUrl(i, boardUri));
    return queued + (await this.#enqueue(origins, allowed, now, true));
  }

  /** Queues the activities of a new local post for the board's followers; returns the number of items. */
  async publishPost(post: Post): Promise<number> {
    if (!isLocal(post)) return 0;
    return this.#publishBoard(post.board, [{ type: "post_created", post }]);
  }

  /** Queues the deletion of a local post for the board's followers; returns the number of items. */
  async publishDeletion(post: Post): Promise<number> {
    if (!isLocal(post)) return 0;
    return this.#publishBoard(post.board, [{ type: "post_deleted", post }]);
  }

  /**
   * For the inbox: the board shares a remote activity it accepted (a `Create` of a post in one of
   * its threads, a `Delete`, …) with its followers as `Announce(activity)`, plus a boost of the
   * object when the activity creates a new thread. `activity` is the activity as received (JSON,
   * embedded unchanged). Returns the number of queue items. Throws DomainError("invalid") when the
   * activity has no usable id and DomainError("not_found") for an unknown board; store errors
   * propagate.
   */
  async announceRemote(board: string, activity: Record<string, unknown>): Promise<number> {
    const { s, ids } = this.#ctx;
    if (activity === null || typeof activity !== "object" || Array.isArray(activity)) {
      throw new DomainError("invalid", "The activity must be a JSON object.");
    }
    const id = activity["id"];
    if (typeof id !== "string" || !isHttpUrl(id, MAX_ID_LENGTH)) {
      throw new DomainError("invalid", "The activity has no usable id.");
    }
    // The reader's snapshot of the boards answers without a query; the store settles a miss (a
    // board created by another process within the snapshot's lifetime).
    if (!((await s.reader.getBoard(board)) ?? (await s.store.boards.get(board)))) {
      throw new DomainError("not_found", `Board /${board}/ does not exist.`);
    }
    const inboxes = await this.followerInboxes(board);
    if (inboxes.length === 0) return 0;
    const refused = this.#announceRefusal(board, activity);
    if (refused !== null) {
      s.logger.info("not announcing a suspended domain's content", { board, id, refused });
      return 0;
    }
    // Followers on the author's own server get it too: the boost is what shows it to them.
    const now = s.clock();
    // This runs in the inbox's response: an instance never seen before is not waited for.
    return this.#enqueue(remoteActivities(board, activity, id, ids, now), inboxes, now, false);
  }

  /**
   * Queues `activities` for `inboxes`, each inbox getting those its software reads. `wait`: look up
   * the software of instances never seen before first (see PeerSoftware.kindsOf).
   */
  async #enqueue(activities: OutgoingActivity[], inboxes: string[], now: number, wait: boolean): Promise<number> {
    const { s } = this.#ctx;
    const targets: PeerInbox[] = [];
    for (const inbox of inboxes) {
      const domain = inboxDomain(inbox);
      if (domain === null) {
        s.logger.warn("skipping a follower inbox that is not an http(s) URL", { inbox: inbox.slice(0, 200) });
        continue;
      }
      targets.push({ inbox, domain });
    }
    if (targets.length === 0 || activities.length === 0) return 0;
    // Only activities meant for one family of software make the followers' software matter.
    const kinds = activities.some((a) => a.family !== undefined)
      ? await this.peers.kindsOf(targets, { wait })
      : new Map<string, never>();
    const items = planDeliveries(
      activities,
      targets.map((t) => ({ ...t, kind: kinds.get(t.domain) ?? "unknown" })),
    );
    if (items.length === 0) return 0;
    await s.store.federation.deliveries.enqueue(items, now);
    s.logger.debug("queued deliveries", { items: items.length, activities: activities.length });
    try {
      this.#opts.onEnqueued?.();
    } catch (err) {
      s.logger.error("the delivery wake-up failed", { err });
    }
    return items.length;
  }
}

/** A post written on this instance (not mirrored from the fediverse). */
function isLocal(post: Post): boolean {
  return post.fediActor === null && post.apId === null;
}
