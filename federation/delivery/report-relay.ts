import type { RemoteActor } from "../../server/domain/federation-ports.js";
import type { Post } from "../../server/domain/post.js";
import type { Report } from "../../server/domain/staff.js";
import type { PostEvent } from "../../server/services/events.js";
import type { FederationContext } from "../context.js";
import { type FlagTarget, flagActivity, resolveFlag } from "../documents/flag.js";
import type { RemoteActors } from "../remote/actors.js";
import { domainOf } from "../remote/fetch.js";
import { TrackedWork } from "./tracked-work.js";

/** Queues one activity from a local actor to one inbox (the inbox's answers queue). */
export type SendActivity = (actorId: string, inbox: string, activity: Record<string, unknown>) => Promise<void>;

/**
 * Reports that cross the instance border. A reader's report of a mirrored post goes, as the
 * instance's `Flag`, to the server the post came from: to the group this board follows there when
 * there is one (Lemmy's shape), else to its author's server (Mastodon's). When staff deal with a
 * report that arrived as a Lemmy-style Flag, the sender gets Lemmy's `Resolve`. Like the publisher,
 * it queues on a later turn and never fails the action that emitted the event; a failure is logged.
 */
export class ReportRelay {
  readonly #work: TrackedWork;
  #detach: (() => void) | null = null;

  constructor(
    private readonly ctx: FederationContext,
    /** Remote actors, from the cache or fetched through the guarded client. */
    private readonly actors: Pick<RemoteActors, "get">,
    private readonly send: SendActivity,
  ) {
    this.#work = new TrackedWork(ctx.s.logger, "could not queue a report for another server");
  }

  attach(): void {
    if (this.#detach) return;
    this.#detach = this.ctx.s.events.on((event) => this.#onEvent(event));
  }

  async close(): Promise<void> {
    this.#detach?.();
    this.#detach = null;
    await this.idle();
  }

  /** Resolves once what was recorded so far is queued (or failed and logged). */
  async idle(): Promise<void> {
    await this.#work.idle();
  }

  #onEvent(event: PostEvent): void {
    if (event.type === "report_filed" && event.post.apId !== null)
      this.#work.track(this.forward(event.report, event.post));
    else if (event.type === "reports_resolved") this.#work.track(this.answer(event.reports));
  }

  /** Sends the report of a mirrored post to its origin; true when it was queued. */
  async forward(report: Report, post: Post): Promise<boolean> {
    const { s, ids } = this.ctx;
    if (post.apId === null) return false;
    const follows = (await s.store.federation.follows.followingOf(post.board)).filter((f) => f.state === "accepted");
    // The group is on the post's server, or on its thread's (a comment from a third server in a
    // followed community's thread is reported to the community, as Lemmy does).
    const op = post.no === post.threadNo ? post : await s.store.posts.getPost(post.board, post.threadNo);
    const domains = [domainOf(post.apId), ...(op?.apId ? [domainOf(op.apId)] : [])];
    const group = domains.map((d) => follows.find((f) => f.domain === d)).find((f) => f !== undefined);
    let target: FlagTarget;
    let inbox: string;
    if (group) {
      target = { kind: "group", group: group.objectId };
      inbox = group.sharedInbox ?? group.inbox;
    } else {
      const author = post.fediActor ? await this.#actor(post.fediActor) : null;
      if (!author) {
        s.logger.warn("a reported post's author cannot be reached; the report stays local", { post: post.apId });
        return false;
      }
      target = { kind: "author", author: author.id };
      inbox = author.sharedInbox ?? author.inbox;
    }
    await this.send(ids.instanceActor(), inbox, flagActivity(ids, report, post.apId, target, post.posterToken));
    s.logger.info("report sent to the post's origin", { post: post.apId, to: domainOf(inbox) });
    return true;
  }

  /** Answers each report that came as a Lemmy-style Flag with a `Resolve` to its sender. */
  async answer(reports: Report[]): Promise<number> {
    const { s, ids } = this.ctx;
    let sent = 0;
    for (const report of reports) {
      const flag = report.flag;
      if (!flag) continue;
      const sender = await this.#actor(flag.actor);
      if (!sender) {
        s.logger.warn("the sender of a resolved report cannot be reached; no Resolve sent", { flag: flag.id });
        continue;
      }
      await this.send(ids.instanceActor(), sender.sharedInbox ?? sender.inbox, resolveFlag(ids, flag));
      sent++;
    }
    return sent;
  }

  /** The actor, or null when it cannot be had now (gone, unreachable: logged, and the report stays local). */
  async #actor(id: string): Promise<RemoteActor | null> {
    try {
      return await this.actors.get(id);
    } catch (err) {
      this.ctx.s.logger.warn("could not fetch an actor for a report", { actor: id, err });
      return null;
    }
  }
}
