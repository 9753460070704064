import { DomainError } from "../../domain/errors.js";
import type { RemoteBan } from "../../domain/remote-bans.js";
import { can } from "../../domain/staff.js";
import type { Services } from "../../services/container.js";
import type { Actor } from "../../services/staff.js";

/** What the ban routes (API and staff pages) use to ban and lift bans of remote accounts. */
export type RemoteBanHttpDeps = Pick<Services, "store" | "logger" | "moderation" | "remoteBans" | "federation">;

export interface RemoteBanRequest {
  /** An actor URL or a handle; or absent when `post` names a federated post. */
  actor?: string | undefined;
  /** `board/no` of a federated post: its author is the account banned. */
  post?: string | undefined;
  board: string | null;
  reason: string;
  durationSeconds: number | null;
  deletePosts?: boolean | undefined;
}

/** A remote ban as the admin API shows it, beside address bans (`kind` tells them apart). */
export function remoteBanJson(b: RemoteBan) {
  return {
    id: b.id,
    kind: "account",
    board: b.board,
    actor: b.actorId,
    handle: b.handle,
    reason: b.reason,
    created_at: new Date(b.createdAt).toISOString(),
    expires_at: b.expiresAt === null ? null : new Date(b.expiresAt).toISOString(),
    created_by: b.createdBy,
    delete_posts: b.deletePosts,
  };
}

/**
 * The federated author of the post `board/no`, when the post came from the fediverse (its ban is a
 * ban of that account); null for a local post, which is banned by address.
 */
export async function federatedAuthor(s: Pick<Services, "store">, user: Actor, post: string): Promise<string | null> {
  const m = /^([a-z0-9]{1,30})\/([1-9][0-9]{0,14})$/.exec(post);
  if (!m) return null;
  const board = m[1] as string;
  if (!can(user, "moderate", board)) return null; // the address ban path answers the refusal
  const found = await s.store.posts.getPost(board, Number(m[2]));
  return found && found.ipHash === null && found.fediActor !== null ? found.fediActor : null;
}

/**
 * Bans a remote account (named, or the author of a federated post), then queues Lemmy's Block for
 * its server and the board's followers. The ban holds at the inbox even when the Block cannot be
 * queued (a failure then is logged and answered, the ban kept).
 */
export async function banRemoteAccount(
  s: RemoteBanHttpDeps,
  user: Actor,
  req: RemoteBanRequest,
): Promise<{ ban: RemoteBan; removed: number }> {
  let actorId: string;
  let handle: string | null = null;
  if (req.actor !== undefined) {
    if (req.post !== undefined) throw new DomainError("invalid", "Give either actor or post, not both.");
    if (!s.federation)
      throw new DomainError("unprocessable", "Federation is off: there are no remote accounts to ban.");
    // Permission first: a board moderator learns nothing of other boards by resolving handles.
    if (!can(user, "moderate", req.board)) {
      throw new DomainError(
        "forbidden",
        req.board === null ? "Only instance-wide staff may do this." : `You may not do this on /${req.board}/.`,
      );
    }
    ({ id: actorId, handle } = await s.federation.resolveAccount(req.actor));
  } else {
    const author = req.post === undefined ? null : await federatedAuthor(s, user, req.post);
    if (author === null) throw new DomainError("invalid", "actor: an actor URL, or a handle such as user@host.");
    actorId = author;
    const cached = await s.store.federation.actors.get(author);
    handle = cached?.preferredUsername ? `${cached.preferredUsername}@${new URL(author).host}` : null;
  }
  const result = await s.remoteBans.ban(user, {
    actorId,
    handle,
    board: req.board,
    reason: req.reason,
    durationSeconds: req.durationSeconds,
    deletePosts: req.deletePosts,
  });
  await tell(s, result.ban, false);
  return result;
}

/** Lifts a ban of either kind by id; a lifted remote ban is undone on the servers that were told. */
export async function liftBan(s: RemoteBanHttpDeps, user: Actor, id: string): Promise<void> {
  if (!(await s.remoteBans.get(id))) {
    await s.moderation.unban(user, id);
    return;
  }
  const ban = await s.remoteBans.unban(user, id);
  await tell(s, ban, true);
}

async function tell(s: RemoteBanHttpDeps, ban: RemoteBan, lifted: boolean): Promise<void> {
  if (!s.federation) return;
  try {
    await s.federation.announceRemoteBan(ban, lifted);
  } catch (err) {
    s.logger.warn(lifted ? "could not queue the Undo of a lifted ban" : "could not queue the Block of a ban", {
      ban: ban.id,
      err,
    });
    throw err;
  }
}
