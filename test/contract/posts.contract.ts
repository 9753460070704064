import { describe, expect, it } from "vitest";
import type { NewPost } from "../../server/domain/post.js";
import { ascending, expectDomainError, newBoard, newFile, newPost, ROOMY, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function describePostContract({ store }: ContractContext): void {
  describe("posting", () => {
    it("creates a thread: number 1, the OP, and a fresh thread state", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const input = newPost({ createdAt: 1000, subject: "first" });
      const { post, archived } = await s.posts.createThread("b", input, ROOMY);
      expect(archived).toEqual([]);
      expect(post).toEqual({ ...input, board: "b", no: 1, threadNo: 1 });
      expect(await s.posts.getPost("b", 1)).toEqual(post);
      expect(await s.posts.getThread("b", 1)).toEqual({
        board: "b",
        no: 1,
        createdAt: 1000,
        bumpedAt: 1000,
        replyCount: 0,
        imageCount: 0,
        sticky: false,
        locked: false,
        archived: false,
        archivedAt: null,
        version: 1,
        modifiedAt: 1000,
      });
    });

    it("stores every field of a post as given", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const op = await s.posts.createThread("b", newPost(), ROOMY);
      const input: NewPost = newPost({
        createdAt: 1_700_000_123_456,
        name: "Name",
        trip: "!Ep8pui8Vw2",
        capcode: "mod",
        subject: "Subject",
        comment: ">>1\n>green\nünïcödé 🐟",
        html: '<a href="#p1" class="quotelink">&gt;&gt;1</a><br><span class="quote">&gt;green</span>',
        quotes: [1, 3],
        posterId: "Ab3dE6gh",
        sage: true,
        file: newFile({ ext: ".webp", mime: "image/webp", spoiler: true, filename: "a 'name' \"quoted\"" }),
        ipHash: "hash-1",
        passwordHash: "pw-hash",
        apId: "https://remote.example/notes/1",
        fediActor: "https://remote.example/users/a",
      });
      const reply = await s.posts.createReply("b", op.post.no, input, ROOMY);
      expect(reply).toEqual({ ...input, board: "b", no: 2, threadNo: 1 });
      expect(await s.posts.getPost("b", 2)).toEqual(reply);
    });

    it("reads where a post comes from without its text or file", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const op = await s.posts.createThread("b", newPost(), ROOMY);
      const remote = await s.posts.createReply(
        "b",
        op.post.no,
        newPost({ apId: "https://remote.example/notes/9", fediActor: "https://remote.example/users/z" }),
        ROOMY,
      );
      expect(await s.posts.getOrigin("b", op.post.no)).toEqual({
        board: "b",
        no: op.post.no,
        threadNo: op.post.no,
        apId: null,
        fediActor: null,
      });
      expect(await s.posts.getOrigin("b", remote.no)).toEqual({
        board: "b",
        no: remote.no,
        threadNo: op.post.no,
        apId: "https://remote.example/notes/9",
        fediActor: "https://remote.example/users/z",
      });
      expect(await s.posts.getOrigin("b", 99)).toBeNull();
      expect(await s.posts.getOrigin("c", op.post.no)).toBeNull();
      await expectDomainError(s.posts.getOrigin({ $ne: "x" } as never, 1), "invalid");
      await expectDomainError(s.posts.getOrigin("b", "1" as never), "invalid");
    });

    it("numbers posts board-wide: threads and replies share one sequence per board", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const t1 = await s.posts.createThread("b", newPost(), ROOMY);
      const r1 = await s.posts.createReply("b", t1.post.no, newPost(), ROOMY);
      const t2 = await s.posts.createThread("b", newPost(), ROOMY);
      const r2 = await s.posts.createReply("b", t1.post.no, newPost(), ROOMY);
      const c1 = await s.posts.createThread("c", newPost(), ROOMY);
      expect([t1.post.no, r1.no, t2.post.no, r2.no]).toEqual([1, 2, 3, 4]);
      expect([r1.threadNo, r2.threadNo, t2.post.threadNo]).toEqual([1, 1, 3]);
      expect(c1.post.no).toBe(1);
    });

    it("refuses posts on an unknown board or thread", async () => {
      const s = store();
      await expectDomainError(s.posts.createThread("nope", newPost(), ROOMY), "not_found");
      await s.boards.create(newBoard("b"));
      await expectDomainError(s.posts.createReply("b", 1, newPost(), ROOMY), "not_found");
      const t = await s.posts.createThread("b", newPost(), ROOMY);
      const r = await s.posts.createReply("b", t.post.no, newPost(), ROOMY);
      // a reply's number is not a thread
      await expectDomainError(s.posts.createReply("b", r.no, newPost(), ROOMY), "not_found");
      await expectDomainError(s.posts.createReply("nope", t.post.no, newPost(), ROOMY), "not_found");
      expect(await s.posts.countPosts()).toBe(2);
    });

    it("refuses a malformed post as invalid, consuming no number", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await expectDomainError(s.posts.createThread("b", newPost({ createdAt: "now" as never }), ROOMY), "invalid");
      await expectDomainError(s.posts.createThread("b", newPost({ comment: { $gt: "" } as never }), ROOMY), "invalid");
      const { post } = await s.posts.createThread("b", newPost(), ROOMY);
      expect(post.no).toBe(1);
    });

    it("counts replies and images, bumps, and versions the thread and board on reply", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ createdAt: 1000, file: newFile() }), ROOMY);
      const boardVersion = await s.boards.version("b");
      await s.posts.createReply("b", op.no, newPost({ createdAt: 2000 }), ROOMY);
      await s.posts.createReply("b", op.no, newPost({ createdAt: 3000, file: newFile() }), ROOMY);
      const state = await s.posts.getThread("b", op.no);
      expect(state).toMatchObject({ replyCount: 2, imageCount: 1, bumpedAt: 3000, createdAt: 1000, version: 3 });
      expect(await s.boards.version("b")).toBe(boardVersion + 2);
    });

    it("gives 200 concurrent posts 200 distinct, gap-free numbers", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost(), ROOMY);
      const work = range(1, 200).map((i) =>
        i % 2 === 0
          ? s.posts.createReply("b", op.no, newPost({ comment: `reply ${i}` }), ROOMY).then((p) => p.no)
          : s.posts.createThread("b", newPost({ comment: `thread ${i}` }), ROOMY).then((r) => r.post.no),
      );
      const numbers = await Promise.all(work);
      expect(ascending(numbers)).toEqual(range(2, 201));
      expect((await s.posts.getThread("b", op.no))?.replyCount).toBe(100);
      expect(await s.posts.countThreads("b", false)).toBe(101);
      expect(await s.posts.countPosts()).toBe(201);
    });

    it("consumes no number for a refused reply (locked, archived, image limit)", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: locked } = await s.posts.createThread("b", newPost(), ROOMY);
      const { post: archived } = await s.posts.createThread("b", newPost(), ROOMY);
      const { post: full } = await s.posts.createThread("b", newPost(), ROOMY);
      await s.posts.setThreadFlags("b", locked.no, { locked: true });
      await s.posts.setThreadFlags("b", archived.no, { archived: true });
      await s.posts.createReply("b", full.no, newPost({ file: newFile() }), { ...ROOMY, imageLimit: 1 });

      await expectDomainError(s.posts.createReply("b", locked.no, newPost(), ROOMY), "locked");
      await expectDomainError(s.posts.createReply("b", archived.no, newPost(), ROOMY), "locked");
      await expectDomainError(
        s.posts.createReply("b", full.no, newPost({ file: newFile() }), { ...ROOMY, imageLimit: 1 }),
        "forbidden",
      );
      const next = await s.posts.createReply("b", full.no, newPost(), ROOMY);
      expect(next.no).toBe(5);
      expect((await s.posts.getThread("b", locked.no))?.replyCount).toBe(0);
      expect(await s.posts.countPosts()).toBe(5);
    });

    it("stops bumping at the bump limit and never bumps on sage", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const limits = { ...ROOMY, bumpLimit: 2 };
      const { post: op } = await s.posts.createThread("b", newPost({ createdAt: 1000 }), ROOMY);
      await s.posts.createReply("b", op.no, newPost({ createdAt: 2000, sage: true }), limits);
      expect((await s.posts.getThread("b", op.no))?.bumpedAt).toBe(1000);
      await s.posts.createReply("b", op.no, newPost({ createdAt: 3000 }), limits);
      expect((await s.posts.getThread("b", op.no))?.bumpedAt).toBe(3000);
      // two replies before this one: the limit is reached
      await s.posts.createReply("b", op.no, newPost({ createdAt: 4000 }), limits);
      const state = await s.posts.getThread("b", op.no);
      expect(state?.bumpedAt).toBe(3000);
      expect(state?.replyCount).toBe(3);
    });

    it("refuses image replies once the thread has imageLimit images, text replies still pass", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const limits = { ...ROOMY, imageLimit: 2 };
      const { post: op } = await s.posts.createThread("b", newPost({ file: newFile() }), ROOMY);
      await s.posts.createReply("b", op.no, newPost({ file: newFile() }), limits);
      await s.posts.createReply("b", op.no, newPost({ file: newFile() }), limits);
      const refused = s.posts.createReply("b", op.no, newPost({ file: newFile() }), limits);
      await expect(refused).rejects.toMatchObject({ kind: "forbidden", message: "image limit reached" });
      await s.posts.createReply("b", op.no, newPost(), limits);
      expect(await s.posts.getThread("b", op.no)).toMatchObject({ imageCount: 2, replyCount: 3 });
    });

    it("returns a thread's posts OP first in number order", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: a } = await s.posts.createThread("b", newPost(), ROOMY);
      const { post: b } = await s.posts.createThread("b", newPost(), ROOMY);
      await s.posts.createReply("b", a.no, newPost(), ROOMY);
      await s.posts.createReply("b", b.no, newPost(), ROOMY);
      await s.posts.createReply("b", a.no, newPost(), ROOMY);
      expect((await s.posts.getThreadPosts("b", a.no)).map((p) => p.no)).toEqual([1, 3, 5]);
      expect(await s.posts.getThreadPosts("b", 99)).toEqual([]);
    });

    it("deletes a reply, updating the thread's counts and versions", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost(), ROOMY);
      const reply = await s.posts.createReply("b", op.no, newPost({ file: newFile() }), ROOMY);
      await s.posts.createReply("b", op.no, newPost(), ROOMY);
      const before = await s.posts.getThread("b", op.no);
      const boardVersion = await s.boards.version("b");
      const result = await s.posts.deletePost("b", reply.no);
      expect(result.deleted).toEqual([reply]);
      expect(await s.posts.getPost("b", reply.no)).toBeNull();
      const after = await s.posts.getThread("b", op.no);
      expect(after).toMatchObject({ replyCount: 1, imageCount: 0 });
      expect(after!.version).toBeGreaterThan(before!.version);
      expect(await s.boards.version("b")).toBeGreaterThan(boardVersion);
      expect(await s.posts.deletePost("b", reply.no)).toEqual({ deleted: [], orphans: [] });
    });

    it("deletes a whole thread when its OP is deleted", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost(), ROOMY);
      const { post: other } = await s.posts.createThread("b", newPost(), ROOMY);
      const r1 = await s.posts.createReply("b", op.no, newPost(), ROOMY);
      const r2 = await s.posts.createReply("b", op.no, newPost(), ROOMY);
      await s.posts.createReply("b", other.no, newPost(), ROOMY);
      const result = await s.posts.deletePost("b", op.no);
      expect(result.deleted).toEqual([op, r1, r2]);
      expect(await s.posts.getThread("b", op.no)).toBeNull();
      expect(await s.posts.getThreadPosts("b", op.no)).toEqual([]);
      expect(await s.posts.getPost("b", r2.no)).toBeNull();
      expect(await s.posts.countThreads("b", false)).toBe(1);
      expect(await s.posts.countPosts()).toBe(2);
      // numbers are never reused
      expect((await s.posts.createThread("b", newPost(), ROOMY)).post.no).toBe(6);
    });

    it("sets thread flags, stamping archivedAt once and versioning thread and board", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost(), ROOMY);
      const boardVersion = await s.boards.version("b");
      const sticky = await s.posts.setThreadFlags("b", op.no, { sticky: true });
      expect(sticky).toMatchObject({ sticky: true, locked: false, archived: false, archivedAt: null, version: 2 });
      const locked = await s.posts.setThreadFlags("b", op.no, { locked: true });
      expect(locked).toMatchObject({ sticky: true, locked: true, version: 3 });
      const t0 = Date.now();
      const archived = await s.posts.setThreadFlags("b", op.no, { archived: true });
      expect(archived?.archived).toBe(true);
      expect(archived?.archivedAt).toBeGreaterThanOrEqual(t0);
      expect(archived?.archivedAt).toBeLessThanOrEqual(Date.now());
      const again = await s.posts.setThreadFlags("b", op.no, { archived: true });
      expect(again?.archivedAt).toBe(archived?.archivedAt);
      const restored = await s.posts.setThreadFlags("b", op.no, { archived: false, sticky: false, locked: false });
      expect(restored).toMatchObject({ sticky: false, locked: false, archived: false, archivedAt: null, version: 6 });
      expect(await s.posts.getThread("b", op.no)).toEqual(restored);
      expect(await s.boards.version("b")).toBe(boardVersion + 5);
      expect(await s.posts.setThreadFlags("b", 99, { sticky: true })).toBeNull();
      await expectDomainError(s.posts.setThreadFlags("b", op.no, { sticky: "yes" as never }), "invalid");
    });

    it("finds the last post time of an address by kind, across boards", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const { post: t } = await s.posts.createThread("b", newPost({ ipHash: "x", createdAt: 1000 }), ROOMY);
      await s.posts.createReply("b", t.no, newPost({ ipHash: "x", createdAt: 1500 }), ROOMY);
      const { post: u } = await s.posts.createThread("c", newPost({ ipHash: "y", createdAt: 3000 }), ROOMY);
      await s.posts.createReply("c", u.no, newPost({ ipHash: "x", createdAt: 2000 }), ROOMY);
      await s.posts.createThread("c", newPost({ ipHash: "x", createdAt: 1200 }), ROOMY);
      expect(await s.posts.lastPostTime("x", "thread")).toBe(1200);
      expect(await s.posts.lastPostTime("x", "reply")).toBe(2000);
      expect(await s.posts.lastPostTime("y", "reply")).toBeNull();
      expect(await s.posts.lastPostTime("nobody", "thread")).toBeNull();
    });

    it("lists an address's posts newest first, up to a limit", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const { post: t } = await s.posts.createThread("b", newPost({ ipHash: "x", createdAt: 1000 }), ROOMY);
      await s.posts.createReply("b", t.no, newPost({ ipHash: "y", createdAt: 2000 }), ROOMY);
      await s.posts.createReply("b", t.no, newPost({ ipHash: "x", createdAt: 3000 }), ROOMY);
      await s.posts.createThread("c", newPost({ ipHash: "x", createdAt: 4000 }), ROOMY);
      const all = await s.posts.postsByIpHash("x", 10);
      expect(all.map((p) => [p.board, p.createdAt])).toEqual([
        ["c", 4000],
        ["b", 3000],
        ["b", 1000],
      ]);
      expect((await s.posts.postsByIpHash("x", 2)).map((p) => p.createdAt)).toEqual([4000, 3000]);
      expect(await s.posts.postsByIpHash("z", 10)).toEqual([]);
    });

    it("counts all posts on all boards", async () => {
      const s = store();
      expect(await s.posts.countPosts()).toBe(0);
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const { post } = await s.posts.createThread("b", newPost(), ROOMY);
      await s.posts.createReply("b", post.no, newPost(), ROOMY);
      await s.posts.createThread("c", newPost(), ROOMY);
      expect(await s.posts.countPosts()).toBe(3);
    });
  });
}
