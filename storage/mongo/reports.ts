import type { ReportRepository } from "../../server/domain/ports.js";
import type { Report } from "../../server/domain/staff.js";
import { int, nullableStr, str, strList } from "../common/guards.js";
import { checkedCategory, checkedFlag } from "../common/report-flag.js";
import { type Collections, type ReportDoc, toReport } from "./documents.js";
import { conflictOnDuplicate } from "./errors.js";

export class MongoReportRepository implements ReportRepository {
  constructor(private readonly c: Collections) {}

  async create(report: Report): Promise<void> {
    const doc: ReportDoc = {
      id: str(report.id, "id"),
      board: str(report.board, "board"),
      postNo: int(report.postNo, "postNo"),
      reason: str(report.reason, "reason"),
      createdAt: int(report.createdAt, "createdAt"),
      ipHash: nullableStr(report.ipHash, "ipHash"),
      resolved: report.resolved === true,
      ...(report.origin === undefined ? {} : { origin: str(report.origin, "origin") }),
      ...(report.flag === undefined ? {} : { flag: checkedFlag(report.flag) }),
      ...(report.category === undefined ? {} : { category: checkedCategory(report.category) }),
      ...(report.posterToken === undefined ? {} : { posterToken: str(report.posterToken, "posterToken") }),
    };
    await conflictOnDuplicate(this.c.reports.insertOne(doc), "A report with this id exists.");
  }

  async listOpen(boards: string[] | null): Promise<Report[]> {
    const filter =
      boards === null ? { resolved: false } : { resolved: false, board: { $in: strList(boards, "boards") } };
    const docs = await this.c.reports.find(filter).sort({ createdAt: -1, id: -1 }).toArray();
    return docs.map(toReport);
  }

  async get(id: string): Promise<Report | null> {
    const doc = await this.c.reports.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toReport(doc) : null;
  }

  /** True when the report exists (resolving twice is not an error). */
  async resolve(id: string): Promise<boolean> {
    const res = await this.c.reports.updateOne({ id: { $eq: str(id, "id") } }, { $set: { resolved: true } });
    return res.matchedCount > 0;
  }

  async resolveForPost(board: string, postNo: number): Promise<number> {
    const res = await this.c.reports.updateMany(
      { board: { $eq: str(board, "board") }, postNo: int(postNo, "postNo"), resolved: false },
      { $set: { resolved: true } },
    );
    return res.modifiedCount;
  }
}
