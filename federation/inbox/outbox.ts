import { createHash, randomUUID } from "node:crypto";
import type { DeliveryQueue, FollowRepository } from "../../server/domain/federation-ports.js";
import type { FederationIds } from "../ids.js";
import { AS_CONTEXT, PUBLIC } from "../mapping/context.js";
import { domainOf } from "../remote/fetch.js";

/** What the inbox sends in answer to what it receives. */
export interface InboxOutbox {
  /** Sends `activity` from the local actor `actorId` (signed with its key) to one inbox. */
  send(actorId: string, inbox: string, activity: Record<string, unknown>): Promise<void>;
  /** The board announces a remote activity it accepted to its followers. */
  announceRemote(board: string, activity: Record<string, unknown>): Promise<void>;
}

/** A fresh id for an activity of a local actor: `{actor}/activities/{kind}/{uuid}`. */
export function activityId(actorId: string, kind: string): string {
  return `${actorId}/activities/${kind}/${randomUUID()}`;
}

/** One delivery per activity and inbox, so a retried fan-out never queues the same pair twice. */
function deliveryId(activity: string, inbox: string): string {
  return createHash("sha256").update(`${activity}\n${inbox}`).digest("hex");
}

/**
 * Straight onto the durable delivery queue, which the delivery worker drains, signing each item
 * with the key of the actor named in its `keyId`.
 */
export class QueueOutbox implements InboxOutbox {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly follows: FollowRepository,
    private readonly ids: FederationIds,
    /** Called after items were queued (the delivery worker's wake-up). */
    private readonly onEnqueued: () => void = () => {},
  ) {}

  async send(actorId: string, inbox: string, activity: Record<string, unknown>): Promise<void> {
    await this.enqueue(actorId, [inbox], activity);
  }

  async announceRemote(board: string, activity: Record<string, unknown>): Promise<void> {
    const actor = this.ids.board(board);
    const inboxes = await this.follows.inboxesForBoard(board);
    if (inboxes.length === 0) return;
    const { "@context": _ignored, ...object } = activity;
    const announce = {
      "@context": AS_CONTEXT,
      id: activityId(actor, "announce"),
      type: "Announce",
      actor,
      object,
      to: [PUBLIC],
      cc: [this.ids.boardFollowers(board)],
      audience: actor,
    };
    await this.enqueue(actor, inboxes, announce);
  }

  private async enqueue(actorId: string, inboxes: string[], activity: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify(activity);
    const id = String(activity["id"]);
    await this.queue.enqueue(
      inboxes.map((inbox) => ({
        id: deliveryId(id, inbox),
        inbox,
        domain: domainOf(inbox),
        body,
        keyId: actorId,
        activityId: id,
      })),
    );
    this.onEnqueued();
  }
}

/**
 * Passes an accepted activity on to the board's followers. Delivery never decides whether the
 * activity was taken: a failure to queue is logged, and the post stays.
 */
export async function announceAccepted(
  outbox: InboxOutbox,
  logger: { warn(message: string, fields?: Record<string, unknown>): void },
  board: string,
  activity: Record<string, unknown>,
): Promise<void> {
  try {
    await outbox.announceRemote(board, activity);
  } catch (err) {
    logger.warn("could not announce an accepted activity", { board, id: activity["id"], err });
  }
}
