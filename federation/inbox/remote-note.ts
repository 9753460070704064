import type { Board } from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";
import type { RemoteActor } from "../../server/domain/federation-ports.js";
import type { Post, ThreadState } from "../../server/domain/post.js";
import type { FilterHold } from "../../server/services/held-posts.js";
import { reportRefusedAttachment } from "../../server/services/media-bans.js";
import type { RemotePostResult } from "../../server/services/posting.js";
import { handleOf } from "../remote/actors.js";
import { RemoteError } from "../remote/errors.js";
import { AS_PUBLIC, type NormalizedObject } from "../vocab/normalize.js";
import { IgnoredActivity, PostRefused } from "./errors.js";
import type { InboxDeps } from "./handlers/types.js";
import { noteText } from "./note-text.js";
import { quoteTargets } from "./quote-links.js";
import { refuseBannedAuthor } from "./remote-ban-check.js";
import { fetchImages } from "./remote-media.js";

/** Object types that become posts: Mastodon's and Misskey's Note, Lemmy's and Mbin's Page, Article. */
export const POST_TYPES: ReadonlySet<string> = new Set(["Note", "Page", "Article"]);

/** Whether anyone may read the object: public, or addressed to the board itself. */
export function visibleOnBoard(note: NormalizedObject, boardId: string): boolean {
  const to = [...note.to, ...note.cc, ...note.audience];
  return (
    to.includes(AS_PUBLIC) || to.includes(boardId) || note.tag.some((t) => t.type === "Mention" && t.href === boardId)
  );
}

/**
 * The name a remote author's posts show: `user@host`, from the cached or fetched actor (`known`, the
 * actor already at hand, when it is the author).
 */
export async function authorName(deps: InboxDeps, actorId: string, known: RemoteActor | null = null): Promise<string> {
  if (known?.id === actorId) return handleOf(known);
  try {
    return handleOf(await deps.actors.get(actorId));
  } catch (err) {
    if (err instanceof RemoteError) return handleOf({ id: actorId, preferredUsername: null });
    throw err;
  }
}

export interface StoredNote {
  post: Post;
  imageRefused: string | null;
}

/**
 * Stores a remote object as a local post (a new thread when `threadNo` is null) and records which
 * object it mirrors. Board rules that refuse it (a locked thread, a missing image) make the activity
 * ignored, not failed. `signer`, the actor that signed the delivery, saves looking the author up
 * again when it is the author.
 */
export async function storeNote(
  deps: InboxDeps,
  note: NormalizedObject,
  target: {
    board: Board;
    threadNo: number | null;
    author: string;
    signer?: RemoteActor | null;
    /** The thread's state when it was just read, saving a second read. */
    thread?: ThreadState | null;
    /** The last try: an image still out of reach is left out (see fetchImages). */
    lastChance?: boolean;
    /** The followed group whose Announce brought the post, if one did. */
    via?: string;
    /** What becomes of a post a word filter would hold (refused when not given). */
    filterHold?: FilterHold;
  },
): Promise<StoredNote> {
  const { board, threadNo, author } = target;
  await refuseBannedAuthor(deps, author, board.uri);
  // Refused before any image is fetched; the posting service checks it again where it stores.
  if (threadNo === null && board.settings.postingRestrictedToMods) {
    throw new PostRefused(`Only staff start threads on /${board.uri}/; anyone may reply.`);
  }
  const text = await noteText(
    deps.sanitizer,
    note,
    threadNo === null,
    board.settings.maxCommentLength,
    (href) => deps.ids.isLocal(href),
    (hrefs) => quoteTargets(deps.s, board.uri, hrefs),
  );
  const { images, refused } = await fetchImages(deps, note, board, target.lastChance === true);
  let stored: RemotePostResult;
  try {
    stored = await deps.s.posting.createRemote(
      {
        board: board.uri,
        threadNo,
        name: await authorName(deps, author, target.signer ?? null),
        subject: text.subject,
        comment: text.comment,
        apId: note.id,
        fediActor: author,
        posterToken: note.atoll?.posterToken ?? null,
        images,
        spoiler: note.sensitive === true || note.attachment.some((a) => a.sensitive === true),
      },
      { board, thread: target.thread ?? undefined, filterHold: target.filterHold ?? "refuse" },
    );
  } catch (err) {
    // A full image queue passes; the board's rules (a locked thread, a missing image) do not.
    if (err instanceof DomainError && err.kind !== "busy") throw new PostRefused(err.message);
    throw err;
  }
  try {
    await deps.s.store.federation.remotePosts.put({
      apId: note.id,
      board: board.uri,
      no: stored.post.no,
      ...(target.via === undefined ? {} : { via: target.via }),
    });
  } catch (err) {
    // Another delivery of the same object won the race: keep one copy.
    await deps.s.posting.deleteRemote(board.uri, stored.post.no);
    if (err instanceof DomainError && err.kind === "conflict") throw new IgnoredActivity("The object is already here.");
    throw err;
  }
  // Staff see a post whose file was refused as banned in the board's reports queue.
  if (stored.imageBanned) await reportRefusedAttachment(deps.s, stored.post);
  return { post: stored.post, imageRefused: stored.imageRefused ?? refused };
}
