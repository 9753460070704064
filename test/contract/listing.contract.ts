import { describe, expect, it } from "vitest";
import type { Store, ThreadOrder } from "../../server/domain/ports.js";
import { newBoard, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

async function order(s: Store, board: string, by: ThreadOrder, archived = false, offset = 0, limit = 50) {
  return (await s.posts.listThreads(board, { archived, order: by, offset, limit })).map((t) => t.state.no);
}

export function describeListingContract({ store }: ContractContext): void {
  describe("archiving beyond maxThreads", () => {
    it("archives the oldest-bumped non-sticky threads and keeps stickies", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const limits = { maxThreads: 3 };
      const { post: t1 } = await s.posts.createThread("b", newPost({ createdAt: 1000 }), limits);
      await s.posts.setThreadFlags("b", t1.no, { sticky: true });
      const { post: t2 } = await s.posts.createThread("b", newPost({ createdAt: 2000 }), limits);
      const { post: t3 } = await s.posts.createThread("b", newPost({ createdAt: 3000 }), limits);
      // a reply keeps t2 alive: t3 is now the oldest by bump
      await s.posts.createReply("b", t2.no, newPost({ createdAt: 3500 }), ROOMY);
      const before = await s.posts.getThread("b", t3.no);

      const t4 = await s.posts.createThread("b", newPost({ createdAt: 4000 }), limits);
      expect(t4.archived).toEqual([t3.no]);
      const archived = await s.posts.getThread("b", t3.no);
      expect(archived).toMatchObject({ archived: true, archivedAt: 4000, version: before!.version + 1 });
      expect((await s.posts.getThread("b", t1.no))?.archived).toBe(false);
      expect(await s.posts.countThreads("b", false)).toBe(3);
      expect(await s.posts.countThreads("b", true)).toBe(1);

      const t5 = await s.posts.createThread("b", newPost({ createdAt: 5000 }), { maxThreads: 2 });
      expect(t5.archived).toEqual([t2.no, t4.post.no]);
      expect(await order(s, "b", "bump")).toEqual([t1.no, t5.post.no]);
      expect(await order(s, "b", "bump", true)).toEqual([t4.post.no, t2.no, t3.no]);
    });

    it("archives nothing while the board is within its limit", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      for (let i = 0; i < 3; i++) {
        const { archived } = await s.posts.createThread("b", newPost(), { maxThreads: 3 });
        expect(archived).toEqual([]);
      }
      expect(await s.posts.countThreads("b", true)).toBe(0);
    });
  });

  describe("a board's posts, newest first", () => {
    it("pages through threads and replies by number, archived threads included, each board apart", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const { post: t1 } = await s.posts.createThread("b", newPost(), { maxThreads: 1 });
      const r1 = await s.posts.createReply("b", t1.no, newPost(), ROOMY);
      await s.posts.createThread("c", newPost(), ROOMY);
      // the second thread archives the first
      const { post: t2 } = await s.posts.createThread("b", newPost(), { maxThreads: 1 });
      const r2 = await s.posts.createReply("b", t2.no, newPost(), ROOMY);
      expect((await s.posts.recentPosts("b", 0, 10)).map((p) => p.no)).toEqual([r2.no, t2.no, r1.no, t1.no]);
      expect((await s.posts.recentPosts("b", 1, 2)).map((p) => p.no)).toEqual([t2.no, r1.no]);
      expect(await s.posts.recentPosts("b", 4, 2)).toEqual([]);
      expect(await s.posts.countBoardPosts("b")).toBe(4);
      expect(await s.posts.countBoardPosts("c")).toBe(1);
      expect(await s.posts.countBoardPosts("nope")).toBe(0);
    });
  });

  describe("pending announcements", () => {
    it("records a post to announce in its own transaction, lists the old enough ones and forgets those done", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: t1 } = await s.posts.createThread("b", newPost({ createdAt: 1000 }), {
        ...ROOMY,
        announce: true,
      });
      const r1 = await s.posts.createReply("b", t1.no, newPost({ createdAt: 2000 }), { ...ROOMY, announce: true });
      // not to be announced (a post from elsewhere, or federation off)
      await s.posts.createReply("b", t1.no, newPost({ createdAt: 2500 }), ROOMY);
      expect(await s.announcements.list(3000, 10)).toEqual([
        { board: "b", no: t1.no },
        { board: "b", no: r1.no },
      ]);
      expect(await s.announcements.list(2000, 10)).toEqual([{ board: "b", no: t1.no }]);
      expect(await s.announcements.list(3000, 1)).toEqual([{ board: "b", no: t1.no }]);
      await s.announcements.done([{ board: "b", no: t1.no }]);
      expect(await s.announcements.list(3000, 10)).toEqual([{ board: "b", no: r1.no }]);
      await s.announcements.done([]);
      // a refused post records nothing
      await s.posts.setThreadFlags("b", t1.no, { locked: true });
      await expect(
        s.posts.createReply("b", t1.no, newPost({ createdAt: 2600 }), { ...ROOMY, announce: true }),
      ).rejects.toMatchObject({ kind: "locked" });
      expect(await s.announcements.list(3000, 10)).toEqual([{ board: "b", no: r1.no }]);
    });
  });

  describe("listing threads", () => {
    /** t1 created first but bumped last; t2 has the most replies (sage); t3 created last. */
    async function seed(s: Store) {
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const { post: t1 } = await s.posts.createThread("b", newPost({ createdAt: 1000 }), ROOMY);
      const { post: t2 } = await s.posts.createThread("b", newPost({ createdAt: 2000 }), ROOMY);
      const { post: t3 } = await s.posts.createThread("b", newPost({ createdAt: 3000 }), ROOMY);
      await s.posts.createThread("c", newPost({ createdAt: 9000 }), ROOMY);
      await s.posts.createReply("b", t2.no, newPost({ createdAt: 3500, sage: true }), ROOMY);
      await s.posts.createReply("b", t2.no, newPost({ createdAt: 3600, sage: true }), ROOMY);
      await s.posts.createReply("b", t1.no, newPost({ createdAt: 4000 }), ROOMY);
      return { t1: t1.no, t2: t2.no, t3: t3.no };
    }

    it("orders by bump, creation or replies, newest or most first", async () => {
      const s = store();
      const { t1, t2, t3 } = await seed(s);
      expect(await order(s, "b", "bump")).toEqual([t1, t3, t2]);
      expect(await order(s, "b", "created")).toEqual([t3, t2, t1]);
      expect(await order(s, "b", "replies")).toEqual([t2, t1, t3]);
    });

    it("puts stickies first, among themselves in bump order, for every order", async () => {
      const s = store();
      const { t1, t2, t3 } = await seed(s);
      await s.posts.setThreadFlags("b", t2, { sticky: true });
      expect(await order(s, "b", "bump")).toEqual([t2, t1, t3]);
      await s.posts.setThreadFlags("b", t3, { sticky: true });
      expect(await order(s, "b", "bump")).toEqual([t3, t2, t1]);
      expect(await order(s, "b", "created")).toEqual([t3, t2, t1]);
      expect(await order(s, "b", "replies")).toEqual([t3, t2, t1]);
    });

    it("breaks ties by number, newest first", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      for (let i = 0; i < 3; i++) await s.posts.createThread("b", newPost({ createdAt: 5000 }), ROOMY);
      expect(await order(s, "b", "bump")).toEqual([3, 2, 1]);
      expect(await order(s, "b", "created")).toEqual([3, 2, 1]);
      expect(await order(s, "b", "replies")).toEqual([3, 2, 1]);
    });

    it("pages with offset and limit", async () => {
      const s = store();
      const { t1, t2, t3 } = await seed(s);
      expect(await order(s, "b", "bump", false, 0, 2)).toEqual([t1, t3]);
      expect(await order(s, "b", "bump", false, 1, 1)).toEqual([t3]);
      expect(await order(s, "b", "bump", false, 2, 5)).toEqual([t2]);
      expect(await order(s, "b", "bump", false, 3, 5)).toEqual([]);
      expect(await order(s, "b", "bump", false, 0, 0)).toEqual([]);
    });

    it("returns each thread's state with its OP", async () => {
      const s = store();
      const { t1 } = await seed(s);
      const [first] = await s.posts.listThreads("b", { archived: false, order: "bump", offset: 0, limit: 1 });
      expect(first?.state).toEqual(await s.posts.getThread("b", t1));
      expect(first?.op).toEqual(await s.posts.getPost("b", t1));
    });

    it("lists the archive separately, without sticky precedence", async () => {
      const s = store();
      const { t1, t2, t3 } = await seed(s);
      await s.posts.setThreadFlags("b", t3, { sticky: true, archived: true });
      await s.posts.setThreadFlags("b", t1, { archived: true });
      expect(await order(s, "b", "bump", true)).toEqual([t1, t3]);
      expect(await order(s, "b", "created", true)).toEqual([t3, t1]);
      expect(await order(s, "b", "bump")).toEqual([t2]);
      expect(await s.posts.countThreads("b", true)).toBe(2);
      expect(await s.posts.countThreads("b", false)).toBe(1);
      expect(await s.posts.countThreads("nope", false)).toBe(0);
    });
  });

  describe("last replies", () => {
    it("returns the last n replies of each thread, oldest first, in one call", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const { post: a } = await s.posts.createThread("b", newPost(), ROOMY);
      const { post: b } = await s.posts.createThread("b", newPost(), ROOMY);
      const { post: empty } = await s.posts.createThread("b", newPost(), ROOMY);
      const aReplies = [];
      for (let i = 0; i < 5; i++)
        aReplies.push(await s.posts.createReply("b", a.no, newPost({ comment: `a${i}` }), ROOMY));
      const bReply = await s.posts.createReply("b", b.no, newPost(), ROOMY);
      // same thread number on another board must not leak in
      const { post: other } = await s.posts.createThread("c", newPost(), ROOMY);
      await s.posts.createReply("c", other.no, newPost(), ROOMY);

      const last = await s.posts.lastReplies("b", [a.no, b.no, empty.no, 999], 3);
      expect(last.get(a.no)).toEqual(aReplies.slice(2));
      expect(last.get(b.no)).toEqual([bReply]);
      expect(last.get(empty.no)).toEqual([]);
      expect(last.get(999)).toEqual([]);

      const all = await s.posts.lastReplies("b", [a.no], 50);
      expect(all.get(a.no)).toEqual(aReplies);
      const none = await s.posts.lastReplies("b", [a.no], 0);
      expect(none.get(a.no)).toEqual([]);
      expect((await s.posts.lastReplies("b", [], 5)).size).toBe(0);
    });
  });
}
