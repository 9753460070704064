import { randomUUID } from "node:crypto";
import { isBoardUri } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { type ModerationAction, publicReason, publicStaffLabel } from "../domain/moderation-log.js";
import type { Store } from "../domain/ports.js";
import type { Post } from "../domain/post.js";
import { type HiddenPosterToken, isPosterToken } from "../domain/poster-token.js";
import { type Ban, can } from "../domain/staff.js";
import type { Clock } from "./clock.js";
import type { ModerationService } from "./moderation.js";
import type { Actor } from "./staff.js";

export interface PosterTokenDeps {
  store: Store;
  moderation: Pick<ModerationService, "ban" | "deletePost">;
  clock: Clock;
  /** Called after a token is hidden or shown again, so the read side drops what it holds. */
  onChange: () => void;
}

/** Most posts of one token acted on at once (a token lives one rotation period on one board). */
const MAX_TOKEN_POSTS = 1000;

export interface TokenBanInput {
  reason: string;
  /** null or absent: permanent. */
  durationSeconds?: number | null | undefined;
  /** Also delete the board's posts that carry the token. */
  deletePosts?: boolean | undefined;
}

/**
 * What staff do with poster tokens, the pseudonymous per-board handles of anonymous posters. On a
 * board that mirrors another instance's, staff hide a token's posts from readers; on the board the
 * token comes from, staff ban the poster behind it: the token leads to the board's own posts, those
 * to the address hash, and that to an ordinary address ban, so no address is ever shown or sent.
 *
 * The public log records a hiding by the staff role and reason, never the token: printed there, it
 * would link every post of one anonymous poster on the board for its whole period, which is the
 * very thing per-thread poster IDs keep readers from doing.
 */
export class PosterTokenService {
  constructor(private readonly deps: PosterTokenDeps) {}

  async hide(user: Actor, board: string, token: unknown, reasonInput?: unknown): Promise<HiddenPosterToken> {
    await this.boardFor(user, board);
    const reason = publicReason(reasonInput);
    const checked = await this.knownToken(board, token, false);
    const entry: HiddenPosterToken = {
      board,
      token: checked,
      reason,
      createdBy: user.username,
      createdAt: this.deps.clock(),
    };
    if (!(await this.deps.store.hiddenTokens.hide(entry))) {
      throw new DomainError("conflict", `This poster's posts are already hidden on /${board}/.`);
    }
    await this.record(user, board, "hide_poster", reason);
    this.deps.onChange();
    return entry;
  }

  async unhide(user: Actor, board: string, token: unknown): Promise<void> {
    await this.boardFor(user, board);
    if (!isPosterToken(token) || !(await this.deps.store.hiddenTokens.unhide(board, token))) {
      throw new DomainError("not_found", `No poster's posts are hidden on /${board}/ under this token.`);
    }
    await this.record(user, board, "unhide_poster", "");
    this.deps.onChange();
  }

  /** The tokens hidden on the boards the user moderates (one board's when `board` is given). */
  async list(user: Actor, board: string | null): Promise<HiddenPosterToken[]> {
    if (board !== null) {
      await this.boardFor(user, board);
      return this.deps.store.hiddenTokens.list(board);
    }
    const all = await this.deps.store.hiddenTokens.list(null);
    return all.filter((h) => can(user, "moderate", h.board));
  }

  /**
   * Bans, by address, the poster behind one of this board's own tokens (from a report a mirror
   * sent, say). A token no local post of the board carries (forged, another board's, mirrored
   * from elsewhere) is refused, and nothing is banned.
   */
  async banPoster(
    user: Actor,
    board: string,
    token: unknown,
    input: TokenBanInput,
  ): Promise<{ ban: Ban; removed: number }> {
    await this.boardFor(user, board);
    if (input.deletePosts !== undefined && typeof input.deletePosts !== "boolean") {
      throw new DomainError("invalid", "delete_posts: true or false.");
    }
    const checked = await this.knownToken(board, token, true);
    const posts = await this.ownPosts(board, checked);
    // The ban goes through a post, as a moderator's ban of a post's author does: the reports on it
    // are settled and the log names the post, not the address. The reported post when there is one.
    const open = await this.deps.store.reports.listOpen([board]);
    const named = posts.find((p) => open.some((r) => r.postNo === p.no)) ?? (posts[0] as Post);
    const ban = await this.deps.moderation.ban(user, {
      board,
      post: `${board}/${named.no}`,
      reason: input.reason,
      durationSeconds: input.durationSeconds,
    });
    let removed = 0;
    if (input.deletePosts === true) {
      for (const post of posts) {
        const still = await this.deps.store.posts.getPost(board, post.no);
        // A thread deleted earlier in the loop took its replies with it.
        if (!still) continue;
        await this.deps.moderation.deletePost(user, board, post.no, { reason: ban.reason });
        removed++;
      }
    }
    return { ban, removed };
  }

  /** The board's own posts (written here, with an address) carrying the token, newest first. */
  private async ownPosts(board: string, token: string): Promise<Post[]> {
    const posts = await this.deps.store.posts.postsByPosterToken(board, token, MAX_TOKEN_POSTS);
    return posts.filter((p) => p.apId === null && p.ipHash !== null);
  }

  private async knownToken(board: string, token: unknown, own: boolean): Promise<string> {
    if (!isPosterToken(token)) throw new DomainError("invalid", "token: not a poster token.");
    const found = own
      ? await this.ownPosts(board, token)
      : await this.deps.store.posts.postsByPosterToken(board, token, 1);
    if (found.length === 0) {
      throw new DomainError(
        "not_found",
        own
          ? `No post written on /${board}/ carries this poster token.`
          : `No post on /${board}/ carries this poster token.`,
      );
    }
    return token;
  }

  private async boardFor(user: Actor, board: string): Promise<void> {
    if (!isBoardUri(board) || !(await this.deps.store.boards.get(board))) {
      throw new DomainError("not_found", `Board /${String(board).slice(0, 40)}/ does not exist.`);
    }
    if (!can(user, "moderate", board)) throw new DomainError("forbidden", `You may not do this on /${board}/.`);
  }

  private async record(user: Actor, board: string, action: ModerationAction, reason: string): Promise<void> {
    await this.deps.store.modLog.append({
      id: randomUUID(),
      board,
      action,
      postNo: null,
      reason,
      by: publicStaffLabel(user.role),
      createdAt: this.deps.clock(),
    });
  }
}
