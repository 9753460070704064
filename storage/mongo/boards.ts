import type { Board, BoardSettings } from "../../server/domain/board.js";
import { DEFAULT_BOARD_SETTINGS } from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";
import type { BoardRepository, BoardStamp } from "../../server/domain/ports.js";
import { applySettingsPatch, checkedSettingsPatch } from "../common/board-settings.js";
import { int, str } from "../common/guards.js";
import { type BoardDoc, type Collections, toBoard } from "./documents.js";
import { conflictOnDuplicate } from "./errors.js";
import { findOrphans } from "./orphans.js";

export class MongoBoardRepository implements BoardRepository {
  constructor(private readonly c: Collections) {}

  async create(board: Board): Promise<void> {
    const doc: BoardDoc = {
      uri: str(board.uri, "uri"),
      title: str(board.title, "title"),
      description: str(board.description, "description"),
      settings: applySettingsPatch(DEFAULT_BOARD_SETTINGS, board.settings),
      createdAt: int(board.createdAt, "createdAt"),
      nextNo: 1,
      version: 1,
      modifiedAt: int(board.createdAt, "createdAt"),
    };
    await conflictOnDuplicate(this.c.boards.insertOne(doc), `The board /${doc.uri}/ already exists.`);
  }

  async get(uri: string): Promise<Board | null> {
    const doc = await this.c.boards.findOne({ uri: { $eq: str(uri, "uri") } });
    return doc ? toBoard(doc) : null;
  }

  async list(): Promise<Board[]> {
    const docs = await this.c.boards.find({}).sort({ uri: 1 }).toArray();
    return docs.map(toBoard);
  }

  /**
   * Each setting is written under its own `settings.<key>` path, the key taken from the known list,
   * so concurrent patches of different settings do not overwrite each other and no caller-chosen
   * field name ever reaches the update.
   */
  async update(
    uri: string,
    patch: { title?: string; description?: string; settings?: Partial<BoardSettings> },
  ): Promise<Board | null> {
    if (patch === null || typeof patch !== "object")
      throw new DomainError("invalid", "A board patch must be an object.");
    const set: Record<string, unknown> = {};
    if (patch.title !== undefined) set["title"] = str(patch.title, "title");
    if (patch.description !== undefined) set["description"] = str(patch.description, "description");
    for (const [key, value] of Object.entries(checkedSettingsPatch(patch.settings))) set[`settings.${key}`] = value;
    const touch = { $inc: { version: 1 }, $max: { modifiedAt: Date.now() } };
    const update = Object.keys(set).length > 0 ? { $set: set, ...touch } : touch;
    const doc = await this.c.boards.findOneAndUpdate({ uri: { $eq: str(uri, "uri") } }, update, {
      returnDocument: "after",
    });
    return doc ? toBoard(doc) : null;
  }

  /**
   * Removes the board document first: from then on no transaction can number a post on it (they
   * all update that document), so the sweep of its threads, posts and reports that follows cannot
   * miss a late arrival. Not one transaction, since a large board could exceed transaction limits.
   */
  async delete(uri: string): Promise<{ deleted: boolean; orphans: string[] }> {
    const board = str(uri, "uri");
    if (!(await this.c.boards.findOne({ uri: { $eq: board } }, { projection: { _id: 1 } }))) {
      return { deleted: false, orphans: [] };
    }
    const candidates = [
      ...(await this.c.posts.distinct("file.sha256", { board: { $eq: board } })),
      ...(await this.c.posts.distinct("file.thumbSha256", { board: { $eq: board } })),
      ...(await this.c.posts.distinct("extraFiles.sha256", { board: { $eq: board } })),
      ...(await this.c.posts.distinct("extraFiles.thumbSha256", { board: { $eq: board } })),
    ].filter((a): a is string => typeof a === "string");
    const { deletedCount } = await this.c.boards.deleteOne({ uri: { $eq: board } });
    if (deletedCount === 0) return { deleted: false, orphans: [] };
    await this.c.posts.deleteMany({ board: { $eq: board } });
    await this.c.threads.deleteMany({ board: { $eq: board } });
    await this.c.reports.deleteMany({ board: { $eq: board } });
    return { deleted: true, orphans: await findOrphans(this.c.posts, candidates) };
  }

  async version(uri: string): Promise<number> {
    const doc = await this.c.boards.findOne({ uri: { $eq: str(uri, "uri") } }, { projection: { _id: 0, version: 1 } });
    return doc?.version ?? 0;
  }

  async stamp(uri: string): Promise<BoardStamp | null> {
    const doc = await this.c.boards.findOne(
      { uri: { $eq: str(uri, "uri") } },
      { projection: { _id: 0, version: 1, modifiedAt: 1, createdAt: 1 } },
    );
    return doc ? { version: doc.version, modifiedAt: doc.modifiedAt ?? doc.createdAt } : null;
  }

  async lastNumber(uri: string): Promise<number | null> {
    const doc = await this.c.boards.findOne({ uri: { $eq: str(uri, "uri") } }, { projection: { _id: 0, nextNo: 1 } });
    return doc ? doc.nextNo - 1 : null;
  }
}
