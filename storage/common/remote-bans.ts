import type { RemoteBan } from "../../server/domain/remote-bans.js";
import { int, nullableInt, nullableStr, optBool, str } from "./guards.js";

/** A remote ban as both adapters store it, every member checked (DomainError "invalid" otherwise). */
export function checkedRemoteBan(ban: RemoteBan): RemoteBan {
  return {
    id: str(ban.id, "id"),
    actorId: str(ban.actorId, "actorId"),
    handle: nullableStr(ban.handle, "handle"),
    board: nullableStr(ban.board, "board"),
    reason: str(ban.reason, "reason"),
    createdAt: int(ban.createdAt, "createdAt"),
    expiresAt: nullableInt(ban.expiresAt, "expiresAt"),
    createdBy: str(ban.createdBy, "createdBy"),
    deletePosts: optBool(ban.deletePosts, "deletePosts") ?? false,
  };
}
