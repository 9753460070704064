import { DomainError } from "./errors.js";

/** The image types Atoll accepts. Detected from the bytes, never from names or headers. */
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
/** The video types Atoll accepts (WebM: VP8/VP9/AV1 with Vorbis/Opus; MP4: H.264 with AAC). */
export const VIDEO_TYPES = ["video/webm", "video/mp4"] as const;
export type VideoType = (typeof VIDEO_TYPES)[number];
/** Every type a board's `allowedTypes` may name. */
export const MEDIA_TYPES = [...IMAGE_TYPES, ...VIDEO_TYPES] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

export function isVideoType(type: string): type is VideoType {
  return (VIDEO_TYPES as readonly string[]).includes(type);
}

/**
 * When a board asks for a captcha: as the instance's CAPTCHA setting says (`default`), never, for new
 * threads only, or for every post.
 */
export const CAPTCHA_MODES = ["default", "off", "threads", "all"] as const;
export type CaptchaMode = (typeof CAPTCHA_MODES)[number];

/** Longest board announcement, in characters. */
export const MAX_ANNOUNCEMENT = 2000;

/** A board banner's bounds, as 4chan's: at most 300×100 pixels and 500 KB. */
export const BANNER_MAX_WIDTH = 300;
export const BANNER_MAX_HEIGHT = 100;
export const BANNER_MAX_BYTES = 500 * 1024;
/** A banner as stored in the settings: the media blob's sha256 and the extension of its type. */
export const BANNER_FILE = /^([0-9a-f]{64})(\.jpg|\.png|\.gif|\.webp)$/;

export interface BoardSettings {
  /** Replies after which a thread stops bumping. */
  bumpLimit: number;
  /** Live threads kept; older ones (by bump order, stickies excepted) move to the archive. */
  maxThreads: number;
  /** Images a thread accepts before image replies are refused. */
  imageLimit: number;
  /** Threads shown per index page. */
  threadsPerPage: number;
  /** Largest accepted upload, in bytes. */
  maxFileSize: number;
  /** Files one post may carry: the first in 4chan's file fields, the rest in `extra_files`. */
  maxFiles: number;
  /** Images by default; videos only where the board owner adds them (they need ffmpeg). */
  allowedTypes: MediaType[];
  /** Longest accepted video, in seconds. */
  maxVideoDuration: number;
  defaultName: string;
  /** A new thread must carry an image. */
  requireImageForThread: boolean;
  /** Per-thread poster IDs. */
  posterIds: boolean;
  /** Names and tripcodes are dropped: everyone is the default name. */
  forcedAnon: boolean;
  /** Safe-for-work board (shown as such in listings and boards.json `ws_board`). */
  sfw: boolean;
  /** Longest accepted comment, in characters. */
  maxCommentLength: number;
  /** Seconds between two new threads from one address. */
  threadCooldown: number;
  /** Seconds between two replies from one address. */
  replyCooldown: number;
  /** Only staff start threads; everyone may still reply (Lemmy's `postingRestrictedToMods`). */
  postingRestrictedToMods: boolean;
  /** Shown on the overboard and in search across boards; an unlisted board is found by its address only. */
  listed: boolean;
  /** When posting here needs a captcha (see CAPTCHA_MODES). */
  captchaMode: CaptchaMode;
  /** The board owner's announcement, shown under the header (comment markup's safe subset); "" for none. */
  announcement: string;
  /** The banner shown atop the board's pages, as `<sha256><ext>` of a stored blob (BANNER_FILE); "" for none. */
  banner: string;
}

export const DEFAULT_BOARD_SETTINGS: Readonly<BoardSettings> = Object.freeze({
  bumpLimit: 300,
  maxThreads: 150,
  imageLimit: 150,
  threadsPerPage: 10,
  maxFileSize: 8 * 1024 * 1024,
  maxFiles: 4,
  allowedTypes: [...IMAGE_TYPES],
  maxVideoDuration: 300,
  defaultName: "Anonymous",
  requireImageForThread: true,
  posterIds: false,
  forcedAnon: false,
  sfw: true,
  maxCommentLength: 4000,
  threadCooldown: 60,
  replyCooldown: 10,
  postingRestrictedToMods: false,
  listed: true,
  captchaMode: "default",
  announcement: "",
  banner: "",
});

export interface Board {
  /** Short name used in URLs: `/{uri}/`. */
  uri: string;
  title: string;
  description: string;
  settings: BoardSettings;
  createdAt: number;
}

const BOARD_URI = /^[a-z0-9]{1,30}$/;
/** Names a board may not take because routes or well-known paths use them. */
const RESERVED_URIS = new Set([
  "api",
  "admin",
  "about",
  "media",
  "static",
  "boards",
  "ap",
  "captcha",
  "users",
  "nodeinfo",
  "inbox",
  "actor",
  "post",
  "health",
  "overboard",
  "search",
]);

/** Whether a value can name a board (reserved names included): the check every route makes first. */
export function isBoardUri(value: unknown): value is string {
  return typeof value === "string" && BOARD_URI.test(value);
}

export function validateBoardUri(uri: string): string {
  if (!BOARD_URI.test(uri)) {
    throw new DomainError("invalid", "A board name is 1 to 30 lowercase letters or digits.");
  }
  if (RESERVED_URIS.has(uri)) {
    throw new DomainError("invalid", `"${uri}" is reserved and cannot name a board.`);
  }
  return uri;
}

/**
 * The board's index pages at capacity: `ceil(maxThreads / threadsPerPage)`, whatever it holds now
 * (4chan's `pages`). Every live thread is on one of them, since a board holds at most `maxThreads`.
 */
export function pageCapacity(board: Pick<Board, "settings">): number {
  const s = board.settings;
  return Math.max(1, Math.ceil(s.maxThreads / s.threadsPerPage));
}

/** A board where only staff start threads refuses anyone else's new thread; replies stay open. */
export function refuseRestrictedThread(board: Board): void {
  if (board.settings.postingRestrictedToMods) {
    throw new DomainError("forbidden", `Only staff start threads on /${board.uri}/; anyone may reply.`);
  }
}

/** Whether a new thread (`thread`) or a reply on `board` needs a captcha, given the instance's default. */
export function captchaNeeded(
  board: Pick<Board, "settings">,
  instanceDefault: boolean,
  kind: "thread" | "reply",
): boolean {
  switch (board.settings.captchaMode) {
    case "default":
      return instanceDefault;
    case "off":
      return false;
    case "threads":
      return kind === "thread";
    case "all":
      return true;
  }
}

export function isCaptchaMode(value: unknown): value is CaptchaMode {
  return typeof value === "string" && (CAPTCHA_MODES as readonly string[]).includes(value);
}
