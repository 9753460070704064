import { describe, expect, it } from "vitest";
import { DEFAULT_BOARD_SETTINGS } from "../../server/domain/board.js";
import { expectDomainError, newBoard, newFile, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function describeBoardContract({ store }: ContractContext): void {
  describe("boards", () => {
    it("creates, gets and lists boards in uri order", async () => {
      const s = store();
      const b = newBoard("b", { bumpLimit: 5, allowedTypes: ["image/png"] });
      await s.boards.create(b);
      await s.boards.create(newBoard("a"));
      expect(await s.boards.get("b")).toEqual(b);
      expect(await s.boards.get("nope")).toBeNull();
      expect((await s.boards.list()).map((x) => x.uri)).toEqual(["a", "b"]);
    });

    it("refuses a second board with the same uri", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await expectDomainError(s.boards.create(newBoard("b")), "conflict");
      expect(await s.boards.list()).toHaveLength(1);
    });

    it("patches title, description and known settings, keeping the rest", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const before = await s.boards.version("b");
      const updated = await s.boards.update("b", {
        title: "New title",
        settings: { bumpLimit: 7, sfw: false, allowedTypes: ["image/gif"] },
      });
      expect(updated).toEqual({
        ...newBoard("b"),
        title: "New title",
        settings: { ...DEFAULT_BOARD_SETTINGS, bumpLimit: 7, sfw: false, allowedTypes: ["image/gif"] },
      });
      expect(await s.boards.get("b")).toEqual(updated);
      expect(await s.boards.version("b")).toBeGreaterThan(before);
      const described = await s.boards.update("b", { description: "d" });
      expect(described?.description).toBe("d");
      expect(described?.title).toBe("New title");
    });

    it("ignores unknown setting keys and refuses settings of the wrong type", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const patch = { bumpLimit: 9, $where: "1", "a.b": 2, __proto__x: 1 } as never;
      const updated = await s.boards.update("b", { settings: patch });
      expect(updated?.settings).toEqual({ ...DEFAULT_BOARD_SETTINGS, bumpLimit: 9 });
      expect(Object.keys((await s.boards.get("b"))!.settings).sort()).toEqual(
        Object.keys(DEFAULT_BOARD_SETTINGS).sort(),
      );
      await expectDomainError(s.boards.update("b", { settings: { bumpLimit: "9" as never } }), "invalid");
      await expectDomainError(s.boards.update("b", { settings: { allowedTypes: ["text/html" as never] } }), "invalid");
      await expectDomainError(s.boards.update("b", { settings: { sfw: { $ne: 1 } as never } }), "invalid");
      expect((await s.boards.get("b"))!.settings.bumpLimit).toBe(9);
    });

    it("answers null when patching an unknown board", async () => {
      expect(await store().boards.update("nope", { title: "x" })).toBeNull();
    });

    it("versions a board from creation on and answers 0 for an unknown one", async () => {
      const s = store();
      expect(await s.boards.version("b")).toBe(0);
      await s.boards.create(newBoard("b"));
      const v0 = await s.boards.version("b");
      const { post } = await s.posts.createThread("b", newPost(), ROOMY);
      const v1 = await s.boards.version("b");
      await s.posts.createReply("b", post.no, newPost(), ROOMY);
      const v2 = await s.boards.version("b");
      expect(v1).toBeGreaterThan(v0);
      expect(v2).toBeGreaterThan(v1);
    });

    it("knows the last number it gave out, which a deletion does not take back", async () => {
      const s = store();
      expect(await s.boards.lastNumber("b")).toBeNull();
      await s.boards.create(newBoard("b"));
      expect(await s.boards.lastNumber("b")).toBe(0);
      const { post } = await s.posts.createThread("b", newPost(), ROOMY);
      const reply = await s.posts.createReply("b", post.no, newPost(), ROOMY);
      expect(await s.boards.lastNumber("b")).toBe(reply.no);
      await s.posts.deletePost("b", reply.no);
      expect(await s.boards.lastNumber("b")).toBe(reply.no);
    });

    it("deletes a board with its threads, posts and reports, returning orphaned files", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("c"));
      const shared = newFile();
      const own = newFile();
      const t = await s.posts.createThread("b", newPost({ file: own }), ROOMY);
      await s.posts.createReply("b", t.post.no, newPost({ file: { ...shared, tim: 1 } }), ROOMY);
      const other = await s.posts.createThread("c", newPost({ file: { ...shared, tim: 2 } }), ROOMY);
      await s.reports.create({
        id: "r1",
        board: "b",
        postNo: t.post.no,
        reason: "spam",
        createdAt: 1,
        ipHash: null,
        resolved: false,
      });

      const result = await s.boards.delete("b");
      expect(result.deleted).toBe(true);
      expect(result.orphans).toEqual([own.sha256, own.thumbSha256].sort());
      expect(await s.boards.get("b")).toBeNull();
      expect(await s.posts.getPost("b", t.post.no)).toBeNull();
      expect(await s.posts.getThread("b", t.post.no)).toBeNull();
      expect(await s.posts.countThreads("b", false)).toBe(0);
      expect(await s.reports.get("r1")).toBeNull();
      expect(await s.posts.getPost("c", other.post.no)).not.toBeNull();
      expect(await s.posts.countPosts()).toBe(1);
      expect(await s.boards.delete("b")).toEqual({ deleted: false, orphans: [] });
    });

    it("starts a recreated board from scratch", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.posts.createThread("b", newPost(), ROOMY);
      await s.posts.createThread("b", newPost(), ROOMY);
      await s.boards.delete("b");
      await s.boards.create(newBoard("b"));
      expect(await s.posts.countThreads("b", false)).toBe(0);
      const { post } = await s.posts.createThread("b", newPost(), ROOMY);
      expect(post.no).toBe(1);
    });

    it("refuses non-string arguments instead of passing them to the database", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await expectDomainError(s.boards.get({ $ne: null } as never), "invalid");
      await expectDomainError(s.boards.delete({ $gt: "" } as never), "invalid");
      await expectDomainError(s.posts.getPost("b", "1" as never), "invalid");
      await expectDomainError(s.posts.getPost({ $ne: "x" } as never, 1), "invalid");
      await expectDomainError(s.users.get({ $ne: null } as never), "invalid");
      await expectDomainError(s.sessions.get({ $ne: null } as never, 0), "invalid");
      await expectDomainError(s.tokens.findByHash({ $ne: null } as never), "invalid");
      expect(await s.boards.get("b")).not.toBeNull();
    });
  });
}
