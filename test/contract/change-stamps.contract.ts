import { describe, expect, it } from "vitest";
import { newBoard, newFile, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/** Lets the clock move on, so a change after it is stamped later than one before it. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

export function describeChangeStampsContract({ store }: ContractContext): void {
  describe("file ids and modification times", () => {
    it("keeps a file's tim unless the board gave it out already, then takes the next free one", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const tim = 1_700_000_000_123;
      const { post: op } = await s.posts.createThread("b", newPost({ file: newFile({ tim }) }), ROOMY);
      expect(op.file?.tim).toBe(tim);
      const same = await s.posts.createReply("b", op.no, newPost({ file: newFile({ tim }) }), ROOMY);
      expect(same.file?.tim).toBe(tim + 1);
      const older = await s.posts.createReply("b", op.no, newPost({ file: newFile({ tim: tim - 50 }) }), ROOMY);
      expect(older.file?.tim).toBe(tim + 2);
      const later = await s.posts.createReply("b", op.no, newPost({ file: newFile({ tim: tim + 500 }) }), ROOMY);
      expect(later.file?.tim).toBe(tim + 500);
      expect((await s.posts.getPost("b", same.no))?.file?.tim).toBe(tim + 1);
      expect((await s.posts.findFileByTim("b", tim + 2))?.sha256).toBe(older.file?.sha256);
      // another board has its own ids
      const { post: other } = await s.posts.createThread("c", newPost({ file: newFile({ tim }) }), ROOMY);
      expect(other.file?.tim).toBe(tim);
    });

    it("gives concurrent posts wanting one tim distinct ids", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost(), ROOMY);
      const tim = 1_700_000_000_000;
      const posts = await Promise.all(
        Array.from({ length: 40 }, () => s.posts.createReply("b", op.no, newPost({ file: newFile({ tim }) }), ROOMY)),
      );
      const tims = new Set(posts.map((p) => p.file?.tim));
      expect(tims.size).toBe(40);
      expect(Math.min(...posts.map((p) => p.file?.tim ?? 0))).toBe(tim);
    });

    it("moves a thread's modifiedAt with every change a reader sees, bumping or not", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const limits = { ...ROOMY, bumpLimit: 1 };
      const { post: op } = await s.posts.createThread("b", newPost({ createdAt: 1000 }), ROOMY);
      const stamps: number[] = [(await s.posts.getThread("b", op.no))!.modifiedAt];
      expect(stamps[0]).toBe(1000);
      const step = async (change: () => Promise<unknown>) => {
        await tick();
        await change();
        stamps.push((await s.posts.getThread("b", op.no))!.modifiedAt);
      };
      await step(() => s.posts.createReply("b", op.no, newPost({ createdAt: 1000, sage: true }), limits));
      let past = 0;
      await step(async () => {
        past = (await s.posts.createReply("b", op.no, newPost({ createdAt: 1000, file: newFile() }), limits)).no;
      });
      await step(() => s.posts.deleteFile("b", past));
      await step(() => s.posts.deletePost("b", past));
      await step(() => s.posts.updatePostText("b", op.no, { comment: "edited", html: "edited" }));
      await step(() => s.posts.setThreadFlags("b", op.no, { sticky: true }));
      await step(() => s.posts.setThreadFlags("b", op.no, { locked: true }));
      await step(() => s.posts.setThreadFlags("b", op.no, { archived: true }));
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]!);
      const state = await s.posts.getThread("b", op.no);
      // the sage reply and the one past the bump limit did not bump
      expect(state?.bumpedAt).toBe(1000);
      const listed = await s.posts.listThreads("b", { archived: true, order: "bump", offset: 0, limit: 10 });
      expect(listed[0]?.state.modifiedAt).toBe(state?.modifiedAt);
    });

    it("moves the board's stamp with its threads, their deletion and its settings", async () => {
      const s = store();
      await s.boards.create(newBoard("b", {}, 1000));
      expect(await s.boards.stamp("b")).toEqual({ version: await s.boards.version("b"), modifiedAt: 1000 });
      expect(await s.boards.stamp("nope")).toBeNull();
      const stamps: number[] = [];
      const step = async (change: () => Promise<unknown>) => {
        await tick();
        const before = (await s.boards.stamp("b"))!;
        await change();
        const after = (await s.boards.stamp("b"))!;
        expect(after.version).toBeGreaterThan(before.version);
        stamps.push(after.modifiedAt);
      };
      let op = 0;
      await step(async () => {
        op = (await s.posts.createThread("b", newPost({ createdAt: 1000 }), ROOMY)).post.no;
      });
      await step(() => s.posts.createReply("b", op, newPost({ createdAt: 1000, sage: true }), ROOMY));
      await step(() => s.boards.update("b", { title: "renamed" }));
      await step(() => s.posts.deletePost("b", op));
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1]!);
      expect(stamps[0]).toBeGreaterThan(1000);
    });
  });
}
