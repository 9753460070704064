import { filesOf } from "../../../server/domain/post.js";
import { accepted, forbidden, ignored, malformed } from "../errors.js";
import { noteText } from "../note-text.js";
import { announceAccepted } from "../outbox.js";
import { quoteTargets } from "../quote-links.js";
import { filesStillListed } from "../remote-media.js";
import { POST_TYPES } from "../remote-note.js";
import { embeddedJson, remoteRefusal, trustedObject } from "../trust.js";
import type { Handler } from "./types.js";

/**
 * Update of a post we hold, by its author: its text (and an opening post's subject) is replaced, and
 * the board passes the Update on to its followers. An actor updating itself refreshes
 * our cached copy (a new name or key). Anything else is ignored.
 */
export const handleUpdate: Handler = async (deps, { activity, json }) => {
  const { s } = deps;
  const ref = activity.object;
  if (ref === undefined) throw malformed("The Update names no object.");
  const id = typeof ref === "string" ? ref : ref.id;

  if (id === activity.actor) {
    if (!(await deps.actors.cached(id))) return ignored("An actor we do not know.");
    try {
      await deps.actors.get(id, { refresh: true });
    } catch (err) {
      throw remoteRefusal(err);
    }
    // A group's new settings may name other moderators or another featured collection.
    deps.moderators.forget(id);
    return accepted("The actor was refreshed.");
  }

  const mapping = await s.store.federation.remotePosts.get(id);
  if (!mapping) return ignored("Not a post we hold.");
  const post = await s.store.posts.getPost(mapping.board, mapping.no);
  if (!post) {
    await s.store.federation.remotePosts.delete(id);
    return ignored("Not a post we hold.");
  }
  if (post.fediActor !== activity.actor) throw forbidden("Only the author of a post can update it.");
  if (await s.store.remoteBans.findActive(activity.actor, post.board, s.clock())) {
    throw forbidden(`The account is banned from /${post.board}/; its posts are not edited.`);
  }

  const trusted = await trustedObject(deps, activity.actor, ref, embeddedJson(json));
  const note = trusted.document;
  if (note.kind !== "object" || !POST_TYPES.has(note.type)) return ignored(`Update of a ${note.type} is not handled.`);
  if (note.attributedTo !== activity.actor) throw forbidden("The object is not attributed to the actor updating it.");
  const board = await s.store.boards.get(post.board);
  if (!board) return ignored("Not a post we hold.");
  // An opening post's subject follows its name (or first line) as on Create; replies have none.
  const op = post.no === post.threadNo;
  const text = await noteText(
    deps.sanitizer,
    note,
    op,
    board.settings.maxCommentLength,
    (href) => deps.ids.isLocal(href),
    (hrefs) => quoteTargets(deps.s, board.uri, hrefs),
  );
  await s.store.posts.updatePostText(post.board, post.no, {
    comment: text.comment,
    html: (await s.posting.renderComment(post.board, text.comment)).html,
    ...(op ? { subject: text.subject } : {}),
  });
  // An update that no longer carries an image removes that file (an author or moderator took it down).
  const files = filesOf(post);
  const listed = filesStillListed(files, note.attachment);
  if (listed.length === 0 && files.length > 0) {
    const { orphans, removed } = await s.store.posts.deleteFile(post.board, post.no);
    await s.posting.removeBlobs(orphans, { board: post.board, files: removed });
  } else {
    for (const f of files.filter((one) => !listed.includes(one))) {
      const { orphans, removed } = await s.store.posts.deleteFile(post.board, post.no, f.tim);
      await s.posting.removeBlobs(orphans, { board: post.board, files: removed });
    }
  }
  await announceAccepted(deps.outbox, deps.s.logger, post.board, {
    ...json,
    object: trusted.json as Record<string, unknown>,
  });
  return accepted(`Updated /${post.board}/${post.no}.`);
};
