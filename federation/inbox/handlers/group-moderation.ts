import { randomUUID } from "node:crypto";
import { MAX_PUBLIC_REASON } from "../../../server/domain/moderation-log.js";
import type { Post } from "../../../server/domain/post.js";
import { RemoteError } from "../../remote/errors.js";
import { sameId } from "../../remote/fetch.js";
import type { NormalizedActivity, NormalizedEmbedded } from "../../vocab/normalize.js";
import { accepted, forbidden, type InboxResult, ignored, malformed } from "../errors.js";
import { mirrorGroupPost } from "../mirror-post.js";
import { announceAccepted } from "../outbox.js";
import { POST_TYPES } from "../remote-note.js";
import { fetchFromOrigin, remoteRefusal } from "../trust.js";
import { applySiteBan, isSiteBan } from "./site-bans.js";
import type { Handler, InboxDeps } from "./types.js";

/*
 * Moderation by the groups our boards follow, applied to our mirrors of their threads: a removal
 * (`Delete` by a moderator), a lock (`Lock`, `Undo(Lock)`), a pin (`Add`/`Remove` to the group's
 * `featured`), a ban (`Block` with `target` the group, `removeData` taking the account's posts), and
 * a change of moderators (`Add`/`Remove` to its moderators collection). Lemmy, Mbin and PieFed send
 * these as the group's `Announce` of the moderator's activity. Each is applied only when its actor is
 * the group or one the group lists as its moderator (GroupModerators), and only to posts that came
 * through that group (a board may follow several) onto a board that follows it; a post's author may
 * still delete their own post. Anything else is refused (403) and logged.
 */

/** Activity types a group's moderators send (Undo carries a Lock, Block or Delete). */
export const MODERATION_TYPES: ReadonlySet<string> = new Set(["Delete", "Lock", "Undo", "Add", "Remove", "Block"]);

/** Most posts a ban with `removeData` looks through on one board. */
const MAX_SCANNED_POSTS = 20_000;
const SCAN_PAGE = 500;

/**
 * Applies `act`, which `group` (the verified sender of the Announce carrying it) passed on. `json`
 * is the activity's JSON, for the fields the normalizer does not keep (`removeData`, `endTime`).
 */
export async function applyGroupModeration(
  deps: InboxDeps,
  group: string,
  act: NormalizedActivity,
  json: Record<string, unknown> | undefined,
): Promise<InboxResult> {
  switch (act.type) {
    case "Delete":
      return removal(deps, group, act, json);
    case "Lock":
      return lock(deps, group, act, act.actor, true);
    case "Add":
    case "Remove":
      return collectionChange(deps, group, act);
    case "Block":
      return ban(deps, group, act, json);
    case "Undo":
      return undo(deps, group, act);
    default:
      return ignored(`${act.type} is not a moderation activity.`);
  }
}

/**
 * `Lock`, `Add`, `Remove`, `Block` (and a moderator's `Delete`) sent straight to our inbox rather than announced: taken from
 * a group one of our boards follows, or from one of its moderators naming it (in `audience`, `cc` or
 * `to`); refused from anyone else. A `Block` with no target is an account blocking one of ours
 * (Mastodon's), which is nothing to apply.
 */
export const handleDirectModeration: Handler = async (deps, { activity, json }) => {
  if (activity.type === "Block" && activity.target === undefined) return ignored("A block between accounts.");
  if (activity.type === "Block" && isSiteBan(activity, activity.actor)) {
    return applySiteBan(deps, activity, json, false, (b, a, g) => removeAccountPosts(deps, b, a, g));
  }
  const inner = activity.object;
  if (
    activity.type === "Undo" &&
    typeof inner !== "string" &&
    inner?.kind === "activity" &&
    inner.type === "Block" &&
    isSiteBan(inner, activity.actor)
  ) {
    return applySiteBan(deps, inner, undefined, true, (b, a, g) => removeAccountPosts(deps, b, a, g));
  }
  const group = await followedGroupOf(deps, activity);
  if (group === null) {
    deps.s.logger.info("inbox: moderation refused: no group of ours is named", {
      id: activity.id,
      type: activity.type,
      actor: activity.actor,
    });
    throw forbidden("Moderation is taken only from a group one of our boards follows, or its moderators.");
  }
  return applyGroupModeration(deps, group, activity, json);
};

/** The group (among the actor and those addressed) that one of our boards follows, or null. */
export async function followedGroupOf(deps: InboxDeps, act: NormalizedActivity): Promise<string | null> {
  const seen = new Set<string>();
  for (const id of [act.actor, ...act.audience, ...act.cc, ...act.to]) {
    if (seen.has(id) || seen.size >= 8) continue;
    seen.add(id);
    if ((await followingBoards(deps, id)).length > 0) return id;
  }
  return null;
}

/** Our boards with an accepted follow of `groupId`. */
async function followingBoards(deps: InboxDeps, groupId: string): Promise<string[]> {
  const out: string[] = [];
  for (const board of await deps.s.store.boards.list()) {
    const follow = await deps.s.store.federation.follows.get(deps.ids.board(board.uri), groupId);
    if (follow?.direction === "outbound" && follow.state === "accepted") out.push(board.uri);
  }
  return out;
}

/** Our copy of the remote post `id`, when it is mirrored on a board following `group`. */
async function mirrored(deps: InboxDeps, group: string, id: string | undefined): Promise<Post | null> {
  if (id === undefined) return null;
  const mapping = await deps.s.store.federation.remotePosts.get(id);
  if (!mapping) return null;
  const follow = await deps.s.store.federation.follows.get(deps.ids.board(mapping.board), group);
  if (follow?.direction !== "outbound" || follow.state !== "accepted") return null;
  return deps.s.store.posts.getPost(mapping.board, mapping.no);
}

/**
 * The group whose Announce brought `post` (or its thread), or undefined when that was not recorded
 * (sent straight to us, or mirrored before posts recorded it).
 */
async function groupOf(deps: InboxDeps, post: Post): Promise<string | undefined> {
  const index = deps.s.store.federation.remotePosts;
  const own = await index.byBoardAndNo(post.board, post.no);
  if (own?.via !== undefined || post.no === post.threadNo) return own?.via;
  return (await index.byBoardAndNo(post.board, post.threadNo))?.via;
}

/**
 * Throws a logged refusal unless `actor` is the group or one of its moderators, and (for an act on
 * `post`) the post came through that group: one group's moderators do not act on another's posts.
 */
async function requireModerator(deps: InboxDeps, group: string, act: NormalizedActivity, actor: string, post?: Post) {
  if (post !== undefined) {
    const via = await groupOf(deps, post);
    if (via !== undefined && !sameId(via, group)) {
      deps.s.logger.info("inbox: moderation refused: the post came through another group", {
        id: act.id,
        type: act.type,
        actor,
        group,
        via,
        board: post.board,
        no: post.no,
      });
      throw forbidden(`That post came through ${via}, not ${group}.`);
    }
  }
  let allowed: boolean;
  try {
    allowed = await deps.moderators.isModerator(group, actor);
  } catch (err) {
    throw err instanceof RemoteError ? remoteRefusal(err) : err;
  }
  if (allowed) return;
  deps.s.logger.info("inbox: moderation refused: the actor does not moderate the group", {
    id: act.id,
    type: act.type,
    actor,
    group,
  });
  throw forbidden(`${actor} is not a moderator of ${group}.`);
}

function applied(deps: InboxDeps, group: string, act: NormalizedActivity, what: string, post?: Post): void {
  deps.s.logger.info("inbox: group moderation applied", {
    id: act.id,
    action: what,
    group,
    actor: act.actor,
    board: post?.board,
    no: post?.no,
    reason: act.summary,
  });
}

/** Deletes posts and their replies (an opening post takes its thread), with their mappings. */
async function deletePosts(deps: InboxDeps, posts: Post[]): Promise<number> {
  let count = 0;
  for (const post of posts) {
    const deleted = await deps.s.posting.deleteRemote(post.board, post.no);
    for (const p of deleted) if (p.apId) await deps.s.store.federation.remotePosts.delete(p.apId);
    count += deleted.length;
  }
  return count;
}

async function removal(
  deps: InboxDeps,
  group: string,
  act: NormalizedActivity,
  json: Record<string, unknown> | undefined,
): Promise<InboxResult> {
  const id = act.objectIds[0];
  if (id === undefined) throw malformed("The Delete names no object.");
  const post = await mirrored(deps, group, id);
  if (!post) return ignored("Not a post mirrored from that group.");
  const own = post.fediActor !== null && sameId(post.fediActor, act.actor);
  if (!own) await requireModerator(deps, group, act, act.actor, post);
  const count = await deletePosts(deps, [post]);
  applied(deps, group, act, own ? "deleted by its author" : "removed by a moderator", post);
  // A moderator's removal goes into the board's public log, named by the moderator's public id.
  if (!own) {
    await deps.s.store.modLog.append({
      id: randomUUID(),
      board: post.board,
      action: "remote_removal",
      postNo: post.no,
      reason: (act.summary ?? "").slice(0, MAX_PUBLIC_REASON),
      by: act.actor,
      createdAt: deps.s.clock(),
    });
  }
  // The author's own deletion is passed on, as a Delete sent to us directly is; a moderator's removal
  // is the group's to announce, and our followers would not take it from one who is not our staff.
  if (own && json) await announceAccepted(deps.outbox, deps.s.logger, post.board, json);
  return accepted(`Removed /${post.board}/${post.no}${count > 1 ? ` and ${count - 1} repl(ies)` : ""}.`);
}

async function lock(
  deps: InboxDeps,
  group: string,
  act: NormalizedActivity,
  actor: string,
  locked: boolean,
  objectId: string | undefined = act.objectIds[0],
): Promise<InboxResult> {
  const post = await mirrored(deps, group, objectId);
  if (!post) return ignored("Not a post mirrored from that group.");
  if (post.no !== post.threadNo) return ignored("Only threads are locked here.");
  await requireModerator(deps, group, act, actor, post);
  await setFlags(deps, post, { locked });
  applied(deps, group, act, locked ? "locked" : "unlocked", post);
  return accepted(`${locked ? "Locked" : "Unlocked"} /${post.board}/${post.no}.`);
}

async function setFlags(deps: InboxDeps, post: Post, flags: { locked?: boolean; sticky?: boolean }): Promise<void> {
  const thread = await deps.s.store.posts.setThreadFlags(post.board, post.threadNo, flags);
  if (thread) deps.s.events.emit({ type: "thread_changed", thread });
}

async function collectionChange(deps: InboxDeps, group: string, act: NormalizedActivity): Promise<InboxResult> {
  const add = act.type === "Add";
  if (act.target === undefined) return ignored(`The ${act.type} names no collection.`);
  let staff: Awaited<ReturnType<typeof deps.moderators.staff>>;
  try {
    staff = await deps.moderators.staff(group);
  } catch (err) {
    throw err instanceof RemoteError ? remoteRefusal(err) : err;
  }
  if (staff.moderatorsCollection !== null && sameId(act.target, staff.moderatorsCollection)) {
    await requireModerator(deps, group, act, act.actor);
    deps.moderators.forget(group);
    applied(deps, group, act, add ? "moderator added" : "moderator removed");
    return accepted(`The moderators of ${group} are read again.`);
  }
  if (staff.featured === null || !sameId(act.target, staff.featured)) {
    return ignored(`${act.type} to a collection other than the group's featured posts or moderators.`);
  }
  const post = await mirrored(deps, group, act.objectIds[0]);
  if (!post) return ignored("Not a post mirrored from that group.");
  if (post.no !== post.threadNo) return ignored("Only threads are pinned here.");
  await requireModerator(deps, group, act, act.actor, post);
  await setFlags(deps, post, { sticky: add });
  applied(deps, group, act, add ? "stickied" : "unstickied", post);
  return accepted(`${add ? "Stickied" : "Unstickied"} /${post.board}/${post.no}.`);
}

async function ban(
  deps: InboxDeps,
  group: string,
  act: NormalizedActivity,
  json: Record<string, unknown> | undefined,
): Promise<InboxResult> {
  const user = act.objectIds[0];
  if (user === undefined) throw malformed("The Block names no account.");
  if (act.target === undefined || !sameId(act.target, group))
    return ignored("A ban from something else than the group.");
  await requireModerator(deps, group, act, act.actor);
  const endTime = typeof json?.["endTime"] === "string" ? Date.parse(json["endTime"]) : Number.NaN;
  await deps.s.store.federation.groupBans.put({
    groupId: group,
    actorId: user,
    reason: act.summary ?? null,
    expiresAt: Number.isFinite(endTime) ? endTime : null,
    createdAt: deps.s.clock(),
  });
  let removed = 0;
  if (json?.["removeData"] === true) {
    for (const board of await followingBoards(deps, group))
      removed += await removeAccountPosts(deps, board, user, group);
  }
  deps.s.logger.info("inbox: group moderation applied", {
    id: act.id,
    action: "account banned",
    group,
    actor: act.actor,
    account: user,
    until: Number.isFinite(endTime) ? new Date(endTime).toISOString() : "never",
    removed,
    reason: act.summary,
  });
  return accepted(`${user} is banned from ${group}${removed > 0 ? `; ${removed} of its posts removed` : ""}.`);
}

/**
 * Deletes the account's posts on one board that came through `group` (or whose group is not
 * recorded); returns how many posts went.
 */
async function removeAccountPosts(deps: InboxDeps, board: string, account: string, group: string): Promise<number> {
  const theirs: Post[] = [];
  for (let offset = 0; offset < MAX_SCANNED_POSTS; offset += SCAN_PAGE) {
    const page = await deps.s.store.posts.recentPosts(board, offset, SCAN_PAGE);
    for (const p of page) {
      if (p.fediActor === null || !sameId(p.fediActor, account)) continue;
      const via = await groupOf(deps, p);
      if (via === undefined || sameId(via, group)) theirs.push(p);
    }
    if (page.length < SCAN_PAGE) break;
  }
  // Threads first: their replies go with them and are then not deleted twice.
  theirs.sort((a, b) => Number(b.no === b.threadNo) - Number(a.no === a.threadNo));
  const gone = new Set<number>();
  let count = 0;
  for (const post of theirs) {
    if (gone.has(post.no) || gone.has(post.threadNo)) continue;
    const deleted = await deps.s.posting.deleteRemote(post.board, post.no);
    for (const p of deleted) {
      gone.add(p.no);
      if (p.apId) await deps.s.store.federation.remotePosts.delete(p.apId);
    }
    count += deleted.length;
  }
  return count;
}

/**
 * A moderator restoring a removed post (Lemmy's `Undo(Delete)`). A removal deleted our copy, so the
 * post is read again from its origin and mirrored anew (a new number here; its replies come back as
 * the group passes them on). A post the origin no longer serves is a no-op, noted in the log; one it
 * cannot serve for now is tried again later.
 */
async function restore(
  deps: InboxDeps,
  group: string,
  act: NormalizedActivity,
  id: string | undefined,
): Promise<InboxResult> {
  if (id === undefined) throw malformed("The undone Delete names no object.");
  if (await deps.s.store.federation.remotePosts.get(id)) return ignored("The post is here: nothing to restore.");
  const [board] = await followingBoards(deps, group);
  const following = board === undefined ? null : await deps.s.store.boards.get(board);
  if (!following) return ignored("No board follows that group.");
  const { document } = await fetchFromOrigin(deps, id);
  if (document.kind !== "object" || !POST_TYPES.has(document.type))
    return ignored("The restored object is not a post.");
  // Its author may restore what they deleted themselves, as Lemmy lets them.
  const own = document.attributedTo !== undefined && sameId(document.attributedTo, act.actor);
  if (!own) await requireModerator(deps, group, act, act.actor);
  const result = await mirrorGroupPost(deps, following, group, document, false);
  applied(deps, group, act, result.outcome === "accepted" ? "restored" : "restore skipped");
  return result;
}

async function undo(deps: InboxDeps, group: string, act: NormalizedActivity): Promise<InboxResult> {
  const inner: string | NormalizedEmbedded | undefined = act.object;
  if (inner === undefined) throw malformed("The Undo names no object.");
  if (typeof inner === "string" || inner.kind !== "activity") return ignored("An Undo of an activity not embedded.");
  switch (inner.type) {
    case "Lock":
      return lock(deps, group, act, act.actor, false, inner.objectIds[0]);
    case "Block": {
      if (inner.target === undefined || !sameId(inner.target, group)) return ignored("A ban from something else.");
      await requireModerator(deps, group, act, act.actor);
      const user = inner.objectIds[0];
      if (user !== undefined) await deps.s.store.federation.groupBans.remove(group, user);
      applied(deps, group, act, "account unbanned");
      return accepted(`${inner.objectIds[0] ?? "The account"} is no longer banned from ${group}.`);
    }
    case "Delete":
      return restore(deps, group, act, inner.objectIds[0]);
    default:
      return ignored(`Undo(${inner.type}) is not a moderation activity.`);
  }
}
