import { randomUUID } from "node:crypto";
import { isBoardUri } from "../domain/board.js";
import { DomainError } from "../domain/errors.js";
import { type ModerationAction, publicReason, staffPublicName } from "../domain/moderation-log.js";
import type { Store } from "../domain/ports.js";
import { type Post, type ThreadState, withoutFiles } from "../domain/post.js";
import {
  type Ban,
  banTerms,
  can,
  isReportCategory,
  type Permission,
  REPORT_CATEGORIES,
  type Report,
} from "../domain/staff.js";
import type { Clock } from "./clock.js";
import type { FlagChange, PostEvents, StaffAct } from "./events.js";
import { goneWith } from "./post-files.js";
import type { PostingService } from "./posting.js";
import type { Actor } from "./staff.js";

export interface ModerationDeps {
  store: Store;
  posting: Pick<PostingService, "hashIp" | "removeBlobs">;
  events: PostEvents;
  clock: Clock;
}

export const MAX_REPORT_REASON = 200;

export interface BanInput {
  /** The board the ban applies to; null or absent: every board. */
  board?: string | null | undefined;
  /** Ban the author of this post, written `board/no`. */
  post?: string | undefined;
  /** Or ban this address hash directly. */
  ipHash?: string | undefined;
  reason: string;
  /** null or absent: permanent. */
  durationSeconds?: number | null | undefined;
}

export interface ThreadFlags {
  sticky?: boolean | undefined;
  locked?: boolean | undefined;
  archived?: boolean | undefined;
}

export interface ReportInput {
  board: string;
  postNo: number;
  reason: string;
  /** One of REPORT_CATEGORIES; absent, null or "": none. */
  category?: unknown;
  ip: string;
}

/** The log's action for a flag turned on, and turned off. */
const FLAG_ACTIONS = {
  sticky: ["sticky", "unsticky"],
  locked: ["lock", "unlock"],
  archived: ["archive", "unarchive"],
} as const satisfies Record<keyof FlagChange, readonly [ModerationAction, ModerationAction]>;

/**
 * What staff do to posts and posters: reports, deletions, bans and thread flags. Every method takes
 * the acting user and checks `can()` first; board roles act only on their own boards.
 */
export class ModerationService {
  constructor(private readonly deps: ModerationDeps) {}

  /** Files a report from a reader. A second open report on the same post from the same address is ignored. */
  async report(input: ReportInput): Promise<Report> {
    const reason = typeof input.reason === "string" ? input.reason.trim() : "";
    if (reason.length === 0) throw new DomainError("invalid", "A report needs a reason.");
    if (reason.length > MAX_REPORT_REASON) {
      throw new DomainError("invalid", `A report reason is at most ${MAX_REPORT_REASON} characters.`);
    }
    const category =
      input.category === undefined || input.category === null || input.category === "" ? undefined : input.category;
    if (category !== undefined && !isReportCategory(category)) {
      throw new DomainError("invalid", `category: one of ${REPORT_CATEGORIES.join(", ")}.`);
    }
    const post = await this.post(input.board, input.postNo);
    const ipHash = this.deps.posting.hashIp(input.ip);
    const open = await this.deps.store.reports.listOpen([post.board]);
    const existing = open.find((r) => r.postNo === post.no && r.ipHash === ipHash);
    if (existing) return existing;
    const report: Report = {
      id: randomUUID(),
      board: post.board,
      postNo: post.no,
      reason,
      ...(category === undefined ? {} : { category }),
      createdAt: this.deps.clock(),
      ipHash,
      resolved: false,
    };
    await this.deps.store.reports.create(report);
    // A mirrored post's report also goes to its origin, once per post while reports on it are open.
    if (!open.some((r) => r.postNo === post.no)) this.deps.events.emit({ type: "report_filed", report, post });
    return report;
  }

  /** Open reports the user may act on, newest first. */
  async listReports(user: Actor): Promise<Report[]> {
    const scope = this.scope(user);
    if (scope !== null && scope.length === 0) return [];
    return this.deps.store.reports.listOpen(scope);
  }

  /** Dismisses a report (the post stays). */
  async resolveReport(user: Actor, id: string): Promise<void> {
    const report = typeof id === "string" && id.length <= 100 ? await this.deps.store.reports.get(id) : null;
    if (!report) throw new DomainError("not_found", "There is no such report.");
    this.require(user, "moderate", report.board);
    if ((await this.deps.store.reports.resolve(id)) && !report.resolved) {
      this.deps.events.emit({ type: "reports_resolved", reports: [report] });
    }
  }

  /** Settles the open reports on a post that was dealt with, telling those who sent them from elsewhere. */
  private async settleReports(board: string, no: number, openOnBoard?: Report[]): Promise<void> {
    const open = (openOnBoard ?? (await this.deps.store.reports.listOpen([board]))).filter((r) => r.postNo === no);
    if (open.length === 0) return;
    await this.deps.store.reports.resolveForPost(board, no);
    this.deps.events.emit({ type: "reports_resolved", reports: open });
  }

  /** The post and its thread, for a moderator about to act on it. */
  async inspect(user: Actor, board: string, no: number): Promise<{ post: Post; thread: ThreadState | null }> {
    this.require(user, "moderate", board);
    const post = await this.post(board, no);
    return { post, thread: await this.deps.store.posts.getThread(board, post.threadNo) };
  }

  /**
   * Deletes a post (an OP takes its thread) or only its files (all of them, or the one named by
   * `tim`); settles the reports on what went. The public reason goes into the board's log and with
   * the removal to the board's followers.
   */
  async deletePost(
    user: Actor,
    board: string,
    no: number,
    opts: { fileOnly?: boolean; tim?: number; reason?: unknown } = {},
  ): Promise<void> {
    this.require(user, "moderate", board);
    const reason = publicReason(opts.reason);
    const post = await this.post(board, no);
    const by: StaffAct = { username: user.username, role: user.role, postNo: post.no, reason };
    if (opts.fileOnly || opts.tim !== undefined) {
      if (!post.file) throw new DomainError("invalid", "This post has no file.");
      const gone = await this.deps.store.posts.deleteFile(board, no, opts.tim);
      if (gone.removed.length === 0)
        throw new DomainError("not_found", `Post /${board}/${no} has no file ${opts.tim}.`);
      await this.deps.posting.removeBlobs(gone.orphans, { board, files: gone.removed });
      await this.record(user, board, "delete_file", post.no, reason);
      this.deps.events.emit({ type: "file_deleted", post: gone.post ?? withoutFiles(post), by });
      await this.settleReports(board, no);
      return;
    }
    const { deleted, orphans } = await this.deps.store.posts.deletePost(board, no);
    await this.deps.posting.removeBlobs(orphans, goneWith(board, deleted));
    if (deleted.length > 0) await this.record(user, board, "delete", post.no, reason);
    // One look at the board's open reports for a whole thread's posts.
    const open = await this.deps.store.reports.listOpen([board]);
    for (const p of deleted) {
      this.deps.events.emit({ type: "post_deleted", post: p, by });
      await this.settleReports(board, p.no, open);
    }
  }

  /**
   * Bans a poster. A ban for a post settles the open reports on that post; the same ban again (same
   * address, same scope, still in force) is refused as a conflict.
   */
  async ban(user: Actor, input: BanInput): Promise<Ban> {
    const board = input.board === undefined || input.board === null || input.board === "" ? null : input.board;
    if (board !== null) {
      if (!isBoardUri(board)) throw new DomainError("invalid", "board: not a board name.");
    }
    this.require(user, "moderate", board);
    if (board !== null && !(await this.deps.store.boards.get(board))) {
      throw new DomainError("not_found", `Board /${board}/ does not exist.`);
    }
    const { reason, durationSeconds: duration } = banTerms(input, "the poster");

    let ipHash: string;
    let postRef: string | null = null;
    if (input.post !== undefined && input.post !== "") {
      if (input.ipHash !== undefined) throw new DomainError("invalid", "Give either post or ip_hash, not both.");
      const m = typeof input.post === "string" ? /^([a-z0-9]{1,30})\/([1-9][0-9]{0,14})$/.exec(input.post) : null;
      if (!m) throw new DomainError("invalid", 'post: written "board/number", for example "b/123".');
      const postBoard = m[1] as string;
      // A poster's address is only reachable through posts the user may moderate.
      this.require(user, "moderate", postBoard);
      const post = await this.post(postBoard, Number(m[2]));
      if (!post.ipHash)
        throw new DomainError("invalid", "This post came from the fediverse; it has no address to ban.");
      ipHash = post.ipHash;
      postRef = `${post.board}/${post.no}`;
    } else if (typeof input.ipHash === "string" && /^[A-Za-z0-9+/=_:.-]{8,200}$/.test(input.ipHash)) {
      ipHash = input.ipHash;
    } else {
      throw new DomainError("invalid", "A ban needs a post (board/number) or an ip_hash.");
    }

    const now = this.deps.clock();
    // The same ban twice (a second click, two moderators on one report) would need lifting twice.
    const same = (await this.deps.store.bans.list()).find(
      (b) => b.ipHash === ipHash && b.board === board && (b.expiresAt === null || b.expiresAt > now),
    );
    if (same) {
      const until = same.expiresAt === null ? "permanently" : `until ${new Date(same.expiresAt).toUTCString()}`;
      throw new DomainError(
        "conflict",
        `This poster is already banned ${board === null ? "from every board" : `from /${board}/`} ${until}.`,
        { ban_id: same.id },
      );
    }
    const ban: Ban = {
      id: randomUUID(),
      ipHash,
      board,
      reason,
      createdAt: now,
      expiresAt: duration === null ? null : now + duration * 1000,
      createdBy: user.username,
      postRef,
    };
    await this.deps.store.bans.create(ban);
    if (board !== null) {
      const postNo = postRef?.startsWith(`${board}/`) ? Number(postRef.slice(board.length + 1)) : null;
      await this.record(user, board, "ban", postNo, reason);
    }
    // Banning the author of a reported post deals with the reports on it.
    if (postRef !== null) {
      const [postBoard = "", no = ""] = postRef.split("/");
      await this.settleReports(postBoard, Number(no));
    }
    return ban;
  }

  /** Bans in force that the user may see: every one for instance-wide staff, their boards' otherwise. */
  async listBans(user: Actor): Promise<Ban[]> {
    const now = this.deps.clock();
    const scope = this.scope(user);
    const bans = await this.deps.store.bans.list();
    return bans
      .filter((b) => b.expiresAt === null || b.expiresAt > now)
      .filter((b) => scope === null || (b.board !== null && scope.includes(b.board)))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  async unban(user: Actor, id: string): Promise<void> {
    const ban = (await this.deps.store.bans.list()).find((b) => b.id === id);
    if (!ban) throw new DomainError("not_found", "There is no such ban.");
    this.require(user, "moderate", ban.board);
    await this.deps.store.bans.delete(id);
  }

  /**
   * Sets a thread's sticky, locked and archived flags. Each flag that changes is logged with the
   * public reason and goes to the board's followers.
   */
  async setThreadFlags(
    user: Actor,
    board: string,
    no: number,
    flags: ThreadFlags,
    reasonInput?: unknown,
  ): Promise<ThreadState> {
    this.require(user, "moderate", board);
    const reason = publicReason(reasonInput);
    const patch: { sticky?: boolean; locked?: boolean; archived?: boolean } = {};
    for (const key of ["sticky", "locked", "archived"] as const) {
      const v = flags[key];
      if (v === undefined) continue;
      if (typeof v !== "boolean") throw new DomainError("invalid", `${key}: true or false.`);
      patch[key] = v;
    }
    if (Object.keys(patch).length === 0)
      throw new DomainError("invalid", "Set at least one of sticky, locked, archived.");
    const before = Number.isSafeInteger(no) && no > 0 ? await this.deps.store.posts.getThread(board, no) : null;
    if (!before) throw new DomainError("not_found", `Thread /${board}/${no} does not exist.`);
    const thread = await this.deps.store.posts.setThreadFlags(board, no, patch);
    if (!thread) throw new DomainError("not_found", `Thread /${board}/${no} does not exist.`);
    const changed: FlagChange = {};
    for (const key of ["sticky", "locked", "archived"] as const) {
      if (thread[key] === before[key]) continue;
      changed[key] = thread[key];
      await this.record(user, board, FLAG_ACTIONS[key][thread[key] ? 0 : 1], no, reason);
    }
    const by: StaffAct = { username: user.username, role: user.role, postNo: no, reason };
    this.deps.events.emit({ type: "thread_changed", thread, by, changed });
    return thread;
  }

  /** The board's public log, newest first (`before`: entries older than this time). */
  async log(board: string, query: { before?: number | undefined; limit: number }) {
    if (!isBoardUri(board) || !(await this.deps.store.boards.get(board))) {
      throw new DomainError("not_found", `Board /${board}/ does not exist.`);
    }
    return this.deps.store.modLog.list(board, query);
  }

  /** Writes one entry of the board's public log: the staff member appears by role only. */
  private async record(
    user: Actor,
    board: string,
    action: ModerationAction,
    postNo: number | null,
    reason: string,
  ): Promise<void> {
    await this.deps.store.modLog.append({
      id: randomUUID(),
      board,
      action,
      postNo,
      reason,
      by: staffPublicName(user),
      createdAt: this.deps.clock(),
    });
  }

  /** null: every board; otherwise the boards the user moderates. */
  private scope(user: Actor): string[] | null {
    if (can(user, "moderate", null)) return null;
    return user.boards.filter((b) => can(user, "moderate", b));
  }

  private require(user: Actor, permission: Permission, board: string | null): void {
    if (!can(user, permission, board)) {
      throw new DomainError(
        "forbidden",
        board === null ? "Only instance-wide staff may do this." : `You may not do this on /${board}/.`,
      );
    }
  }

  private async post(board: string, no: number): Promise<Post> {
    const post =
      isBoardUri(board) && Number.isSafeInteger(no) && no > 0 ? await this.deps.store.posts.getPost(board, no) : null;
    if (!post) throw new DomainError("not_found", `Post /${board}/${no} does not exist.`);
    return post;
  }
}
