import type { PendingAnnouncements, PostKey } from "../../server/domain/ports.js";
import { int, page, str } from "../common/guards.js";
import type { Collections } from "./documents.js";

/** Pending announcements on MongoDB (recorded by the post repository, in each post's transaction). */
export class MongoPendingAnnouncements implements PendingAnnouncements {
  constructor(private readonly c: Collections) {}

  async list(before: number, limit: number): Promise<PostKey[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const docs = await this.c.announcePending
      .find({ createdAt: { $lt: int(before, "before") } }, { projection: { _id: 0, board: 1, no: 1 } })
      .sort({ createdAt: 1, board: 1, no: 1 })
      .limit(max)
      .toArray();
    return docs.map((d) => ({ board: d.board, no: d.no }));
  }

  async done(posts: PostKey[]): Promise<void> {
    const keys = posts.map((p) => ({ board: str(p.board, "board"), no: int(p.no, "no") }));
    if (keys.length === 0) return;
    await this.c.announcePending.deleteMany({ $or: keys.map((k) => ({ board: { $eq: k.board }, no: { $eq: k.no } })) });
  }
}
