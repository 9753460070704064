import { DomainError } from "../../../server/domain/errors.js";
import type { RemotePostIndex, RemotePostRef } from "../../../server/domain/federation-ports.js";
import { checkedRemotePostRef } from "../../common/federation.js";
import { int, str } from "../../common/guards.js";
import { isDuplicateKey } from "../errors.js";
import { type FederationCollections, toRemotePostRef } from "./documents.js";

export class MongoRemotePostIndex implements RemotePostIndex {
  constructor(private readonly c: FederationCollections) {}

  async put(ref: RemotePostRef): Promise<void> {
    const r = checkedRemotePostRef(ref);
    try {
      await this.c.remotePosts.insertOne({ ...r });
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const existing = await this.c.remotePosts.findOne({ apId: { $eq: r.apId } });
      if (existing && existing.board === r.board && existing.no === r.no) return;
      throw new DomainError("conflict", "The object or the post is already mapped to another.");
    }
  }

  async get(apId: string): Promise<RemotePostRef | null> {
    const doc = await this.c.remotePosts.findOne({ apId: { $eq: str(apId, "apId") } });
    return doc ? toRemotePostRef(doc) : null;
  }

  async getMany(apIds: readonly string[]): Promise<RemotePostRef[]> {
    const ids = [...new Set(apIds.map((id) => str(id, "apId")))];
    if (ids.length === 0) return [];
    const docs = await this.c.remotePosts.find({ apId: { $in: ids } }).toArray();
    return docs.map(toRemotePostRef);
  }

  async delete(apId: string): Promise<boolean> {
    return (await this.c.remotePosts.deleteOne({ apId: { $eq: str(apId, "apId") } })).deletedCount > 0;
  }

  async byBoardAndNo(board: string, no: number): Promise<RemotePostRef | null> {
    const doc = await this.c.remotePosts.findOne({ board: { $eq: str(board, "board") }, no: int(no, "no") });
    return doc ? toRemotePostRef(doc) : null;
  }

  async deleteByBoard(board: string): Promise<number> {
    return (await this.c.remotePosts.deleteMany({ board: { $eq: str(board, "board") } })).deletedCount;
  }
}
