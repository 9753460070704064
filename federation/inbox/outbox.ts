import type { DeliveryQueue } from "../../server/domain/federation-ports.js";
import { deliveryId } from "../delivery/activities.js";
import { domainOf } from "../remote/fetch.js";

/** What the inbox sends in answer to what it receives. */
export interface InboxOutbox {
  /** Sends `activity` from the local actor `actorId` (signed with its key) to one inbox. */
  send(actorId: string, inbox: string, activity: Record<string, unknown>): Promise<void>;
  /** The board announces a remote activity it accepted to its followers. */
  announceRemote(board: string, activity: Record<string, unknown>): Promise<void>;
}

/**
 * Answers straight onto the durable delivery queue, which the delivery worker drains, signing each
 * item with the key of the actor named in its `keyId`. Announcing to followers is the publisher's
 * (federation/delivery/publisher.ts), which shapes each fan-out to the followers' software.
 */
export class QueueOutbox implements Pick<InboxOutbox, "send"> {
  constructor(
    private readonly queue: DeliveryQueue,
    /** Called after items were queued (the delivery worker's wake-up). */
    private readonly onEnqueued: () => void = () => {},
  ) {}

  async send(actorId: string, inbox: string, activity: Record<string, unknown>): Promise<void> {
    const id = String(activity["id"]);
    await this.queue.enqueue([
      {
        id: deliveryId(id, inbox),
        inbox,
        domain: domainOf(inbox),
        body: JSON.stringify(activity),
        keyId: actorId,
        activityId: id,
      },
    ]);
    this.onEnqueued();
  }
}

/**
 * Passes an accepted activity on to the board's followers. Delivery never decides whether the
 * activity was taken: a failure to queue is logged, and the post stays.
 */
/** An outbox that sends answers and announces nothing: an inbox with no publisher behind it (tests). */
export function answersOnly(queue: DeliveryQueue): InboxOutbox {
  const answers = new QueueOutbox(queue);
  return { send: (actor, inbox, activity) => answers.send(actor, inbox, activity), announceRemote: async () => {} };
}

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
