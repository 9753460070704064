import { describe, expect, it } from "vitest";
import { address, newBoard, newFile, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function describeMediaRefsContract({ store }: ContractContext): void {
  describe("files and media references", () => {
    it("finds a file by tim on its board only", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const file = newFile({ tim: 1_700_000_000_123 });
      const { post } = await s.posts.createThread("b", newPost(), ROOMY);
      await s.posts.createReply("b", post.no, newPost({ file }), ROOMY);
      expect(await s.posts.findFileByTim("b", file.tim)).toEqual(file);
      expect(await s.posts.findFileByTim("c", file.tim)).toBeNull();
      expect(await s.posts.findFileByTim("b", 42)).toBeNull();
    });

    it("deletes a reply's file: post kept and marked, image count lowered, tim gone", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ file: newFile() }), ROOMY);
      const file = newFile();
      const reply = await s.posts.createReply("b", op.no, newPost({ file }), ROOMY);
      const before = await s.posts.getThread("b", op.no);
      const boardVersion = await s.boards.version("b");

      const result = await s.posts.deleteFile("b", reply.no);
      expect(result.file).toEqual(file);
      expect(result.orphans).toEqual([file.sha256, file.thumbSha256].sort());
      expect(await s.posts.getPost("b", reply.no)).toEqual({ ...reply, file: null, fileDeleted: true });
      const after = await s.posts.getThread("b", op.no);
      expect(after?.imageCount).toBe(0);
      expect(after?.replyCount).toBe(1);
      expect(after!.version).toBeGreaterThan(before!.version);
      expect(await s.boards.version("b")).toBeGreaterThan(boardVersion);
      expect(await s.posts.findFileByTim("b", file.tim)).toBeNull();
      expect(await s.posts.deleteFile("b", reply.no)).toMatchObject({ file: null, removed: [], orphans: [] });
      expect(await s.posts.deleteFile("b", 999)).toEqual({ file: null, removed: [], post: null, orphans: [] });
    });

    it("deletes an OP's file without touching the reply image count", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const opFile = newFile();
      const { post: op } = await s.posts.createThread("b", newPost({ file: opFile }), ROOMY);
      await s.posts.createReply("b", op.no, newPost({ file: newFile() }), ROOMY);
      const result = await s.posts.deleteFile("b", op.no);
      expect(result.file).toEqual(opFile);
      expect((await s.posts.getThread("b", op.no))?.imageCount).toBe(1);
      expect((await s.posts.getPost("b", op.no))?.fileDeleted).toBe(true);
    });

    it("reports as orphans only addresses no remaining post shares, on any board", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const shared = newFile();
      const single = newFile();
      const { post: t1 } = await s.posts.createThread("b", newPost({ file: shared }), ROOMY);
      const { post: t2 } = await s.posts.createThread("b", newPost(), ROOMY);
      const dup = await s.posts.createReply("b", t2.no, newPost({ file: { ...shared, tim: 7 } }), ROOMY);
      const lone = await s.posts.createReply("b", t2.no, newPost({ file: single }), ROOMY);
      const { post: elsewhere } = await s.posts.createThread("c", newPost({ file: { ...shared, tim: 8 } }), ROOMY);

      expect((await s.posts.deletePost("b", lone.no)).orphans).toEqual([single.sha256, single.thumbSha256].sort());
      expect((await s.posts.deletePost("b", t1.no)).orphans).toEqual([]);
      expect((await s.posts.deleteFile("b", dup.no)).orphans).toEqual([]);
      // the last holder of the file goes: now both addresses are free
      expect((await s.posts.deletePost("c", elsewhere.no)).orphans).toEqual([shared.sha256, shared.thumbSha256].sort());
    });

    it("keeps an address that another post uses in the other role (thumbnail vs original)", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const common = address();
      const a = newFile({ thumbSha256: common });
      const b = newFile({ sha256: common });
      const { post: pa } = await s.posts.createThread("b", newPost({ file: a }), ROOMY);
      await s.posts.createThread("b", newPost({ file: b }), ROOMY);
      expect((await s.posts.deletePost("b", pa.no)).orphans).toEqual([a.sha256]);
    });

    it("collects every referenced address, originals and thumbnails, across boards", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const f1 = newFile();
      const f2 = newFile();
      const f3 = newFile();
      const { post } = await s.posts.createThread("b", newPost({ file: f1 }), ROOMY);
      const reply = await s.posts.createReply("b", post.no, newPost({ file: f2 }), ROOMY);
      await s.posts.createThread("c", newPost({ file: f3 }), ROOMY);
      await s.posts.createThread("c", newPost(), ROOMY);
      expect(await s.posts.referencedMedia()).toEqual(
        new Set([f1.sha256, f1.thumbSha256, f2.sha256, f2.thumbSha256, f3.sha256, f3.thumbSha256]),
      );
      await s.posts.deleteFile("b", reply.no);
      expect(await s.posts.referencedMedia()).toEqual(new Set([f1.sha256, f1.thumbSha256, f3.sha256, f3.thumbSha256]));
    });
  });
}
