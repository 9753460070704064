import type { Collection, Db } from "mongodb";
import type { Appeal, AppealDecision } from "../../server/domain/appeal.js";
import type { AppealRepository } from "../../server/domain/ports.js";
import { int, nullableInt, nullableStr, str, strList } from "../common/guards.js";
import { conflictOnDuplicate } from "./errors.js";

export type AppealDoc = Appeal;

export function appealsCollection(db: Db): Collection<AppealDoc> {
  return db.collection<AppealDoc>("appeals");
}

/** The indexes the queries below rely on (one appeal per ban). */
export async function ensureAppealIndexes(c: Collection<AppealDoc>): Promise<void> {
  await c.createIndex({ id: 1 }, { unique: true });
  await c.createIndex({ banId: 1 }, { unique: true });
  await c.createIndex({ status: 1, createdAt: -1 });
}

function toAppeal(d: AppealDoc): Appeal {
  return {
    id: d.id,
    banId: d.banId,
    board: d.board ?? null,
    ipHash: d.ipHash,
    banReason: d.banReason,
    text: d.text,
    status: d.status,
    createdAt: d.createdAt,
    decidedAt: d.decidedAt ?? null,
    decisionReason: d.decisionReason ?? null,
    decidedBy: d.decidedBy ?? null,
  };
}

export class MongoAppealRepository implements AppealRepository {
  constructor(private readonly c: Collection<AppealDoc>) {}

  async create(appeal: Appeal): Promise<void> {
    const doc: AppealDoc = {
      id: str(appeal.id, "id"),
      banId: str(appeal.banId, "banId"),
      board: nullableStr(appeal.board, "board"),
      ipHash: str(appeal.ipHash, "ipHash"),
      banReason: str(appeal.banReason, "banReason"),
      text: str(appeal.text, "text"),
      status: appeal.status,
      createdAt: int(appeal.createdAt, "createdAt"),
      decidedAt: nullableInt(appeal.decidedAt, "decidedAt"),
      decisionReason: nullableStr(appeal.decisionReason, "decisionReason"),
      decidedBy: nullableStr(appeal.decidedBy, "decidedBy"),
    };
    await conflictOnDuplicate(this.c.insertOne(doc), "This ban has already been appealed.");
  }

  async get(id: string): Promise<Appeal | null> {
    const doc = await this.c.findOne({ id: { $eq: str(id, "id") } });
    return doc ? toAppeal(doc) : null;
  }

  async forBan(banId: string): Promise<Appeal | null> {
    const doc = await this.c.findOne({ banId: { $eq: str(banId, "banId") } });
    return doc ? toAppeal(doc) : null;
  }

  async list(opts: { openOnly: boolean; boards: string[] | null; limit: number }): Promise<Appeal[]> {
    const filter: Record<string, unknown> = {};
    if (opts.openOnly) filter["status"] = "open";
    if (opts.boards !== null) filter["board"] = { $in: strList(opts.boards, "boards") };
    const docs = await this.c.find(filter).sort({ createdAt: -1, id: -1 }).limit(int(opts.limit, "limit")).toArray();
    return docs.map(toAppeal);
  }

  async decide(id: string, d: AppealDecision): Promise<Appeal | null> {
    const doc = await this.c.findOneAndUpdate(
      { id: { $eq: str(id, "id") }, status: "open" },
      {
        $set: {
          status: d.status,
          decidedAt: int(d.at, "at"),
          decisionReason: str(d.reason, "reason"),
          decidedBy: str(d.by, "by"),
        },
      },
      { returnDocument: "after" },
    );
    return doc ? toAppeal(doc) : null;
  }
}
