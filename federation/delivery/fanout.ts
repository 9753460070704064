import type { NewDelivery } from "../../server/domain/federation-ports.js";
import { deliveryId, type OutgoingActivity } from "./activities.js";
import { type PeerKind, receives } from "./software.js";

/** One inbox a fan-out goes to, with what is known of the software behind it. */
export interface FanoutTarget {
  inbox: string;
  /** The inbox's lowercase host (see `inboxDomain`). */
  domain: string;
  kind: PeerKind;
}

/**
 * The queue items that carry `activities` to `targets`: each target gets the activities its kind
 * of software reads (see `receives`), each body serialized once whatever the number of targets.
 * Activity by activity, then target by target, as the targets are given.
 */
export function planDeliveries(
  activities: readonly OutgoingActivity[],
  targets: readonly FanoutTarget[],
): NewDelivery[] {
  const items: NewDelivery[] = [];
  for (const { actor, activity, family } of activities) {
    const activityId = String(activity["id"]);
    let body: string | null = null;
    for (const { inbox, domain, kind } of targets) {
      if (!receives(kind, family)) continue;
      body ??= JSON.stringify(activity);
      items.push({ id: deliveryId(activityId, inbox), inbox, domain, body, keyId: actor, activityId });
    }
  }
  return items;
}
