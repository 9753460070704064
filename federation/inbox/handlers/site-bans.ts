import { sameId, sameOrigin } from "../../remote/fetch.js";
import type { NormalizedActivity } from "../../vocab/normalize.js";
import { accepted, type InboxResult, ignored, malformed } from "../errors.js";
import type { InboxDeps } from "./types.js";

/*
 * A server banning an account from all of its boards (Lemmy's site ban, Atoll's instance-wide ban):
 * a `Block` whose actor and target are the server's own instance actor. It is a ban by every group
 * of that server our boards follow, recorded as each group's ban, so the account's posts are not
 * mirrored from there again; with `removeData`, its posts that came through those groups go.
 */

/** Whether `act` (a Block, or an Undo's embedded Block) is a server's ban of its own. */
export function isSiteBan(act: NormalizedActivity, signer: string): boolean {
  return act.target !== undefined && sameId(act.target, act.actor) && sameId(act.actor, signer);
}

/** The groups on the banning server's origin that one of our boards follows, with the boards. */
async function followedOn(deps: InboxDeps, site: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const board of await deps.s.store.boards.list()) {
    for (const f of await deps.s.store.federation.follows.followingOf(board.uri)) {
      if (f.state !== "accepted" || !sameOrigin(f.objectId, site) || sameId(f.objectId, site)) continue;
      out.set(f.objectId, [...(out.get(f.objectId) ?? []), board.uri]);
    }
  }
  return out;
}

/**
 * Applies a server's ban (`lifted`: its Undo). `removePosts(board, account, group)` removes the
 * account's posts that came through `group` on `board` and answers how many went.
 */
export async function applySiteBan(
  deps: InboxDeps,
  block: NormalizedActivity,
  json: Record<string, unknown> | undefined,
  lifted: boolean,
  removePosts: (board: string, account: string, group: string) => Promise<number>,
): Promise<InboxResult> {
  const site = block.actor;
  const user = block.objectIds[0];
  if (user === undefined) throw malformed("The Block names no account.");
  const groups = await followedOn(deps, site);
  if (groups.size === 0) return ignored("A ban by a server none of our boards follows a group of.");
  const endTime = typeof json?.["endTime"] === "string" ? Date.parse(json["endTime"]) : Number.NaN;
  let removed = 0;
  for (const [group, boards] of groups) {
    if (lifted) {
      await deps.s.store.federation.groupBans.remove(group, user);
      continue;
    }
    await deps.s.store.federation.groupBans.put({
      groupId: group,
      actorId: user,
      reason: block.summary ?? null,
      expiresAt: Number.isFinite(endTime) ? endTime : null,
      createdAt: deps.s.clock(),
    });
    if (json?.["removeData"] === true) for (const board of boards) removed += await removePosts(board, user, group);
  }
  deps.s.logger.info("inbox: group moderation applied", {
    id: block.id,
    action: lifted ? "account unbanned by its server" : "account banned by its server",
    site,
    groups: groups.size,
    account: user,
    removed,
    reason: block.summary,
  });
  return accepted(
    `${user} is ${lifted ? "no longer banned" : "banned"} from ${groups.size} group(s) of ${site}${removed > 0 ? `; ${removed} of its posts removed` : ""}.`,
  );
}
