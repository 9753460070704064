import type { Collection, Db } from "mongodb";
import type { Board, BoardSettings } from "../../server/domain/board.js";
import type { Post, PostFile, ThreadState } from "../../server/domain/post.js";
import {
  type ApiToken,
  type Ban,
  isReportCategory,
  type Report,
  type Session,
  type StaffUser,
} from "../../server/domain/staff.js";
import { settingsFromStorage } from "../common/board-settings.js";
import { storedFile } from "../common/post-file.js";
import { checkedFlag } from "../common/report-flag.js";

/*
 * Document shapes. Each mapper copies the domain fields one by one, which drops `_id` and the
 * internal fields (`nextNo`, `op`) so repositories return plain domain objects.
 */

export interface BoardDoc {
  uri: string;
  title: string;
  description: string;
  settings: BoardSettings;
  createdAt: number;
  /** The next post number of the board: one sequence for threads and replies. */
  nextNo: number;
  version: number;
  /** Milliseconds: the board's last change a reader can see; absent on boards stored before it was kept. */
  modifiedAt?: number;
  /** The last file id (`tim`) the board gave out; absent before its first one. */
  lastTim?: number;
}

/** A post plus `op`, so "threads only" and "replies only" are plain indexed equality matches. */
export type PostDoc = Post & { op: boolean };
/** `modifiedAt` is absent on threads stored before it was kept. */
export type ThreadDoc = Omit<ThreadState, "modifiedAt"> & { modifiedAt?: number };
export type BanDoc = Ban;
export type ReportDoc = Report;
export type UserDoc = StaffUser;
export type SessionDoc = Session;
export type TokenDoc = ApiToken;
export interface SettingDoc {
  key: string;
  value: string;
}

export const COLLECTIONS = {
  boards: "boards",
  posts: "posts",
  threads: "threads",
  bans: "bans",
  reports: "reports",
  users: "users",
  sessions: "sessions",
  tokens: "tokens",
  settings: "settings",
  announcePending: "announcePending",
} as const;

export interface Collections {
  boards: Collection<BoardDoc>;
  posts: Collection<PostDoc>;
  threads: Collection<ThreadDoc>;
  bans: Collection<BanDoc>;
  reports: Collection<ReportDoc>;
  users: Collection<UserDoc>;
  sessions: Collection<SessionDoc>;
  tokens: Collection<TokenDoc>;
  settings: Collection<SettingDoc>;
  announcePending: Collection<AnnouncePendingDoc>;
}

/** A local post whose announcement to followers is not queued yet (see PendingAnnouncements). */
export interface AnnouncePendingDoc {
  board: string;
  no: number;
  createdAt: number;
}

export function collectionsOf(db: Db): Collections {
  return {
    boards: db.collection<BoardDoc>(COLLECTIONS.boards),
    posts: db.collection<PostDoc>(COLLECTIONS.posts),
    threads: db.collection<ThreadDoc>(COLLECTIONS.threads),
    bans: db.collection<BanDoc>(COLLECTIONS.bans),
    reports: db.collection<ReportDoc>(COLLECTIONS.reports),
    users: db.collection<UserDoc>(COLLECTIONS.users),
    sessions: db.collection<SessionDoc>(COLLECTIONS.sessions),
    tokens: db.collection<TokenDoc>(COLLECTIONS.tokens),
    settings: db.collection<SettingDoc>(COLLECTIONS.settings),
    announcePending: db.collection<AnnouncePendingDoc>(COLLECTIONS.announcePending),
  };
}

export function toBoard(d: BoardDoc): Board {
  return {
    uri: d.uri,
    title: d.title,
    description: d.description,
    settings: settingsFromStorage(d.settings),
    createdAt: d.createdAt,
  };
}

export function toFile(f: PostFile | null | undefined): PostFile | null {
  return f ? storedFile(f) : null;
}

export function toPost(d: Post): Post {
  return {
    board: d.board,
    no: d.no,
    threadNo: d.threadNo,
    createdAt: d.createdAt,
    name: d.name,
    trip: d.trip ?? null,
    capcode: d.capcode ?? null,
    subject: d.subject ?? null,
    comment: d.comment,
    html: d.html,
    quotes: Array.isArray(d.quotes) ? [...d.quotes] : [],
    posterId: d.posterId ?? null,
    sage: d.sage === true,
    file: toFile(d.file),
    // Documents written before posts had several files have no list.
    extraFiles: d.file && Array.isArray(d.extraFiles) ? d.extraFiles.flatMap((f) => toFile(f) ?? []) : [],
    fileDeleted: d.fileDeleted === true,
    ipHash: d.ipHash ?? null,
    posterToken: d.posterToken ?? null,
    passwordHash: d.passwordHash ?? null,
    apId: d.apId ?? null,
    fediActor: d.fediActor ?? null,
  };
}

/** The document stored for a post: a fresh object each time, since the driver adds `_id` to what it inserts. */
export function postDoc(p: Post): PostDoc {
  return { ...toPost(p), op: p.no === p.threadNo };
}

export function toThread(d: ThreadDoc): ThreadState {
  return {
    board: d.board,
    no: d.no,
    createdAt: d.createdAt,
    bumpedAt: d.bumpedAt,
    replyCount: d.replyCount,
    imageCount: d.imageCount,
    sticky: d.sticky === true,
    locked: d.locked === true,
    archived: d.archived === true,
    archivedAt: d.archivedAt ?? null,
    version: d.version,
    modifiedAt: d.modifiedAt ?? Math.max(d.bumpedAt, d.archivedAt ?? 0),
  };
}

export function toBan(d: Ban): Ban {
  return {
    id: d.id,
    ipHash: d.ipHash,
    board: d.board ?? null,
    reason: d.reason,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt ?? null,
    createdBy: d.createdBy,
    postRef: d.postRef ?? null,
  };
}

export function toReport(d: Report): Report {
  return {
    id: d.id,
    board: d.board,
    postNo: d.postNo,
    reason: d.reason,
    createdAt: d.createdAt,
    ipHash: d.ipHash ?? null,
    resolved: d.resolved === true,
    ...(typeof d.origin === "string" ? { origin: d.origin } : {}),
    ...(d.flag ? { flag: checkedFlag(d.flag) } : {}),
    ...(isReportCategory(d.category) ? { category: d.category } : {}),
    ...(typeof d.posterToken === "string" ? { posterToken: d.posterToken } : {}),
  };
}

export function toUser(d: StaffUser): StaffUser {
  return {
    username: d.username,
    passwordHash: d.passwordHash,
    role: d.role,
    boards: Array.isArray(d.boards) ? [...d.boards] : [],
    createdAt: d.createdAt,
    ...(typeof d.publicName === "string" ? { publicName: d.publicName } : {}),
    ...(d.totp ? { totp: { ...d.totp, recoveryHashes: [...d.totp.recoveryHashes] } } : {}),
  };
}

export function toSession(d: Session): Session {
  return { idHash: d.idHash, username: d.username, createdAt: d.createdAt, expiresAt: d.expiresAt };
}

export function toToken(d: ApiToken): ApiToken {
  return { id: d.id, tokenHash: d.tokenHash, label: d.label, createdAt: d.createdAt };
}
