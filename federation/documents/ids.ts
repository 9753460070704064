import { createHash, randomUUID } from "node:crypto";

/** A fresh id for an activity of a local actor: `{actor}/activities/{kind}/{uuid}`. */
export function activityId(actorId: string, kind: string): string {
  return `${actorId}/activities/${kind}/${randomUUID()}`;
}

/** A short, URL-safe, stable name for a string (an id, or an id and an inbox). */
export function digest(value: string): string {
  return createHash("sha256").update(value).digest("base64url");
}
