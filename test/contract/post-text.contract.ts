import { describe, expect, it } from "vitest";
import { expectDomainError, newBoard, newFile, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/** Editing a post's text in place: what a fediverse author's Update does to the local copy. */
export function describePostTextContract({ store }: ContractContext): void {
  describe("post text updates", () => {
    it("replaces comment and html, keeps every other field, and marks the thread and board changed", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ comment: "op" }), ROOMY);
      const reply = await s.posts.createReply(
        "b",
        op.no,
        newPost({ comment: "before", html: "<p>before</p>", file: newFile(), fediActor: "https://r.example/u/a" }),
        ROOMY,
      );
      const threadBefore = (await s.posts.getThread("b", op.no))!.version;
      const boardBefore = await s.boards.version("b");

      const updated = await s.posts.updatePostText("b", reply.no, { comment: "after", html: "<p>after</p>" });
      expect(updated).toEqual({ ...reply, comment: "after", html: "<p>after</p>" });
      expect(await s.posts.getPost("b", reply.no)).toEqual(updated);
      expect(await s.posts.getPost("b", op.no)).toEqual(op);
      expect((await s.posts.getThread("b", op.no))!.version).toBeGreaterThan(threadBefore);
      expect(await s.boards.version("b")).toBeGreaterThan(boardBefore);
    });

    it("edits an opening post too", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ subject: "kept" }), ROOMY);
      const updated = await s.posts.updatePostText("b", op.no, { comment: "new", html: "new" });
      expect(updated).toMatchObject({ no: op.no, threadNo: op.no, subject: "kept", comment: "new", html: "new" });
    });

    it("replaces the subject only when one is given, and clears it with null", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost({ subject: "old title" }), ROOMY);
      const kept = await s.posts.updatePostText("b", op.no, { comment: "a", html: "a" });
      expect(kept?.subject).toBe("old title");
      const renamed = await s.posts.updatePostText("b", op.no, { comment: "b", html: "b", subject: "new title" });
      expect(renamed).toEqual({ ...op, comment: "b", html: "b", subject: "new title" });
      expect(await s.posts.getPost("b", op.no)).toEqual(renamed);
      const cleared = await s.posts.updatePostText("b", op.no, { comment: "c", html: "c", subject: null });
      expect(cleared?.subject).toBeNull();
      await expectDomainError(
        s.posts.updatePostText("b", op.no, { comment: "d", html: "d", subject: 5 as unknown as string }),
        "invalid",
      );
      expect((await s.posts.getPost("b", op.no))?.comment).toBe("c");
    });

    it("returns null for a post or board that does not exist, and refuses values that are not text", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      expect(await s.posts.updatePostText("b", 404, { comment: "x", html: "x" })).toBeNull();
      expect(await s.posts.updatePostText("nope", 1, { comment: "x", html: "x" })).toBeNull();
      const { post } = await s.posts.createThread("b", newPost(), ROOMY);
      await expectDomainError(
        s.posts.updatePostText("b", post.no, { comment: { $gt: "" } as unknown as string, html: "x" }),
        "invalid",
      );
      expect((await s.posts.getPost("b", post.no))?.comment).toBe(post.comment);
    });
  });
}
