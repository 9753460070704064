import { MODERATION_ACTIONS, type ModerationAction } from "../../server/domain/moderation-log.js";

/** A stored action name, checked: anything else is a corrupt row. */
export function moderationAction(value: unknown): ModerationAction {
  if (typeof value === "string" && (MODERATION_ACTIONS as readonly string[]).includes(value)) {
    return value as ModerationAction;
  }
  throw new TypeError("action: not a moderation action");
}
