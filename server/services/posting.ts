import { createHmac, timingSafeEqual } from "node:crypto";
import { type Board, refuseRestrictedThread } from "../domain/board.js";
import { DomainError, StorageError } from "../domain/errors.js";
import { stripFormatChars } from "../domain/format-chars.js";
import { hashIp } from "../domain/ip.js";
import { normalizeComment } from "../domain/markup.js";
import { MediaRefused } from "../domain/media-safety/media-bans.js";
import type { MediaStore, PostingChecks, Store } from "../domain/ports.js";
import { type NewPost, type Post, type ThreadState, withoutFiles } from "../domain/post.js";
import { DEFAULT_TOKEN_ROTATION_DAYS, isPosterToken, posterToken, tokenPeriod } from "../domain/poster-token.js";
import { parseNameField } from "../domain/tripcode.js";
import type { Clock } from "./clock.js";
import type { Cooldowns } from "./cooldowns.js";
import type { PostEvents } from "./events.js";
import { FILTERED, type FilterHold, holdPost, PostHeld, screenPost } from "./held-posts.js";
import type { ImageProcessor } from "./images.js";
import type { Logger } from "./logger.js";
import type { MediaGate } from "./media-ban-index.js";
import type { UploadCounts } from "./metrics.js";
import { insertPublished } from "./named-media.js";
import { LIMITS, postFields } from "./post-fields.js";
import { addresses, fileRecords, type GoneFiles, goneWith, PostFiles, type StoredImage } from "./post-files.js";
import { renderWithQuotes } from "./quote-render.js";
import type { Secrets } from "./secrets.js";
import { displayName, filenamesOf, renamed } from "./upload-name.js";
import type { VideoProcessor } from "./videos.js";
import type { WordFilterService } from "./word-filters.js";

export { displayName };

export interface UploadedFile {
  buffer: Buffer;
  originalName: string;
}

export interface PostInput {
  board: string;
  name?: string | undefined;
  email?: string | undefined;
  subject?: string | undefined;
  comment?: string | undefined;
  password?: string | undefined;
  spoiler?: boolean | undefined;
  file?: UploadedFile | null | undefined;
  /** Several files in order (up to the board's `maxFiles`); used instead of `file` when given. */
  files?: UploadedFile[] | undefined;
  /** The poster's address as the server saw it (behind a trusted proxy, the forwarded one). */
  ip: string;
  /**
   * The request came from staff who may moderate the board (a signed-in staff page or an admin
   * token): they may start threads where only staff may.
   */
  byStaff?: boolean | undefined;
  /**
   * A capcode a signed-in staff member chose for this post (checked by the route against their role),
   * with the public name their account shows; the post carries both instead of a name and tripcode.
   */
  capcode?: { code: string; name: string } | undefined;
}

/** A post from the fediverse, already verified, sanitized and reduced to text by federation. */
export interface RemotePostInput {
  board: string;
  /** The local thread it replies to, or null for a new thread. */
  threadNo: number | null;
  /** The author's handle (`user@host`), shown as the name. */
  name: string;
  subject: string | null;
  /** Text in the imageboard's markup, rendered as a local comment is; cut to the board's comment limit. */
  comment: string;
  /** The post's ActivityPub object id. */
  apId: string;
  /** Its author's actor id. */
  fediActor: string;
  /** The poster token another Atoll instance gave its post, kept so staff here can act on it. */
  posterToken?: string | null | undefined;
  /** The images, fetched by federation, in order; each refused one is left out. */
  images?: UploadedFile[] | undefined;
  spoiler?: boolean | undefined;
}

export interface RemotePostResult {
  post: Post;
  /** Why the image was left out, when one was offered and refused. */
  imageRefused: string | null;
  /** The image was left out because it matches a media ban. */
  imageBanned: boolean;
}

/** What a poster is told when a full disk stopped their post. */
const NOT_SAVED = "The server's storage is full, so your post was not saved. Please try again later.";
/** What a poster is told when the storage did not answer (an object storage service out of reach). */
const NOT_SAVED_UNAVAILABLE =
  "The server's storage is not answering right now, so your post was not saved. Please try again shortly.";

export interface PostingDeps {
  store: Store;
  media: MediaStore;
  images: ImageProcessor;
  /** Null or absent: no ffmpeg here, video uploads are refused. */
  videos?: VideoProcessor | null | undefined;
  secrets: Secrets;
  cooldowns: Cooldowns;
  clock: Clock;
  events: PostEvents;
  logger: Logger;
  mediaBans?: MediaGate | undefined;
  rateLimit: boolean;
  /** Days a poster token stays the same (POSTER_TOKEN_ROTATION_DAYS); 7 when not given. */
  posterTokenRotationDays?: number;
  /**
   * Local posts are announced to followers (federation is on): each is recorded as pending in its
   * own transaction, so its announcement survives a crash before it is queued.
   */
  announce?: boolean;
  /** The word filters every post is screened by; none when absent. */
  filters?: WordFilterService;
  /** Told of every upload stored or refused (the metrics). */
  uploads?: UploadCounts;
}

/**
 * The write path for posts: validation, bans, cooldowns, image work, markup, then one storage
 * transaction. Media is written (content-addressed, atomically) before the post; if the post then
 * fails, blobs no post refers to are removed, so there is never a post without its file nor a file
 * without its post. A full disk (media or database) fails the post with a StorageError, which is
 * logged here and never turned into a refusal: local posters get 507, peers should retry.
 */
export class PostingService {
  private readonly files: PostFiles;
  private readonly ipKey: string;
  private readonly tripKey: string;
  private readonly passwordKey: string;
  private readonly tokenKey: string;

  constructor(private readonly deps: PostingDeps) {
    this.files = new PostFiles(deps);
    this.ipKey = deps.secrets.key("ip");
    this.tripKey = deps.secrets.key("tripcode");
    this.passwordKey = deps.secrets.key("password");
    this.tokenKey = deps.secrets.key("poster-token");
  }

  /** Whether this server processes videos (ffmpeg is present). */
  get takesVideos(): boolean {
    return this.deps.videos != null;
  }

  /** The token a poster with this address hash has on the board at `at` (see poster-token.ts). */
  posterTokenOf(ipHash: string, board: string, at: number): string {
    const days = this.deps.posterTokenRotationDays ?? DEFAULT_TOKEN_ROTATION_DAYS;
    return posterToken(ipHash, board, tokenPeriod(at, days), this.tokenKey);
  }

  hashIp(ip: string): string {
    return hashIp(ip, this.ipKey);
  }

  /**
   * Resolves once no post is being written (or after `timeoutMs`), so shutdown can close the store
   * without cutting off a post whose client has already gone away. Returns how many are still being
   * written (0 when drained).
   */
  async drain(timeoutMs: number): Promise<number> {
    const end = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.inFlight;
  }

  private inFlight = 0;

  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
    }
  }

  /** `known.board`: the board the route read for this request (see boardFor). */
  createThread(input: PostInput, known: { board?: Board } = {}): Promise<Post> {
    return this.tracked(() => this.createThreadNow(input, known));
  }

  createReply(input: PostInput & { threadNo: number }, known: { board?: Board } = {}): Promise<Post> {
    return this.tracked(() => this.createReplyNow(input, known));
  }

  /** `opts`: the board and thread as the caller just read them, each used when it is `input`'s. */
  createRemote(
    input: RemotePostInput,
    opts: { board?: Board; thread?: ThreadState; filterHold?: FilterHold } = {},
  ): Promise<RemotePostResult> {
    return this.tracked(() => this.createRemoteNow(input, opts));
  }

  private async createThreadNow(input: PostInput, known: { board?: Board }): Promise<Post> {
    const board = await this.boardFor(input.board, known.board);
    if (input.byStaff !== true) refuseRestrictedThread(board);
    const file = uploadsOf(input).length > 0;
    if (board.settings.requireImageForThread && !file) {
      throw new DomainError("invalid", "A new thread needs an image.");
    }
    if (!file && !input.comment?.trim()) throw new DomainError("invalid", "A new thread needs a comment or an image.");
    return this.write(board, null, input, async (post, exactTim) => {
      const { post: created } = await this.deps.store.posts.createThread(board.uri, post, {
        maxThreads: board.settings.maxThreads,
        announce: this.deps.announce === true,
        exactTim,
      });
      return created;
    });
  }

  private async createReplyNow(input: PostInput & { threadNo: number }, known: { board?: Board }): Promise<Post> {
    const board = await this.boardFor(input.board, known.board);
    const ipHash = this.hashIp(input.ip);
    const now = this.deps.clock();
    const checks = await this.deps.store.postingChecks(board.uri, input.threadNo, ipHash, now);
    const { thread } = checks;
    if (!thread) throw new DomainError("not_found", `Thread /${board.uri}/${input.threadNo} does not exist.`);
    if (thread.archived) throw new DomainError("locked", "This thread is archived; it takes no more replies.");
    if (thread.locked) throw new DomainError("locked", "This thread is locked.");
    if (uploadsOf(input).length === 0 && !input.comment?.trim())
      throw new DomainError("invalid", "A reply needs a comment or an image.");
    const insert = (post: NewPost, exactTim: boolean) =>
      this.deps.store.posts.createReply(board.uri, input.threadNo, post, {
        bumpLimit: board.settings.bumpLimit,
        imageLimit: board.settings.imageLimit,
        announce: this.deps.announce === true,
        exactTim,
      });
    return this.write(board, input.threadNo, input, insert, { ipHash, now, checks });
  }

  /**
   * Stores a post that arrived over federation. Captcha, cooldowns and address bans do not apply
   * (there is no address; remote posts are policed by domain rules). Board rules still do: a locked or
   * archived thread takes no reply, and a board that needs an image for a thread refuses one without.
   * An image that cannot be used (wrong type, too large, broken, the thread's image limit) is left out
   * rather than failing the post.
   */
  private async createRemoteNow(
    input: RemotePostInput,
    known: { board?: Board; thread?: ThreadState; filterHold?: FilterHold },
  ): Promise<RemotePostResult> {
    const board = await this.boardFor(input.board, known.board);
    const op = input.threadNo === null;
    if (op) refuseRestrictedThread(board);
    if (!op) {
      // The thread's flags are checked again where the reply is stored; this spares the image work.
      const thread =
        known.thread?.board === board.uri && known.thread.no === input.threadNo
          ? known.thread
          : await this.deps.store.posts.getThread(board.uri, input.threadNo!);
      if (!thread) throw new DomainError("not_found", `Thread /${board.uri}/${input.threadNo} does not exist.`);
      if (thread.archived) throw new DomainError("locked", "This thread is archived; it takes no more replies.");
      if (thread.locked) throw new DomainError("locked", "This thread is locked.");
    }
    const { fields: screened, hold } = await screenPost(this.deps.filters, board.uri, "federated", {
      name: stripFormatChars(input.name),
      subject: stripFormatChars(input.subject ?? "").trim(),
      comment: normalizeComment(input.comment),
      ...filenamesOf(input.images ?? []),
    });
    if (hold !== null && known.filterHold !== "post") {
      if (known.filterHold !== "hold") throw new DomainError("forbidden", FILTERED);
      throw new PostHeld({ id: input.apId, board: board.uri, threadNo: input.threadNo }, hold);
    }
    const comment = screened.comment.slice(0, board.settings.maxCommentLength);
    const { html, quotes } = await this.render(board.uri, comment);
    const images: StoredImage[] = [];
    const kept: UploadedFile[] = [];
    let imageRefused: string | null = null;
    let imageBanned = false;
    for (const upload of renamed(input.images ?? [], screened).slice(0, board.settings.maxFiles)) {
      try {
        images.push(await this.files.store(board, upload, op));
        kept.push(upload);
      } catch (err) {
        // A refused image leaves the post without it; our disk being full fails the post.
        if (!(err instanceof DomainError)) {
          await this.files.collectUnreferenced(images.flatMap((i) => [i.sha256, i.thumbSha256]));
          throw this.reported(err, { board: board.uri, thread: input.threadNo, remote: input.apId });
        }
        imageRefused ??= err.message;
        imageBanned ||= err instanceof MediaRefused;
      }
    }
    const image = images[0] ?? null;
    if (op && !image && board.settings.requireImageForThread) {
      throw new DomainError("invalid", "A new thread on this board needs an image.");
    }
    if (!image && !comment.trim()) throw new DomainError("invalid", "The post has neither text nor a usable image.");
    const post: NewPost = {
      createdAt: this.deps.clock(),
      name: screened.name.slice(0, LIMITS.name) || board.settings.defaultName,
      trip: null,
      capcode: null,
      subject: screened.subject.slice(0, LIMITS.subject) || null,
      comment,
      html,
      quotes,
      posterId: null,
      sage: false,
      ...fileRecords(images, kept, kept[0]?.originalName ?? "", input.spoiler === true, this.deps.clock()),
      fileDeleted: false,
      ipHash: null,
      posterToken: isPosterToken(input.posterToken) ? input.posterToken : null,
      passwordHash: null,
      apId: input.apId,
      fediActor: input.fediActor,
    };
    const insert = (p: NewPost, exactTim = false): Promise<Post> =>
      input.threadNo === null
        ? this.deps.store.posts
            .createThread(board.uri, p, { maxThreads: board.settings.maxThreads, exactTim })
            .then((r) => r.post)
        : this.deps.store.posts.createReply(board.uri, input.threadNo, p, {
            bumpLimit: board.settings.bumpLimit,
            imageLimit: board.settings.imageLimit,
            exactTim,
          });
    let created: Post;
    try {
      try {
        created = await insertPublished(this.deps.media, this.deps.store.posts, board.uri, post, insert, this.warn);
      } catch (err) {
        // The thread reached its image limit: the text still goes in.
        if (!(err instanceof DomainError && err.kind === "forbidden" && post.file)) throw err;
        imageRefused = "The thread has reached its image limit.";
        created = await insert({ ...post, file: null, extraFiles: [] });
        await this.files.collectUnreferenced(addresses(images));
      }
    } catch (err) {
      await this.files.collectUnreferenced(addresses(images));
      throw this.reported(err, { board: board.uri, thread: input.threadNo, remote: input.apId });
    }
    this.deps.events.emit({ type: "post_created", post: created });
    return { post: created, imageRefused, imageBanned };
  }

  /** Deletes a post without a password check (its fediverse author deleted it); returns what went. */
  async deleteRemote(boardUri: string, no: number): Promise<Post[]> {
    const { deleted, orphans } = await this.deps.store.posts.deletePost(boardUri, no);
    await this.removeBlobs(orphans, goneWith(boardUri, deleted));
    for (const p of deleted) this.deps.events.emit({ type: "post_deleted", post: p });
    return deleted;
  }

  /** Deletes a post (or only its file) when `password` matches the one it was posted with. */
  async deleteOwn(boardUri: string, no: number, password: string, fileOnly: boolean): Promise<void> {
    const post = await this.deps.store.posts.getPost(boardUri, no);
    if (!post) throw new DomainError("not_found", `Post /${boardUri}/${no} does not exist.`);
    if (!post.passwordHash || !password || !safeEqual(post.passwordHash, this.hashPassword(password))) {
      throw new DomainError("forbidden", "Wrong password for this post.");
    }
    if (fileOnly) {
      if (!post.file) throw new DomainError("invalid", "This post has no file.");
      const gone = await this.deps.store.posts.deleteFile(boardUri, no);
      await this.removeBlobs(gone.orphans, { board: boardUri, files: gone.removed });
      this.deps.events.emit({ type: "file_deleted", post: gone.post ?? withoutFiles(post) });
    } else {
      const { deleted, orphans } = await this.deps.store.posts.deletePost(boardUri, no);
      await this.removeBlobs(orphans, goneWith(boardUri, deleted));
      for (const p of deleted) this.deps.events.emit({ type: "post_deleted", post: p });
    }
  }

  hashPassword(password: string): string {
    return createHmac("sha256", this.passwordKey).update(password).digest("base64url");
  }

  /** Removes the names of the files `gone` lists, then the blobs no post refers to any more. */
  removeBlobs(addresses: readonly string[], gone?: GoneFiles): Promise<void> {
    return this.files.removeBlobs(addresses, gone);
  }

  private readonly warn = (message: string, fields: Record<string, unknown>): void =>
    this.deps.logger.warn(message, fields);

  private async board(uri: string): Promise<Board> {
    const board = await this.deps.store.boards.get(uri);
    if (!board) throw new DomainError("not_found", `Board /${uri}/ does not exist.`);
    return board;
  }

  /** The board a caller read for this request when it is `uri`'s: one reading judges one request. */
  private boardFor(uri: string, known: Board | undefined): Promise<Board> {
    return known?.uri === uri ? Promise.resolve(known) : this.board(uri);
  }

  private async write(
    board: Board,
    threadNo: number | null,
    input: PostInput,
    insert: (post: NewPost, exactTim: boolean) => Promise<Post>,
    read?: { ipHash: string; now: number; checks: PostingChecks },
  ): Promise<Post> {
    const fields = postFields(board, input);
    const ipHash = read?.ipHash ?? this.hashIp(input.ip);
    const now = read?.now ?? this.deps.clock();
    const { ban, filterVersion } = read?.checks ?? (await this.deps.store.postingChecks(board.uri, null, ipHash, now));
    if (ban) {
      const until = ban.expiresAt === null ? "permanently" : `until ${new Date(ban.expiresAt).toUTCString()}`;
      // The poster may appeal once; the answer is shown with the ban.
      const appeal = await this.deps.store.appeals.forBan(ban.id);
      throw new DomainError("forbidden", `You are banned ${until}: ${ban.reason}`, {
        ban: {
          id: ban.id,
          appeal: appeal ? { status: appeal.status, reason: appeal.decisionReason } : null,
          reason: ban.reason,
          expires_at: ban.expiresAt ? new Date(ban.expiresAt).toISOString() : null,
          board: ban.board,
        },
      });
    }
    const kind = threadNo === null ? "thread" : "reply";
    const seconds = kind === "thread" ? board.settings.threadCooldown : board.settings.replyCooldown;
    const release = this.deps.rateLimit ? await this.deps.cooldowns.take(ipHash, kind, seconds) : null;
    const uploads = uploadsOf(input);
    let images: StoredImage[] = [];
    try {
      const { name, trip } = parseNameField(fields.name, {
        defaultName: board.settings.defaultName,
        forcedAnon: board.settings.forcedAnon,
        secureSecret: this.tripKey,
      });
      // Staff posting as staff (a staff page, an admin token) are not screened.
      const filters = input.byStaff === true ? undefined : this.deps.filters;
      const typed = { name, subject: fields.subject, comment: fields.comment, ...filenamesOf(uploads) };
      const { fields: screened, hold } = await screenPost(filters, board.uri, "local", typed, filterVersion);
      const { html, quotes } = await this.render(board.uri, screened.comment);
      images = await this.files.storeAll(board, uploads, threadNo === null);
      const post: NewPost = {
        createdAt: now,
        name: input.capcode ? input.capcode.name : screened.name,
        trip: input.capcode ? null : trip,
        capcode: input.capcode?.code ?? null,
        subject: screened.subject || null,
        comment: screened.comment,
        html,
        quotes,
        posterId: null,
        sage: fields.sage,
        ...fileRecords(images, renamed(uploads, screened), screened.filename, input.spoiler === true, now),
        fileDeleted: false,
        ipHash,
        posterToken: this.posterTokenOf(ipHash, board.uri, now),
        passwordHash: fields.password ? this.hashPassword(fields.password) : null,
        apId: null,
        fediActor: null,
      };
      if (hold !== null) await holdPost(this.deps, { board: board.uri, threadNo, reason: hold }, post);
      const created = await insertPublished(this.deps.media, this.deps.store.posts, board.uri, post, insert, this.warn);
      this.deps.events.emit({ type: "post_created", post: created });
      return created;
    } catch (err) {
      // A held post keeps its file and counts against the cooldown.
      if (err instanceof PostHeld) throw err;
      // A slot left held only makes the poster wait: the post's own error is the one to report.
      await release?.().catch((e: unknown) => this.deps.logger.warn("cooldown not given back", { err: e }));
      await this.files.collectUnreferenced(addresses(images));
      throw this.reported(err, { board: board.uri, thread: threadNo });
    }
  }

  /** Logs a full disk as the error it is for the operator, and gives the poster's account of it. */
  private reported(err: unknown, where: Record<string, unknown>): unknown {
    if (!(err instanceof StorageError)) return err;
    const what = err.store === "media" ? "media storage" : "database";
    if (err.reason === "unavailable") {
      this.deps.logger.error(`post not saved: the ${what} is unavailable`, { ...where, unavailable: err.store, err });
      return err.withDetail(NOT_SAVED_UNAVAILABLE);
    }
    this.deps.logger.error(`post not saved: the ${what} is full`, { ...where, full: err.store, err });
    return err.withDetail(NOT_SAVED);
  }

  /** A comment in the imageboard's markup as the HTML a post on `boardUri` shows (see renderMarkup). */
  renderComment(boardUri: string, comment: string): Promise<{ html: string; quotes: number[] }> {
    return this.render(boardUri, comment);
  }

  private render(boardUri: string, comment: string) {
    return renderWithQuotes(this.deps.store, boardUri, comment);
  }
}

function uploadsOf(input: PostInput): UploadedFile[] {
  return input.files ?? (input.file ? [input.file] : []);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
