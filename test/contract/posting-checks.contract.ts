import { describe, expect, it } from "vitest";
import { newBoard, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function describePostingChecksContract({ store }: ContractContext): void {
  describe("posting checks", () => {
    it("answers as getThread, bans.findActive and wordFilters.version do", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const { post: op } = await s.posts.createThread("b", newPost(), ROOMY);
      await s.bans.create({
        id: "ban",
        ipHash: "ip-x",
        board: "b",
        reason: "spam",
        createdAt: 1000,
        expiresAt: 5000,
        createdBy: "admin",
        postRef: "b/1",
      });
      const version = await s.wordFilters.version();

      const banned = await s.postingChecks("b", op.no, "ip-x", 2000);
      expect(banned.thread).toEqual(await s.posts.getThread("b", op.no));
      expect(banned.thread?.no).toBe(op.no);
      expect(banned.ban?.id).toBe("ban");
      expect(banned.filterVersion).toBe(version);

      const clean = await s.postingChecks("b", null, "ip-y", 2000);
      expect(clean).toEqual({ thread: null, ban: null, filterVersion: version });
      expect((await s.postingChecks("b", op.no + 100, "ip-x", 6000)).thread).toBeNull();
      expect((await s.postingChecks("b", op.no, "ip-x", 6000)).ban).toBeNull();
    });
  });
}
