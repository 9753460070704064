import type { TokenRepository } from "../../server/domain/ports.js";
import type { ApiToken } from "../../server/domain/staff.js";
import { int, str } from "../common/guards.js";
import { type Collections, type TokenDoc, toToken } from "./documents.js";
import { conflictOnDuplicate } from "./errors.js";

export class MongoTokenRepository implements TokenRepository {
  constructor(private readonly c: Collections) {}

  async create(token: ApiToken): Promise<void> {
    const doc: TokenDoc = {
      id: str(token.id, "id"),
      tokenHash: str(token.tokenHash, "tokenHash"),
      label: str(token.label, "label"),
      createdAt: int(token.createdAt, "createdAt"),
    };
    await conflictOnDuplicate(this.c.tokens.insertOne(doc), "A token with this id or hash exists.");
  }

  async findByHash(tokenHash: string): Promise<ApiToken | null> {
    const doc = await this.c.tokens.findOne({ tokenHash: { $eq: str(tokenHash, "tokenHash") } });
    return doc ? toToken(doc) : null;
  }

  async list(): Promise<ApiToken[]> {
    const docs = await this.c.tokens.find({}).sort({ createdAt: 1, id: 1 }).toArray();
    return docs.map(toToken);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.c.tokens.deleteOne({ id: { $eq: str(id, "id") } })).deletedCount > 0;
  }
}
