import type { Collection, Db } from "mongodb";
import type { HiddenPosterToken, HiddenPosterTokenRepository } from "../../server/domain/poster-token.js";
import { int, nullableStr, str } from "../common/guards.js";

type HiddenDoc = HiddenPosterToken;

export class MongoHiddenTokens implements HiddenPosterTokenRepository {
  private readonly c: Collection<HiddenDoc>;

  constructor(db: Db) {
    this.c = db.collection<HiddenDoc>("hidden_poster_tokens");
  }

  /** The indexes the queries rely on (a no-op when they exist). */
  async ensureIndexes(): Promise<void> {
    await this.c.createIndex({ board: 1, token: 1 }, { unique: true });
    await this.c.createIndex({ createdAt: -1 });
  }

  async hide(entry: HiddenPosterToken): Promise<boolean> {
    const doc: HiddenDoc = {
      board: str(entry.board, "board"),
      token: str(entry.token, "token"),
      reason: str(entry.reason, "reason"),
      createdBy: str(entry.createdBy, "createdBy"),
      createdAt: int(entry.createdAt, "createdAt"),
    };
    // An upsert that only inserts: hiding a token twice keeps the first record.
    const res = await this.c.updateOne(
      { board: { $eq: doc.board }, token: { $eq: doc.token } },
      { $setOnInsert: doc },
      { upsert: true },
    );
    return res.upsertedCount === 1;
  }

  async unhide(board: string, token: string): Promise<boolean> {
    const res = await this.c.deleteOne({ board: { $eq: str(board, "board") }, token: { $eq: str(token, "token") } });
    return res.deletedCount === 1;
  }

  async list(board: string | null): Promise<HiddenPosterToken[]> {
    const b = nullableStr(board, "board");
    const docs = await this.c
      .find(b === null ? {} : { board: { $eq: b } }, { projection: { _id: 0 } })
      .sort({ createdAt: -1, board: 1, token: 1 })
      .toArray();
    return docs.map((d) => ({
      board: d.board,
      token: d.token,
      reason: d.reason,
      createdBy: d.createdBy,
      createdAt: d.createdAt,
    }));
  }
}
