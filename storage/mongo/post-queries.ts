import type { Filter } from "mongodb";
import { DomainError } from "../../server/domain/errors.js";
import type { PostFiles, PostKey } from "../../server/domain/ports.js";
import { filesOf, type Post } from "../../server/domain/post.js";
import { int, page, str } from "../common/guards.js";
import { type Collections, type PostDoc, toPost } from "./documents.js";

/**
 * The post repository's reads that stand apart from threads and numbering: the media posts refer
 * to, a poster's or an address's posts, counts, a board's recent posts and remote authors. The
 * repository (posts.ts) extends it with everything that writes.
 */
export class MongoPostQueries {
  constructor(protected readonly c: Collections) {}

  async referencedMedia(): Promise<Set<string>> {
    const out = new Set<string>();
    const cursor = this.c.posts.find(
      { file: { $ne: null } },
      {
        projection: {
          _id: 0,
          "file.sha256": 1,
          "file.thumbSha256": 1,
          "extraFiles.sha256": 1,
          "extraFiles.thumbSha256": 1,
        },
      },
    );
    for await (const doc of cursor) {
      for (const f of [doc.file, ...(doc.extraFiles ?? [])]) {
        if (!f) continue;
        out.add(f.sha256);
        out.add(f.thumbSha256);
      }
    }
    return out;
  }

  async filesAfter(after: PostKey | null, limit: number): Promise<PostFiles[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const past: Filter<PostDoc> =
      after === null
        ? {}
        : {
            $or: [
              { board: { $gt: str(after.board, "board") } },
              { board: { $eq: after.board }, no: { $gt: int(after.no, "no") } },
            ],
          };
    const docs = await this.c.posts
      .find({ file: { $ne: null }, ...past }, { projection: { _id: 0, board: 1, no: 1, file: 1, extraFiles: 1 } })
      .sort({ board: 1, no: 1 })
      .limit(max)
      .toArray();
    return docs.map((d) => {
      const { file, extraFiles } = toPost(d);
      return { board: d.board, no: d.no, files: filesOf({ file, extraFiles }) };
    });
  }

  async lastPostTime(ipHash: string, kind: "thread" | "reply"): Promise<number | null> {
    if (kind !== "thread" && kind !== "reply") throw new DomainError("invalid", "Unknown post kind.");
    const doc = await this.c.posts.findOne(
      { ipHash: { $eq: str(ipHash, "ipHash") }, op: kind === "thread" },
      { sort: { createdAt: -1 }, projection: { _id: 0, createdAt: 1 } },
    );
    return doc?.createdAt ?? null;
  }

  async postsByPosterToken(board: string, token: string, limit: number): Promise<Post[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const docs = await this.c.posts
      .find({ board: { $eq: str(board, "board") }, posterToken: { $eq: str(token, "token") } })
      .sort({ no: -1 })
      .limit(max)
      .toArray();
    return docs.map(toPost);
  }

  async postsByIpHash(ipHash: string, limit: number): Promise<Post[]> {
    const { limit: max } = page(0, limit);
    if (max === 0) return [];
    const docs = await this.c.posts
      .find({ ipHash: { $eq: str(ipHash, "ipHash") } })
      .sort({ createdAt: -1, board: 1, no: -1 })
      .limit(max)
      .toArray();
    return docs.map(toPost);
  }

  async countPosts(): Promise<number> {
    return this.c.posts.countDocuments({});
  }

  async recentPosts(board: string, offset: number, limit: number): Promise<Post[]> {
    const p = page(offset, limit);
    if (p.limit === 0) return [];
    const docs = await this.c.posts
      .find({ board: { $eq: str(board, "board") } })
      .sort({ no: -1 })
      .skip(p.offset)
      .limit(p.limit)
      .toArray();
    return docs.map(toPost);
  }

  async countBoardPosts(board: string): Promise<number> {
    return this.c.posts.countDocuments({ board: { $eq: str(board, "board") } });
  }

  async remoteAuthors(): Promise<string[]> {
    const authors = await this.c.posts.distinct("fediActor", { fediActor: { $type: "string" } });
    return (authors as unknown[]).filter((a): a is string => typeof a === "string").sort();
  }

  async listByAuthors(actorIds: string[]): Promise<Post[]> {
    if (!Array.isArray(actorIds)) throw new DomainError("invalid", "actorIds must be a list.");
    const ids = [...new Set(actorIds.map((id) => str(id, "actorId")))];
    if (ids.length === 0) return [];
    const docs = await this.c.posts
      .find({ fediActor: { $in: ids } })
      .sort({ board: 1, no: 1 })
      .toArray();
    return docs.map(toPost);
  }
}
