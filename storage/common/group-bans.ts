import { DomainError } from "../../server/domain/errors.js";
import { type GroupBan, MAX_GROUP_BAN_REASON } from "../../server/domain/federation-ports.js";
import { int, nullableInt, nullableStr, str, strList } from "./guards.js";

/** A group's ban copied field by field and checked, as both adapters store it (the reason cut to length). */
export function checkedGroupBan(ban: GroupBan): GroupBan {
  if (ban === null || typeof ban !== "object") throw new DomainError("invalid", "The ban must be an object.");
  return {
    groupId: str(ban.groupId, "groupId"),
    actorId: str(ban.actorId, "actorId"),
    reason: nullableStr(ban.reason, "reason")?.slice(0, MAX_GROUP_BAN_REASON) ?? null,
    expiresAt: nullableInt(ban.expiresAt, "expiresAt"),
    createdAt: int(ban.createdAt, "createdAt"),
  };
}

/** The arguments of `active`, checked. */
export function checkedActiveQuery(actorId: string, groupIds: readonly string[], now: number) {
  return { actorId: str(actorId, "actorId"), groupIds: strList(groupIds, "groupIds"), now: int(now, "now") };
}
