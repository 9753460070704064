import { describe, expect, it } from "vitest";
import type { Store } from "../../server/domain/ports.js";
import { type PostSearchQuery, searchWords } from "../../server/domain/search.js";
import { newBoard, newFile, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/** Numbers found on one board, newest first. */
async function onBoard(s: Store, board: string, q: string, before: number | null = null, limit = 50) {
  const posts = await s.search.search({ words: searchWords(q), boards: [board], order: "number", before, limit });
  return posts.map((p) => p.no);
}

async function across(
  s: Store,
  boards: string[],
  q: string,
  before: Extract<PostSearchQuery, { order: "time" }>["before"] = null,
  limit = 50,
) {
  const posts = await s.search.search({ words: searchWords(q), boards, order: "time", before, limit });
  return posts.map((p) => `${p.board}/${p.no}`);
}

export function describeSearchContract({ store }: ContractContext): void {
  describe("full-text search", () => {
    it("finds posts holding every word in subject or comment, newest first, paging below max_id", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread(
        "b",
        newPost({ subject: "Gardening tips", comment: "tomato plants" }),
        ROOMY,
      );
      const r1 = await s.posts.createReply("b", op.no, newPost({ comment: "My tomato plants wilt" }), ROOMY);
      const r2 = await s.posts.createReply("b", op.no, newPost({ comment: "tomatoes need sun" }), ROOMY);
      const r3 = await s.posts.createReply("b", op.no, newPost({ comment: ">>1 TOMATO gardening, every day" }), ROOMY);
      expect(await onBoard(s, "b", "tomato")).toEqual([r3.no, r1.no, op.no]);
      // every word, anywhere in the subject or the comment
      expect(await onBoard(s, "b", "gardening tomato")).toEqual([r3.no, op.no]);
      expect(await onBoard(s, "b", "plants wilt")).toEqual([r1.no]);
      // whole words: "tomato" is not "tomatoes"
      expect(await onBoard(s, "b", "tomatoes")).toEqual([r2.no]);
      expect(await onBoard(s, "b", "nothing here")).toEqual([]);
      // pages: the limit, then below the last number seen
      expect(await onBoard(s, "b", "tomato", null, 2)).toEqual([r3.no, r1.no]);
      expect(await onBoard(s, "b", "tomato", r1.no, 2)).toEqual([op.no]);
      expect(await onBoard(s, "b", "tomato", op.no, 2)).toEqual([]);
    });

    it("reads quotes, stars and operators as plain words, never as query syntax", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ comment: 'He said "near" or not' }), ROOMY);
      const r1 = await s.posts.createReply("b", op.no, newPost({ comment: "NEAR AND OR NOT" }), ROOMY);
      const r2 = await s.posts.createReply("b", op.no, newPost({ comment: "star* (paren) col:umn -minus" }), ROOMY);
      expect(await onBoard(s, "b", '"near')).toEqual([r1.no, op.no]);
      expect(await onBoard(s, "b", "NEAR(or, not)")).toEqual([r1.no, op.no]);
      expect(await onBoard(s, "b", "AND")).toEqual([r1.no]);
      expect(await onBoard(s, "b", "star* col:umn")).toEqual([r2.no]);
      expect(await onBoard(s, "b", "-minus ^paren")).toEqual([r2.no]);
      expect(await onBoard(s, "b", '"he said" "')).toEqual([op.no]);
    });

    it("matches Unicode words whatever their case", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ subject: "Ωμέγα", comment: "Привет мир" }), ROOMY);
      const r1 = await s.posts.createReply("b", op.no, newPost({ comment: "Un CAFÉ à Zürich" }), ROOMY);
      expect(await onBoard(s, "b", "ΩΜΈΓΑ")).toEqual([op.no]);
      expect(await onBoard(s, "b", "привет")).toEqual([op.no]);
      expect(await onBoard(s, "b", "café zürich")).toEqual([r1.no]);
      expect(await onBoard(s, "b", "мир café")).toEqual([]);
    });

    it("forgets deleted posts and threads, and finds edited posts by their new words only", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ comment: "walrus thread" }), ROOMY);
      const r1 = await s.posts.createReply(
        "b",
        op.no,
        newPost({ comment: "walrus reply one", file: newFile() }),
        ROOMY,
      );
      const r2 = await s.posts.createReply("b", op.no, newPost({ comment: "walrus reply two" }), ROOMY);
      const { post: other } = await s.posts.createThread("b", newPost({ comment: "another walrus" }), ROOMY);
      expect(await onBoard(s, "b", "walrus")).toEqual([other.no, r2.no, r1.no, op.no]);

      await s.posts.deletePost("b", r2.no);
      expect(await onBoard(s, "b", "walrus")).toEqual([other.no, r1.no, op.no]);
      // a file deleted leaves the words
      await s.posts.deleteFile("b", r1.no);
      expect(await onBoard(s, "b", "reply")).toEqual([r1.no]);
      await s.posts.updatePostText("b", r1.no, { comment: "edited to narwhal", html: "edited to narwhal" });
      expect(await onBoard(s, "b", "reply")).toEqual([]);
      expect(await onBoard(s, "b", "narwhal")).toEqual([r1.no]);
      await s.posts.updatePostText("b", op.no, { comment: "walrus thread", html: "x", subject: "Tusks" });
      expect(await onBoard(s, "b", "tusks")).toEqual([op.no]);

      // an OP takes its thread, a board all of its posts
      await s.posts.deletePost("b", op.no);
      expect(await onBoard(s, "b", "narwhal")).toEqual([]);
      expect(await onBoard(s, "b", "walrus")).toEqual([other.no]);
      await s.boards.delete("b");
      await s.boards.create(newBoard("b"));
      expect(await onBoard(s, "b", "walrus")).toEqual([]);
    });

    it("searches only the boards asked for, across them by time, then board, then number", async () => {
      const s = store();
      for (const uri of ["a", "b", "c"]) await s.boards.create(newBoard(uri));
      const { post: a1 } = await s.posts.createThread("a", newPost({ comment: "otter", createdAt: 1000 }), ROOMY);
      const { post: b1 } = await s.posts.createThread("b", newPost({ comment: "otter", createdAt: 2000 }), ROOMY);
      const { post: c1 } = await s.posts.createThread("c", newPost({ comment: "otter", createdAt: 3000 }), ROOMY);
      const a2 = await s.posts.createReply("a", a1.no, newPost({ comment: "otter", createdAt: 2000 }), ROOMY);
      const b2 = await s.posts.createReply("b", b1.no, newPost({ comment: "otter", createdAt: 2000 }), ROOMY);
      expect(await across(s, ["a", "b"], "otter")).toEqual([`b/${b2.no}`, `b/${b1.no}`, `a/${a2.no}`, `a/${a1.no}`]);
      expect(await across(s, ["a", "b", "c"], "otter", null, 2)).toEqual([`c/${c1.no}`, `b/${b2.no}`]);
      const key = { createdAt: 2000, board: "b", no: b2.no };
      expect(await across(s, ["a", "b", "c"], "otter", key, 2)).toEqual([`b/${b1.no}`, `a/${a2.no}`]);
      const last = { createdAt: 2000, board: "a", no: a2.no };
      expect(await across(s, ["a", "b", "c"], "otter", last, 2)).toEqual([`a/${a1.no}`]);
      expect(await onBoard(s, "c", "otter")).toEqual([c1.no]);
      expect(await across(s, [], "otter")).toEqual([]);
      // the post comes back whole, with its board
      const [found] = await s.search.search({
        words: ["otter"],
        boards: ["c"],
        order: "number",
        before: null,
        limit: 1,
      });
      expect(found).toEqual(await s.posts.getPost("c", c1.no));
    });
  });
}
