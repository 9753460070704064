import { PostRefused } from "./errors.js";
import type { InboxDeps } from "./handlers/types.js";

/**
 * Refuses what a banned account sends to a board: a PostRefused naming the ban (the Create handler
 * answers the author with a Reject carrying it), checked before anything is fetched for the post.
 */
export async function refuseBannedAuthor(deps: Pick<InboxDeps, "s">, actorId: string, board: string): Promise<void> {
  const ban = await deps.s.store.remoteBans.findActive(actorId, board, deps.s.clock());
  if (ban === null) return;
  const scope = ban.board === null ? "from this instance" : `from /${board}/`;
  const until = ban.expiresAt === null ? "" : ` until ${new Date(ban.expiresAt).toISOString()}`;
  throw new PostRefused(`The account is banned ${scope}${until}: ${ban.reason}`);
}
