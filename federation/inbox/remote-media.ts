import { type Board, isVideoType } from "../../server/domain/board.js";
import { domainOfUrl } from "../../server/domain/defederation/rules.js";
import type { PostFile } from "../../server/domain/post.js";
import type { UploadedFile } from "../../server/services/posting.js";
import { displayName } from "../../server/services/upload-name.js";
import { isTransientFetchError } from "../http/fetch-errors.js";
import { FetchFailed, FetchRefused } from "../http/guarded-fetch.js";
import { RemoteError } from "../remote/errors.js";
import type { NormalizedObject } from "../vocab/normalize.js";
import { TransientFailure } from "./errors.js";
import type { InboxDeps } from "./handlers/types.js";

/** Media waits longer than documents: an image of several megabytes on a slow peer. */
const IMAGE_TIMEOUT_MS = 30_000;
/** A video may be many times an image's size. */
const VIDEO_TIMEOUT_MS = 120_000;

type Attachment = NormalizedObject["attachment"][number];

function isImage(a: Attachment): boolean {
  return a.mediaType?.startsWith("image/") === true || (a.mediaType === undefined && a.type === "Image");
}

/** Mastodon's and Lemmy's videos: type `Video`, or a `Document` whose media type is video/*. */
function isVideo(a: Attachment): boolean {
  return a.mediaType?.startsWith("video/") === true || (a.mediaType === undefined && a.type === "Video");
}

/**
 * Whether a video attachment can be taken here: this server processes videos and the board accepts
 * its type (a `Video` that names no media type: any video type the board accepts).
 */
function videoWanted(a: Attachment, board: Board, takesVideos: boolean): boolean {
  if (!takesVideos) return false;
  const accepted = board.settings.allowedTypes.filter(isVideoType);
  if (a.mediaType === undefined) return accepted.length > 0;
  return accepted.some((t) => t === a.mediaType?.toLowerCase());
}

/**
 * The object's image and video attachments, in order and up to the board's `maxFiles`, each fetched
 * through the guarded client within the board's file size limit. Videos are taken only where the
 * board accepts their type and ffmpeg is present (they then pass the same checks and media bans as
 * uploads); others are left out with a log line. A file its server cannot serve now (out of reach, a
 * timeout, 408/429/5xx) makes the post wait for another try (TransientFailure), unless `lastChance`:
 * then the post is taken without it. `refused` says why the first left-out attachment was.
 */
export async function fetchImages(
  deps: InboxDeps,
  note: NormalizedObject,
  board: Board,
  lastChance = false,
): Promise<{ images: UploadedFile[]; refused: string | null }> {
  const takesVideos = deps.s.posting.takesVideos;
  const skipped = note.attachment.filter((a) => isVideo(a) && !videoWanted(a, board, takesVideos));
  if (skipped.length > 0) {
    deps.s.logger.info("video attachments left out: the board does not take them or ffmpeg is missing", {
      object: note.id,
      videos: skipped.length,
    });
  }
  const wanted = note.attachment
    .filter((a) => isImage(a) || (isVideo(a) && videoWanted(a, board, takesVideos)))
    .slice(0, board.settings.maxFiles);
  if (wanted.length === 0) return { images: [], refused: null };
  const author = note.attributedTo === undefined ? null : domainOfUrl(note.attributedTo);
  if (author !== null && (await deps.s.probation.onProbation(author))) {
    // Nothing is fetched from a host on probation: the post is kept without its files, and says why.
    return { images: [], refused: `${author} is on probation; its media is not fetched.` };
  }
  const images: UploadedFile[] = [];
  let refused: string | null = null;
  for (const attachment of wanted) {
    const one = await fetchImage(deps, attachment, board, lastChance);
    if (one.image) images.push(one.image);
    else refused ??= one.refused;
  }
  return { images, refused };
}

async function fetchImage(
  deps: InboxDeps,
  attachment: Attachment,
  board: Board,
  lastChance: boolean,
): Promise<{ image: UploadedFile | null; refused: string | null }> {
  const video = isVideo(attachment);
  const kind = video ? "video" : "image";
  try {
    const res = await deps.http.request(attachment.url, {
      accept: video ? "video/webm, video/mp4" : "image/*",
      maxBytes: board.settings.maxFileSize,
      timeoutMs: video ? VIDEO_TIMEOUT_MS : IMAGE_TIMEOUT_MS,
      // Media for this board: the instance's reject_media rules and the board's own apply.
      scope: { media: true, board: board.uri },
    });
    if (res.status !== 200) {
      const why = `The ${kind} answered ${res.status}.`;
      if (!lastChance && new RemoteError("status", why, { status: res.status }).transient)
        throw new TransientFailure(why);
      return { image: null, refused: why };
    }
    // The processors judge the bytes themselves; this only keeps pages and scripts out.
    if (!(res.headers["content-type"] ?? "").toLowerCase().startsWith(`${kind}/`)) {
      return { image: null, refused: `The attachment is not served as ${video ? "a video" : "an image"}.` };
    }
    return { image: { buffer: res.body, originalName: fileName(attachment.url) }, refused: null };
  } catch (err) {
    if (!(err instanceof FetchRefused || err instanceof FetchFailed)) throw err;
    if (!lastChance && isTransientFetchError(err)) throw new TransientFailure(`The ${kind}: ${err.message}`);
    return { image: null, refused: err.message };
  }
}

/**
 * Which of a mirrored post's files an Update still lists: each file is known by the name it was
 * fetched under (the last part of its URL). An Update with no attachment lists none; one whose
 * attachments name none of the files (they moved, or were renamed) is taken to change none.
 */
export function filesStillListed(files: readonly PostFile[], attachments: readonly Attachment[]): PostFile[] {
  if (attachments.length === 0) return [];
  const names = new Set(attachments.map((a) => displayName(fileName(a.url))));
  const kept = files.filter((f) => names.has(f.filename));
  return kept.length === 0 ? [...files] : kept;
}

function fileName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "") || "image";
  } catch {
    return "image";
  }
}
