import type { Filter } from "mongodb";
import type { PostSearchRepository } from "../../server/domain/ports.js";
import type { Post } from "../../server/domain/post.js";
import type { PostSearchQuery } from "../../server/domain/search.js";
import { type Collections, type PostDoc, toPost } from "./documents.js";

/** The text index search reads (see ensureIndexes): one per collection, so it is named. */
export const POST_TEXT_INDEX = "posts_text";

/** A common word matches many posts, sorted in memory (a text query uses no other index): may spill to disk. */
const SORTED = { allowDiskUse: true } as const;

/**
 * Each word as a quoted phrase: MongoDB ORs bare terms but requires every phrase, which gives the
 * same "every word" meaning as the SQLite index. The words come from searchWords, so none holds a
 * quote or a `-` that could turn into a negation.
 */
function textSearch(words: readonly string[]): string {
  return words.map((w) => `"${w}"`).join(" ");
}

/**
 * Search through a text index over subject and comment with no language (no stemming, no stop
 * words, as SQLite's unicode61 tokenizer): case and accents are ignored by the index itself.
 * The index lives in the posts collection, so every post write keeps it in step.
 */
export class MongoPostSearch implements PostSearchRepository {
  constructor(private readonly c: Collections) {}

  async search(q: PostSearchQuery): Promise<Post[]> {
    if (q.words.length === 0 || q.boards.length === 0 || q.limit < 1) return [];
    const base: Filter<PostDoc> = {
      $text: { $search: textSearch(q.words), $caseSensitive: false, $diacriticSensitive: false },
      board: { $in: q.boards.map(String) },
    };
    if (q.order === "number") {
      const filter: Filter<PostDoc> = q.before === null ? base : { ...base, no: { $lt: q.before } };
      const docs = await this.c.posts.find(filter, SORTED).sort({ no: -1 }).limit(q.limit).toArray();
      return docs.map(toPost);
    }
    const k = q.before;
    const filter: Filter<PostDoc> =
      k === null
        ? base
        : {
            ...base,
            $or: [
              { createdAt: { $lt: k.createdAt } },
              { createdAt: k.createdAt, board: { $lt: k.board } },
              { createdAt: k.createdAt, board: { $eq: k.board }, no: { $lt: k.no } },
            ],
          };
    const docs = await this.c.posts
      .find(filter, SORTED)
      .sort({ createdAt: -1, board: -1, no: -1 })
      .limit(q.limit)
      .toArray();
    return docs.map(toPost);
  }
}
