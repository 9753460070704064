import { randomUUID } from "node:crypto";
import type { Appeal } from "../domain/appeal.js";
import { DomainError } from "../domain/errors.js";
import type { Store } from "../domain/ports.js";
import { type Ban, can } from "../domain/staff.js";
import type { Clock } from "./clock.js";
import type { PostingService } from "./posting.js";
import type { Actor } from "./staff.js";

export interface AppealDeps {
  store: Store;
  posting: Pick<PostingService, "hashIp">;
  clock: Clock;
}

export const MAX_APPEAL_TEXT = 2000;
export const MAX_APPEAL_ANSWER = 500;
/** Most appeals one listing shows. */
const LIST_LIMIT = 500;

/**
 * Ban appeals: the banned poster (recognised by the address the ban is for, as nothing else
 * identifies an anonymous poster) appeals once per ban; staff who may moderate the ban's board
 * accept (the ban is lifted) or reject it, each with a reason the poster reads.
 */
export class AppealService {
  constructor(private readonly deps: AppealDeps) {}

  /** Files the poster's appeal of a ban in force. */
  async appeal(input: { banId: unknown; text: unknown; ip: string }): Promise<Appeal> {
    const ban = await this.banInForce(input.banId);
    if (!ban || ban.ipHash !== this.deps.posting.hashIp(input.ip)) {
      // The same answer for a ban that is not theirs: a ban id reveals nothing about other posters.
      throw new DomainError("not_found", "There is no ban in force with this id for you.");
    }
    const text = typeof input.text === "string" ? input.text.trim() : "";
    if (text.length === 0) throw new DomainError("invalid", "text: say why the ban should be lifted.");
    if (text.length > MAX_APPEAL_TEXT) throw new DomainError("invalid", `text: at most ${MAX_APPEAL_TEXT} characters.`);
    const appeal: Appeal = {
      id: randomUUID(),
      banId: ban.id,
      board: ban.board,
      ipHash: ban.ipHash,
      banReason: ban.reason,
      text,
      status: "open",
      createdAt: this.deps.clock(),
      decidedAt: null,
      decisionReason: null,
      decidedBy: null,
    };
    const earlier = await this.deps.store.appeals.forBan(ban.id);
    if (earlier) throw new DomainError("conflict", "This ban has already been appealed.", { appeal_id: earlier.id });
    await this.deps.store.appeals.create(appeal);
    return appeal;
  }

  /** The appeal of a ban as its poster may read it (null for anyone else, or when there is none). */
  async forPoster(banId: string, ip: string): Promise<Appeal | null> {
    const appeal = await this.deps.store.appeals.forBan(banId);
    return appeal && appeal.ipHash === this.deps.posting.hashIp(ip) ? appeal : null;
  }

  /** The ban itself, for its poster's page (null for anyone else or when lifted or expired). */
  async banForPoster(banId: string, ip: string): Promise<Ban | null> {
    const ban = await this.banInForce(banId);
    return ban && ban.ipHash === this.deps.posting.hashIp(ip) ? ban : null;
  }

  /** Appeals the user may answer, newest first: the open ones, or all when `all`. */
  async list(user: Actor, opts: { all?: boolean } = {}): Promise<Appeal[]> {
    const boards = can(user, "moderate", null) ? null : user.boards.filter((b) => can(user, "moderate", b));
    if (boards !== null && boards.length === 0) return [];
    return this.deps.store.appeals.list({ openOnly: opts.all !== true, boards, limit: LIST_LIMIT });
  }

  /** Accepts an appeal: the ban goes, and the poster reads `reason`. */
  async accept(user: Actor, id: string, reason: unknown): Promise<Appeal> {
    const decided = await this.decide(user, id, "accepted", reason);
    await this.deps.store.bans.delete(decided.banId);
    return decided;
  }

  /** Rejects an appeal: the ban stays, and the poster reads `reason`. */
  async reject(user: Actor, id: string, reason: unknown): Promise<Appeal> {
    return this.decide(user, id, "rejected", reason);
  }

  private async decide(user: Actor, id: string, status: "accepted" | "rejected", reason: unknown): Promise<Appeal> {
    const appeal = typeof id === "string" && id.length <= 100 ? await this.deps.store.appeals.get(id) : null;
    if (!appeal || !can(user, "moderate", appeal.board)) throw new DomainError("not_found", "There is no such appeal.");
    const text = typeof reason === "string" ? reason.trim() : "";
    if (text.length === 0) throw new DomainError("invalid", "reason: the poster is told why; give a reason.");
    if (text.length > MAX_APPEAL_ANSWER)
      throw new DomainError("invalid", `reason: at most ${MAX_APPEAL_ANSWER} characters.`);
    const decided = await this.deps.store.appeals.decide(appeal.id, {
      status,
      reason: text,
      by: user.username,
      at: this.deps.clock(),
    });
    if (!decided) throw new DomainError("conflict", `This appeal was already ${appeal.status}.`);
    return decided;
  }

  private async banInForce(id: unknown): Promise<Ban | null> {
    if (typeof id !== "string" || id.length === 0 || id.length > 100) return null;
    const now = this.deps.clock();
    const ban = (await this.deps.store.bans.list()).find((b) => b.id === id);
    return ban && (ban.expiresAt === null || ban.expiresAt > now) ? ban : null;
  }
}
