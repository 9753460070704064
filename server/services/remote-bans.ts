import { randomUUID } from "node:crypto";
import { isBoardUri } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import type { Store } from "../domain/ports.js";
import type { RemoteBan } from "../domain/remote-bans.js";
import { banTerms, can } from "../domain/staff.js";
import type { Clock } from "./clock.js";
import type { PostingService } from "./posting.js";
import type { Actor } from "./staff.js";

export interface RemoteBanDeps {
  store: Store;
  posting: Pick<PostingService, "deleteRemote">;
  clock: Clock;
  /** The instance's own origin: its accounts are not remote, and are banned by address. */
  publicUrl: string;
}

const MAX_ACTOR_ID = 2048;

export interface RemoteBanInput {
  /** The account's actor id, already resolved from a handle where one was given. */
  actorId: string;
  handle?: string | null | undefined;
  /** The board the ban applies to; null or absent: every board. */
  board?: string | null | undefined;
  reason: string;
  /** null or absent: permanent. */
  durationSeconds?: number | null | undefined;
  /** Remove the account's posts held here (on the board, or everywhere for an instance-wide ban). */
  deletePosts?: boolean | undefined;
}

/**
 * Bans of fediverse accounts: one account cut off from one board or from all of them, without
 * suspending its whole server. The inbox asks `banFor` before it takes a post; staff ban, list and
 * lift with the same permissions as address bans (a board's staff act on their boards only).
 */
export class RemoteBanService {
  constructor(private readonly deps: RemoteBanDeps) {}

  async ban(user: Actor, input: RemoteBanInput): Promise<{ ban: RemoteBan; removed: number }> {
    const board = input.board === undefined || input.board === null || input.board === "" ? null : input.board;
    if (board !== null && !isBoardUri(board)) throw new DomainError("invalid", "board: not a board name.");
    this.require(user, board);
    if (board !== null && !(await this.deps.store.boards.get(board))) {
      throw new DomainError("not_found", `Board /${board}/ does not exist.`);
    }
    const actorId = this.actorId(input.actorId);
    const { reason, durationSeconds: duration } = banTerms(input, "the account");
    if (input.deletePosts !== undefined && typeof input.deletePosts !== "boolean") {
      throw new DomainError("invalid", "delete_posts: true or false.");
    }
    const now = this.deps.clock();
    const same = (await this.deps.store.remoteBans.list()).find(
      (b) => b.actorId === actorId && b.board === board && (b.expiresAt === null || b.expiresAt > now),
    );
    if (same) {
      throw new DomainError(
        "conflict",
        `This account is already banned ${board === null ? "from every board" : `from /${board}/`}.`,
        { ban_id: same.id },
      );
    }
    const ban: RemoteBan = {
      id: randomUUID(),
      actorId,
      handle: typeof input.handle === "string" && input.handle.length <= 300 ? input.handle : null,
      board,
      reason,
      createdAt: now,
      expiresAt: duration === null ? null : now + duration * 1000,
      createdBy: user.username,
      deletePosts: input.deletePosts === true,
    };
    await this.deps.store.remoteBans.create(ban);
    const removed = ban.deletePosts ? await this.removePosts(actorId, board) : 0;
    return { ban, removed };
  }

  /** The ban in force on the account for the board, if any (what the inbox checks). */
  banFor(actorId: string, board: string): Promise<RemoteBan | null> {
    return this.deps.store.remoteBans.findActive(actorId, board, this.deps.clock());
  }

  /** Bans in force the user may see: all for instance-wide staff, their boards' otherwise. */
  async list(user: Actor): Promise<RemoteBan[]> {
    const now = this.deps.clock();
    const scope = can(user, "moderate", null) ? null : user.boards.filter((b) => can(user, "moderate", b));
    return (await this.deps.store.remoteBans.list()).filter(
      (b) =>
        (b.expiresAt === null || b.expiresAt > now) &&
        (scope === null || (b.board !== null && scope.includes(b.board))),
    );
  }

  /** The remote ban with this id, or null (an address ban, or none). */
  async get(id: string): Promise<RemoteBan | null> {
    return typeof id === "string" && id.length <= 100 ? this.deps.store.remoteBans.get(id) : null;
  }

  /** Lifts a ban; returns what was lifted. */
  async unban(user: Actor, id: string): Promise<RemoteBan> {
    const ban = await this.get(id);
    if (!ban) throw new DomainError("not_found", "There is no such ban.");
    this.require(user, ban.board);
    await this.deps.store.remoteBans.delete(ban.id);
    return ban;
  }

  /** Removes the account's posts on the board (every board when null); returns how many went. */
  private async removePosts(actorId: string, board: string | null): Promise<number> {
    const posts = (await this.deps.store.posts.listByAuthors([actorId])).filter(
      (p) => board === null || p.board === board,
    );
    const gone = new Set<string>();
    for (const post of posts) {
      if (gone.has(`${post.board}/${post.no}`)) continue; // went with its thread
      for (const p of await this.deps.posting.deleteRemote(post.board, post.no)) gone.add(`${p.board}/${p.no}`);
    }
    return gone.size;
  }

  private actorId(raw: unknown): string {
    if (typeof raw !== "string" || raw.length > MAX_ACTOR_ID || !/^https?:\/\/[^\s/?#]+\/\S*$/i.test(raw)) {
      throw new DomainError("invalid", "actor: an actor URL, or a handle such as user@host.");
    }
    const own = new URL(this.deps.publicUrl).origin;
    if (new URL(raw).origin === own) {
      throw new DomainError(
        "invalid",
        "actor: that account is on this instance; ban a local poster by post or address.",
      );
    }
    return raw;
  }

  private require(user: Actor, board: string | null): void {
    if (!can(user, "moderate", board)) {
      throw new DomainError(
        "forbidden",
        board === null ? "Only instance-wide staff may do this." : `You may not do this on /${board}/.`,
      );
    }
  }
}
