import { randomUUID } from "node:crypto";
import { isBoardUri } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import {
  DEFAULT_PDQ_DISTANCE,
  isHash64,
  LOCAL_SOURCE,
  MAX_MEDIA_BAN_REASON,
  MAX_PDQ_DISTANCE,
  type MediaBan,
  type MediaBanKind,
} from "../domain/media-safety/media-bans.js";
import { publicReason } from "../domain/moderation-log.js";
import type { MediaStore, Store } from "../domain/ports.js";
import { filesOf, type Post } from "../domain/post.js";
import { can } from "../domain/staff.js";
import type { Clock } from "./clock.js";
import { MIN_PDQ_QUALITY } from "./media-ban-index.js";
import { pdqOfImage } from "./media-hash.js";
import type { ModerationService } from "./moderation.js";
import type { Actor } from "./staff.js";

export interface MediaBanInput {
  sha256?: unknown;
  pdq?: unknown;
  /** `board/no`: ban that post's file and delete it from the post. */
  post?: unknown;
  reason?: unknown;
  distance?: unknown;
}

/** What staff see when a federated post arrived with a banned file, which was left out. */
export const REFUSED_ATTACHMENT_REPORT =
  "Automatic: a file matching a media ban was refused; the post was kept without it.";

/**
 * Staff actions on media bans: listing, adding and lifting bans, the export of this instance's own
 * list, and "delete and ban this file". Bans are instance-wide: managing them takes instance-wide
 * moderators; deleting and banning a post's file takes a moderator of the post's board.
 */
export class MediaBanService {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      moderation: Pick<ModerationService, "deletePost">;
      /** Where the post's kept original is read from, for its perceptual hash. */
      media: Pick<MediaStore, "open">;
    },
  ) {}

  async list(user: Actor): Promise<MediaBan[]> {
    this.requireInstance(user);
    return this.deps.store.mediaBans.list();
  }

  /** Bans one hash given as is. A hash already banned here is a conflict naming the ban. */
  async create(user: Actor, input: MediaBanInput): Promise<MediaBan> {
    this.requireInstance(user);
    const given = (["sha256", "pdq", "post"] as const).filter((k) => input[k] !== undefined);
    if (given.length !== 1 || given[0] === "post") {
      throw new DomainError("invalid", 'Give exactly one of "sha256", "pdq" or "post".');
    }
    const kind = given[0] as MediaBanKind;
    const hash = typeof input[kind] === "string" ? input[kind].trim().toLowerCase() : "";
    if (!isHash64(hash)) throw new DomainError("invalid", `${kind}: 64 hexadecimal digits.`);
    const distance = kind === "pdq" ? pdqDistance(input.distance) : noDistance(input.distance);
    const existing = await this.deps.store.mediaBans.find(kind, hash, LOCAL_SOURCE);
    if (existing) {
      throw new DomainError("conflict", "This file is already banned.", { media_ban_id: existing.id });
    }
    const ban = this.ban(user, kind, hash, distance, banReason(input.reason));
    if (!(await this.deps.store.mediaBans.add(ban))) throw new DomainError("conflict", "This file is already banned.");
    await this.audit(user, "ban.create", ban);
    return ban;
  }

  /**
   * Delete and ban this file: bans the post's file by its hash (a hash banned already stays as it
   * is), then deletes the file from the post as a moderator's file deletion does: logged publicly
   * without any hash, the removal sent to the board's followers, the reports on the post settled.
   * `tim` names one file of several; without it every file of the post is banned and deleted.
   * Returns the bans added.
   */
  async banPostFile(user: Actor, ref: unknown, reasonInput: unknown, tim?: number): Promise<MediaBan[]> {
    const post = await this.postOf(user, ref);
    const reason = banReason(reasonInput);
    // The deletion's public reason is checked first, so nothing is banned when the deletion would be refused.
    publicReason(reason);
    const present = post.fileDeleted ? [] : filesOf(post);
    if (present.length === 0) throw new DomainError("invalid", "This post has no file.");
    const files = tim === undefined ? present : present.filter((f) => f.tim === tim);
    if (files.length === 0) throw new DomainError("not_found", `Post /${post.board}/${post.no} has no file ${tim}.`);
    const added: MediaBan[] = [];
    for (const file of files) {
      if (!(await this.deps.store.mediaBans.find("sha256", file.sha256, LOCAL_SOURCE))) {
        const ban = this.ban(user, "sha256", file.sha256, null, reason);
        if (await this.deps.store.mediaBans.add(ban)) added.push(ban);
      }
      // Resized and re-encoded copies are caught by the picture's likeness (featureless pictures excepted).
      const likeness = file.mime.startsWith("image/") ? await this.pdqOfStored(file.sha256) : null;
      if (likeness && !(await this.deps.store.mediaBans.find("pdq", likeness, LOCAL_SOURCE))) {
        const ban = this.ban(user, "pdq", likeness, DEFAULT_PDQ_DISTANCE, reason);
        if (await this.deps.store.mediaBans.add(ban)) added.push(ban);
      }
    }
    await this.deps.moderation.deletePost(user, post.board, post.no, {
      reason,
      ...(tim === undefined ? { fileOnly: true } : { tim }),
    });
    for (const ban of added) await this.audit(user, "ban.create", ban, `${post.board}/${post.no}`);
    return added;
  }

  /** The PDQ hash of a kept original, or null when it is gone, not a picture, or too featureless. */
  private async pdqOfStored(sha256: string): Promise<string | null> {
    const opened = await this.deps.media.open(sha256);
    if (!opened) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    const hash = await pdqOfImage(Buffer.concat(chunks));
    return hash !== null && hash.quality >= MIN_PDQ_QUALITY ? hash.hex : null;
  }

  async remove(user: Actor, id: string): Promise<MediaBan> {
    this.requireInstance(user);
    const removed = id.length <= 100 ? await this.deps.store.mediaBans.delete(id) : null;
    if (!removed) throw new DomainError("not_found", "There is no such media ban.");
    await this.audit(user, "ban.lift", removed);
    return removed;
  }

  /**
   * This instance's own bans as text, one a line: `sha256 <hash>` or `pdq <hash> <distance>`.
   * Entries from subscribed lists are not repeated.
   */
  async exportText(user: Actor): Promise<string> {
    const own = (await this.list(user)).filter((b) => b.source === LOCAL_SOURCE);
    return (
      own
        .map((b) => (b.kind === "pdq" ? `pdq ${b.hash} ${b.distance ?? DEFAULT_PDQ_DISTANCE}` : `sha256 ${b.hash}`))
        .join("\n") + (own.length > 0 ? "\n" : "")
    );
  }

  /** Staff changes to bans go in the trail the hash lists keep, so one page shows both. */
  private async audit(user: Actor, action: string, ban: MediaBan, post?: string): Promise<void> {
    await this.deps.store.mediaBanLists.addAudit({
      id: randomUUID(),
      at: this.deps.clock(),
      actor: user.username,
      action,
      listId: null,
      detail: {
        kind: ban.kind,
        hash: ban.hash,
        ...(ban.distance === null ? {} : { distance: ban.distance }),
        reason: ban.reason,
        source: ban.source,
        ...(post === undefined ? {} : { post }),
      },
    });
  }

  private ban(user: Actor, kind: MediaBanKind, hash: string, distance: number | null, reason: string): MediaBan {
    return {
      id: randomUUID(),
      kind,
      hash,
      distance,
      reason,
      createdBy: user.username,
      createdAt: this.deps.clock(),
      source: LOCAL_SOURCE,
    };
  }

  private async postOf(user: Actor, ref: unknown): Promise<Post> {
    const m = typeof ref === "string" ? /^([a-z0-9]{1,30})\/([1-9][0-9]{0,14})$/.exec(ref) : null;
    if (!m || !isBoardUri(m[1] as string)) {
      throw new DomainError("invalid", 'post: written "board/number", for example "b/123".');
    }
    const board = m[1] as string;
    if (!can(user, "moderate", board)) throw new DomainError("forbidden", `You may not do this on /${board}/.`);
    const post = await this.deps.store.posts.getPost(board, Number(m[2]));
    if (!post) throw new DomainError("not_found", `Post /${board}/${m[2]} does not exist.`);
    return post;
  }

  private requireInstance(user: Actor): void {
    if (!can(user, "moderate", null)) throw new DomainError("forbidden", "Only instance-wide staff may do this.");
  }
}

/**
 * Puts a federated post whose file was refused as banned in front of its board's staff: an open
 * report in the board's queue, from no address and sent nowhere.
 */
export async function reportRefusedAttachment(s: { store: Store; clock: Clock }, post: Post): Promise<void> {
  await s.store.reports.create({
    id: randomUUID(),
    board: post.board,
    postNo: post.no,
    reason: REFUSED_ATTACHMENT_REPORT,
    createdAt: s.clock(),
    ipHash: null,
    resolved: false,
  });
}

function banReason(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new DomainError("invalid", "reason: text.");
  const reason = value.trim();
  if (reason.length > MAX_MEDIA_BAN_REASON) {
    throw new DomainError("invalid", `reason: at most ${MAX_MEDIA_BAN_REASON} characters.`);
  }
  return reason;
}

function pdqDistance(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_PDQ_DISTANCE;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_PDQ_DISTANCE) {
    throw new DomainError("invalid", `distance: a whole number of bits from 0 to ${MAX_PDQ_DISTANCE}.`);
  }
  return value;
}

function noDistance(value: unknown): null {
  if (value !== undefined && value !== null) throw new DomainError("invalid", "distance: only for a pdq ban.");
  return null;
}
