import { describe, expect, it } from "vitest";
import { newBoard, newFile, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function describeReopenContract({ store, reopen }: ContractContext): void {
  describe.skipIf(reopen === null)("closing and reopening", () => {
    it("keeps boards, posts, threads, staff and settings, and goes on numbering", async () => {
      const s = store();
      await s.boards.create(newBoard("b", { bumpLimit: 12 }));
      const { post: op } = await s.posts.createThread("b", newPost({ file: newFile() }), ROOMY);
      const reply = await s.posts.createReply("b", op.no, newPost({ quotes: [op.no] }), ROOMY);
      await s.posts.setThreadFlags("b", op.no, { sticky: true });
      await s.users.create({ username: "admin", passwordHash: "h", role: "admin", boards: [], createdAt: 1 });
      await s.settings.set("secret", "s3cr3t");
      const thread = await s.posts.getThread("b", op.no);
      const version = await s.boards.version("b");

      const again = await reopen!();
      expect(again).not.toBe(s);
      expect((await again.boards.get("b"))?.settings.bumpLimit).toBe(12);
      expect(await again.posts.getThreadPosts("b", op.no)).toEqual([op, reply]);
      expect(await again.posts.getThread("b", op.no)).toEqual(thread);
      expect(await again.boards.version("b")).toBe(version);
      expect((await again.users.get("admin"))?.role).toBe("admin");
      expect(await again.settings.get("secret")).toBe("s3cr3t");
      expect((await again.posts.createReply("b", op.no, newPost(), ROOMY)).no).toBe(3);
    });
  });
}
