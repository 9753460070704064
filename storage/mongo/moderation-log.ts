import type { Collection, Db } from "mongodb";
import type { ModerationLogEntry, ModerationLogRepository } from "../../server/domain/moderation-log.js";
import { int, nullableInt, str } from "../common/guards.js";
import { moderationAction } from "../common/moderation-log.js";
import { conflictOnDuplicate } from "./errors.js";

type LogDoc = ModerationLogEntry;

export class MongoModerationLog implements ModerationLogRepository {
  private readonly c: Collection<LogDoc>;

  constructor(db: Db) {
    this.c = db.collection<LogDoc>("moderation_log");
  }

  /** The indexes the queries rely on (a no-op when they exist). */
  async ensureIndexes(): Promise<void> {
    await this.c.createIndex({ id: 1 }, { unique: true });
    await this.c.createIndex({ board: 1, createdAt: -1, id: 1 });
  }

  async append(entry: ModerationLogEntry): Promise<void> {
    const doc: LogDoc = {
      id: str(entry.id, "id"),
      board: str(entry.board, "board"),
      action: moderationAction(entry.action),
      postNo: nullableInt(entry.postNo, "postNo"),
      reason: str(entry.reason, "reason"),
      by: str(entry.by, "by"),
      createdAt: int(entry.createdAt, "createdAt"),
    };
    await conflictOnDuplicate(this.c.insertOne({ ...doc }), "A log entry with this id exists.");
  }

  async list(board: string, query: { before?: number | undefined; limit: number }): Promise<ModerationLogEntry[]> {
    const filter =
      query.before === undefined
        ? { board: { $eq: str(board, "board") } }
        : { board: { $eq: str(board, "board") }, createdAt: { $lt: int(query.before, "before") } };
    const docs = await this.c
      .find(filter, { projection: { _id: 0 } })
      .sort({ createdAt: -1, id: 1 })
      .limit(int(query.limit, "limit"))
      .toArray();
    return docs.map((d) => ({
      id: d.id,
      board: d.board,
      action: moderationAction(d.action),
      postNo: d.postNo,
      reason: d.reason,
      by: d.by,
      createdAt: d.createdAt,
    }));
  }
}
