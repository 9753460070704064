import type { Board } from "../../server/domain/board.js";
import { escapeHtml } from "../../server/domain/markup.js";
import { filesOf, type Post } from "../../server/domain/post.js";
import type { Urls } from "../../server/services/urls.js";
import type { FederationIds } from "../ids.js";
import { AS_CONTEXT, PUBLIC } from "./context.js";

export interface PostObjectContext {
  urls: Urls;
  ids: FederationIds;
  /** The actor local anonymous posts are attributed to. */
  anonymousActor: string;
  /**
   * Name a local poster's token (the Note delivered to the board's followers). A Note anyone can
   * fetch never names it: the token links one anonymous poster's posts across threads for a whole
   * rotation period, so it goes only to the servers that follow the board and mirror it.
   */
  withPosterToken?: boolean;
}

/**
 * A post as an ActivityPub object. Threads and replies are both `Note`s: Mastodon and Misskey show a
 * Note's text and images in full but reduce a `Page` to its title and a link, while Lemmy and Mbin
 * accept a Note with a `name` as a post. Each field is read by a different family of software, so
 * each shows the subject once:
 *
 * - `name`: the subject, the title for software that shows one (Lemmy, Mbin, Misskey, Atoll);
 * - `content`: HTML for software that shows only it (Mastodon, GoToSocial, Pleroma, Akkoma), the
 *   subject as a bold first paragraph, then the comment;
 * - `source` (Markdown) and `_misskey_content`: the comment alone, which Lemmy, Mbin and Misskey
 *   read in place of `content` beside the `name` they show as the title.
 *
 * No imageboard chrome (name line, post number) is in the text: the author is `attributedTo`, and
 * imageboard extras go in Atoll's own context, which other Atoll instances read and everyone else
 * ignores.
 */
export function postObject(
  board: Board,
  post: Post,
  ctx: PostObjectContext,
  /** For a reply: the thread's opening post (its `apId` is the remote thread's id in a mirrored thread). */
  thread?: Pick<Post, "apId"> | null,
): Record<string, unknown> {
  const { urls, ids } = ctx;
  const op = post.no === post.threadNo;
  const boardActor = ids.board(board.uri);
  const threadId = urls.apId({
    board: board.uri,
    no: post.threadNo,
    threadNo: post.threadNo,
    apId: thread?.apId ?? null,
  });
  const object: Record<string, unknown> = {
    "@context": [
      AS_CONTEXT,
      ids.context(),
      {
        sensitive: "as:sensitive",
        Hashtag: "as:Hashtag",
        toot: "http://joinmastodon.org/ns#",
        blurhash: "toot:blurhash",
        misskey: "https://misskey-hub.net/ns#",
        _misskey_content: "misskey:_misskey_content",
      },
    ],
    id: urls.apId(post),
    type: "Note",
    attributedTo: post.fediActor ?? ctx.anonymousActor,
    to: [PUBLIC, boardActor],
    cc: [ids.boardFollowers(board.uri)],
    audience: boardActor,
    published: new Date(post.createdAt).toISOString(),
    url: urls.thread(board.uri, post.threadNo, post.no),
    mediaType: "text/html",
    content: content(post, urls),
    source: { content: markdownOf(post.comment), mediaType: "text/markdown" },
    _misskey_content: post.comment,
    sensitive: (post.file?.spoiler ?? false) || !board.settings.sfw,
  };
  if (op) {
    if (post.subject) object["name"] = post.subject;
  } else {
    // Replies answer the thread: imageboard threads are flat, and quoted posts are links in the text.
    object["inReplyTo"] = threadId;
    object["context"] = threadId;
  }
  if (post.file) {
    // One Document per file, in order, as Mastodon sends and reads them.
    object["attachment"] = filesOf(post).map((f) => ({
      type: "Document",
      mediaType: f.mime,
      url: urls.file(board.uri, f),
      name: `${f.filename}${f.ext}`,
      width: f.width,
      height: f.height,
    }));
    object["image"] = { type: "Image", mediaType: "image/jpeg", url: urls.thumb(board.uri, post.file) };
  }
  object["postNumber"] = post.no;
  if (post.trip) object["tripcode"] = post.trip;
  if (post.posterId) object["posterId"] = post.posterId;
  if (post.sage) object["sage"] = true;
  if (post.capcode) object["capcode"] = post.capcode;
  // Only a local poster's own token: a mirrored post's is its origin's to give.
  if (ctx.withPosterToken === true && post.posterToken && post.apId === null) object["posterToken"] = post.posterToken;
  object["board"] = boardActor;
  return object;
}

/** What a deleted post's id answers (with 410), so a peer that cached the post learns it is gone. */
export function deletedNote(id: string): Record<string, unknown> {
  return { "@context": AS_CONTEXT, id, type: "Tombstone", formerType: "Note" };
}

/** The rendered comment with links made absolute, under the subject (see postObject). */
function content(post: Post, urls: Urls): string {
  const body = post.html.replace(/href="\//g, `href="${urls.publicUrl}/`);
  const subject = post.subject ? `<p><strong>${escapeHtml(post.subject)}</strong></p>` : "";
  return `${subject}${body ? `<p>${body}</p>` : ""}`;
}

/**
 * A comment as Markdown that reads as the comment does: every character Markdown would take for
 * syntax is escaped (greentext stays a `>` line, not a block quote), and each line break is kept.
 */
export function markdownOf(comment: string): string {
  return comment.replace(/[\\`*_[\]<>#|~!-]/g, "\\$&").replace(/\n/g, "  \n");
}
