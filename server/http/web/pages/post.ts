import type { Board } from "../../../domain/board.js";
import { isVideoType } from "../../../domain/board.js";
import type { Post, PostFile, ThreadState } from "../../../domain/post.js";
import type { PostView, ThreadView } from "../../../services/reader.js";
import type { Urls } from "../../../services/urls.js";
import { displayDate, fediHandle, fileSize, idHue, isoDate, plural, shortFileName } from "../format.js";
import { type Html, html, trusted } from "../html.js";

export const SPOILER_IMAGE = "/static/spoiler.svg";
/** What a spoilered file is called on the pages. */
export const SPOILER_FILE_NAME = "Spoiler Image";
/** The tooltip of the badge on posts from limited (silenced) servers. */
export const LIMITED_TITLE = "From a server that this instance's moderators have limited";
const SPOILER_SIZE = 100;

/** Where a post is shown: on the board index (threads cut short) or on its own thread page. */
export type PostMode = "index" | "thread";

export interface PostContext {
  urls: Urls;
  board: Board;
  state: ThreadState;
  mode: PostMode;
}

/** Site-relative path of a thread page, optionally with a post's anchor. */
export function threadPath(board: string, threadNo: number, postNo?: number): string {
  return postNo === undefined || postNo === threadNo
    ? `/${board}/thread/${threadNo}`
    : `/${board}/thread/${threadNo}#p${postNo}`;
}

/** The thumbnail (or spoiler placeholder) of a file, with its intrinsic size so the page does not jump. */
export function thumbnail(urls: Urls, board: string, f: PostFile, alt: string): Html {
  const src = f.spoiler ? SPOILER_IMAGE : urls.thumb(board, f);
  const w = f.spoiler ? SPOILER_SIZE : f.thumbWidth;
  const h = f.spoiler ? SPOILER_SIZE : f.thumbHeight;
  return html`<img src="${src}" width="${w}" height="${h}" alt="${alt}" loading="lazy" decoding="async">`;
}

function fileBlock(ctx: PostContext, post: Post): Html {
  const f = post.file;
  if (!f) {
    return post.fileDeleted ? html`<div class="file"><div class="file-deleted">File deleted.</div></div>` : html``;
  }
  if (post.extraFiles.length === 0) return oneFile(ctx, f);
  // Several files: a row of thumbnails, each with its own info line, each expanding on its own.
  return html`<div class="files">${[f, ...post.extraFiles].map((one) => oneFile(ctx, one))}</div>`;
}

function oneFile(ctx: PostContext, f: PostFile): Html {
  const full = ctx.urls.file(ctx.board.uri, f);
  const size = fileSize(f.size);
  const video = isVideoType(f.mime);
  // A spoilered file's name often says what the spoiler hides: 4chan shows "Spoiler Image" instead.
  // The JSON API keeps the name, as 4chan's does.
  const link = f.spoiler
    ? html`<a href="${full}" target="_blank" rel="noopener">${SPOILER_FILE_NAME}</a>`
    : html`<a href="${full}" target="_blank" rel="noopener" title="${f.filename + f.ext}">${shortFileName(f.filename, f.ext)}</a>`;
  const length = video && f.duration !== undefined ? clockTime(f.duration) : null;
  return html`<div class="file">
<div class="file-info">File: ${link} <span class="file-meta">(${size}, ${f.width}x${f.height}${length ? `, ${length}` : ""})</span></div>
<a class="file-thumb${video ? " file-video" : ""}${f.spoiler ? " spoilered" : ""}" href="${full}" target="_blank" rel="noopener" data-w="${f.width}" data-h="${f.height}">${thumbnail(ctx.urls, ctx.board.uri, f, f.spoiler ? "Spoiler image" : `${size} ${f.ext.slice(1).toUpperCase()}`)}${length ? html`<span class="video-duration">${length}</span>` : ""}</a>
</div>`;
}

/** Seconds as a player shows them: "0:05", "12:34", "1:02:03" (a clip under a second shows as 0:01). */
export function clockTime(seconds: number): string {
  const total = seconds > 0 ? Math.max(1, Math.round(seconds)) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function nameBlock(view: PostView): Html {
  const { post } = view;
  const capcode = post.capcode ? post.capcode.toLowerCase().replace(/[^a-z0-9_-]/g, "") : "";
  const fedi = post.fediActor ? fediHandle(post.fediActor) : null;
  return html`<span class="name-block${capcode ? html` capcode-${capcode}` : ""}"><span class="name">${post.name}</span>${
    post.trip ? html`<span class="trip">${post.trip}</span>` : ""
  }${post.capcode ? html` <strong class="capcode">## ${capitalise(post.capcode)}</strong>` : ""}</span>${
    view.posterId
      ? html` <span class="poster-id hue-${idHue(view.posterId)}" title="Poster ID: the same poster within this thread today">ID: ${view.posterId}</span>`
      : ""
  }${
    fedi
      ? html` <a class="fedi-handle" href="${fedi.href}" rel="nofollow noopener ugc" target="_blank" title="Posted from the fediverse">@${fedi.handle}</a>`
      : ""
  }${view.limited ? html` <span class="badge badge-limited" title="${LIMITED_TITLE}">Limited</span>` : ""}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function statusBadges(state: ThreadState): Html {
  return html`${state.sticky ? html` <span class="badge badge-sticky" title="Sticky">Sticky</span>` : ""}${
    state.locked ? html` <span class="badge badge-locked" title="Closed: no more replies">Closed</span>` : ""
  }${state.archived ? html` <span class="badge badge-archived" title="Archived">Archived</span>` : ""}`;
}

function backlinks(ctx: PostContext, view: PostView): Html {
  if (view.backlinks.length === 0) return html``;
  const links = view.backlinks.map(
    (no) =>
      html` <a class="quotelink backlink" href="${threadPath(ctx.board.uri, ctx.state.no, no)}">&gt;&gt;${no}</a>`,
  );
  return html`<span class="backlinks" aria-label="Replies">${links}</span>`;
}

/** One post, OP or reply, as 4chan lays it out. Its anchor is `p{no}`. */
export function renderPost(ctx: PostContext, view: PostView): Html {
  const { post } = view;
  const op = post.no === post.threadNo;
  const board = ctx.board.uri;
  const head = html`<div class="post-head">
<input class="post-select" type="checkbox" name="delete" value="${post.no}" aria-label="Select post ${post.no}">
${post.subject ? html`<span class="subject">${post.subject}</span> ` : ""}${nameBlock(view)}${
  post.sage ? html` <span class="sage" title="Posted with sage: this reply did not bump the thread">(sage)</span>` : ""
}
<time datetime="${isoDate(post.createdAt)}">${displayDate(post.createdAt)}</time>
<span class="post-no"><a href="${threadPath(board, post.threadNo, post.no)}" title="Link to this post">No.</a><a class="quote-no" href="/${board}/thread/${post.threadNo}#q${post.no}" title="Reply to this post">${post.no}</a></span>${op ? statusBadges(ctx.state) : ""}${
    op && ctx.mode === "index"
      ? html` <span class="reply-link">[<a href="${threadPath(board, post.threadNo)}">Reply</a>]</span>`
      : ""
  }
${backlinks(ctx, view)}
</div>`;
  const file = fileBlock(ctx, post);
  const comment = html`<blockquote class="comment">${trusted(post.html)}</blockquote>`;
  if (op) {
    return html`<article class="post op" id="p${post.no}" data-no="${post.no}">
${file}${head}${comment}
</article>`;
  }
  return html`<div class="reply-wrap"><span class="reply-arrow" aria-hidden="true">&gt;&gt;</span><article class="post reply" id="p${post.no}" data-no="${post.no}">
${head}${file}${comment}
</article></div>`;
}

/** A thread: its OP, the "omitted" line on index pages, then its (shown) replies. */
export function renderThread(urls: Urls, board: Board, thread: ThreadView, mode: PostMode): Html {
  const ctx: PostContext = { urls, board, state: thread.state, mode };
  const [op, ...replies] = thread.posts;
  if (!op) return html``;
  const omitted =
    mode === "index" && thread.omittedPosts > 0
      ? html`<p class="omitted">${plural(thread.omittedPosts, "reply", "replies")}${
          thread.omittedImages > 0 ? html` and ${plural(thread.omittedImages, "image", "images")}` : ""
        } omitted. <a href="${threadPath(board.uri, thread.state.no)}">View the thread</a></p>`
      : "";
  return html`<div class="thread" id="t${thread.state.no}" data-thread="${thread.state.no}" data-replies="${thread.state.replyCount}">
${renderPost(ctx, op)}
${omitted}
${replies.map((r) => renderPost(ctx, r))}
</div>`;
}
