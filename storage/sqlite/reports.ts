import type { ReportRepository } from "../../server/domain/ports.js";
import { isReportCategory, type Report } from "../../server/domain/staff.js";
import { int, nullableStr, str, strList } from "../common/guards.js";
import { checkedCategory, checkedFlag, parseFlag } from "../common/report-flag.js";
import type { Db } from "./database.js";
import { conflictOnDuplicate } from "./errors.js";

interface ReportRow {
  id: string;
  board: string;
  post_no: number;
  reason: string;
  created_at: number;
  ip_hash: string | null;
  resolved: number;
  origin: string | null;
  flag: string | null;
  category: string | null;
  poster_token: string | null;
}

const COLUMNS = "id, board, post_no, reason, created_at, ip_hash, resolved, origin, flag, category, poster_token";

function reportFromRow(r: ReportRow): Report {
  return {
    id: r.id,
    board: r.board,
    postNo: r.post_no,
    reason: r.reason,
    createdAt: r.created_at,
    ipHash: r.ip_hash,
    resolved: r.resolved === 1,
    ...(r.origin === null ? {} : { origin: r.origin }),
    ...(r.flag === null ? {} : { flag: parseFlag(r.flag) }),
    ...(isReportCategory(r.category) ? { category: r.category } : {}),
    ...(r.poster_token === null ? {} : { posterToken: r.poster_token }),
  };
}

export class SqliteReportRepository implements ReportRepository {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      insert: db.prepare<[ReportRow]>(
        `INSERT INTO reports (${COLUMNS}) VALUES (@id, @board, @post_no, @reason, @created_at, @ip_hash, @resolved, @origin, @flag, @category, @poster_token)`,
      ),
      open: db.prepare<[], ReportRow>(
        `SELECT ${COLUMNS} FROM reports WHERE resolved = 0 ORDER BY created_at DESC, id DESC`,
      ),
      openOn: db.prepare<[string], ReportRow>(
        `SELECT ${COLUMNS} FROM reports
         WHERE resolved = 0 AND board IN (SELECT value FROM json_each(?))
         ORDER BY created_at DESC, id DESC`,
      ),
      get: db.prepare<[string], ReportRow>(`SELECT ${COLUMNS} FROM reports WHERE id = ?`),
      resolve: db.prepare<[string]>("UPDATE reports SET resolved = 1 WHERE id = ?"),
      resolveForPost: db.prepare<[string, number]>(
        "UPDATE reports SET resolved = 1 WHERE board = ? AND post_no = ? AND resolved = 0",
      ),
    };
  }

  async create(report: Report): Promise<void> {
    const row: ReportRow = {
      id: str(report.id, "id"),
      board: str(report.board, "board"),
      post_no: int(report.postNo, "postNo"),
      reason: str(report.reason, "reason"),
      created_at: int(report.createdAt, "createdAt"),
      ip_hash: nullableStr(report.ipHash, "ipHash"),
      resolved: report.resolved === true ? 1 : 0,
      origin: report.origin === undefined ? null : str(report.origin, "origin"),
      flag: report.flag === undefined ? null : JSON.stringify(checkedFlag(report.flag)),
      category: checkedCategory(report.category) ?? null,
      poster_token: report.posterToken === undefined ? null : str(report.posterToken, "posterToken"),
    };
    conflictOnDuplicate(() => this.s.insert.run(row), "A report with this id exists.");
  }

  async listOpen(boards: string[] | null): Promise<Report[]> {
    const rows = boards === null ? this.s.open.all() : this.s.openOn.all(JSON.stringify(strList(boards, "boards")));
    return rows.map(reportFromRow);
  }

  async get(id: string): Promise<Report | null> {
    const row = this.s.get.get(str(id, "id"));
    return row ? reportFromRow(row) : null;
  }

  /** True when the report exists (resolving twice is not an error). */
  async resolve(id: string): Promise<boolean> {
    return this.s.resolve.run(str(id, "id")).changes > 0;
  }

  async resolveForPost(board: string, postNo: number): Promise<number> {
    return this.s.resolveForPost.run(str(board, "board"), int(postNo, "postNo")).changes;
  }
}
