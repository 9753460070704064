import { describe, expect, it } from "vitest";
import type { HiddenPosterToken } from "../../server/domain/poster-token.js";
import { newBoard, newPost, ROOMY } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

const TOKEN_A = "AAAAAAAAAAAAAAAAAAAAAA";
const TOKEN_B = "BBBBBBBBBBBBBBBBBBBBBB";

const hidden = (over: Partial<HiddenPosterToken>): HiddenPosterToken => ({
  board: "b",
  token: TOKEN_A,
  reason: "spam",
  createdBy: "mod",
  createdAt: 1000,
  ...over,
});

export function describePosterTokenContract({ store, reopen }: ContractContext): void {
  describe("poster tokens", () => {
    it("keeps a post's token and finds a board's posts by token, newest first", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.boards.create(newBoard("g"));
      const op = await s.posts.createThread("b", newPost({ posterToken: TOKEN_A }), ROOMY);
      await s.posts.createReply("b", op.post.no, newPost({ posterToken: TOKEN_B }), ROOMY);
      const later = await s.posts.createReply("b", op.post.no, newPost({ posterToken: TOKEN_A }), ROOMY);
      await s.posts.createReply("b", op.post.no, newPost({}), ROOMY);
      await s.posts.createThread("g", newPost({ posterToken: TOKEN_A }), ROOMY);

      expect(op.post.posterToken).toBe(TOKEN_A);
      expect((await s.posts.getPost("b", later.no))?.posterToken).toBe(TOKEN_A);
      expect((await s.posts.getPost("b", later.no + 1))?.posterToken).toBeNull();
      const found = await s.posts.postsByPosterToken("b", TOKEN_A, 10);
      expect(found.map((p) => p.no)).toEqual([later.no, op.post.no]);
      expect((await s.posts.postsByPosterToken("b", TOKEN_A, 1)).map((p) => p.no)).toEqual([later.no]);
      expect((await s.posts.postsByPosterToken("g", TOKEN_A, 10)).map((p) => p.board)).toEqual(["g"]);
      expect(await s.posts.postsByPosterToken("g", TOKEN_B, 10)).toEqual([]);
      await expect(s.posts.postsByPosterToken("b", { $ne: "" } as never, 10)).rejects.toMatchObject({
        kind: "invalid",
      });
    });

    it("hides a token once per board, lists newest first, and lifts", async () => {
      const s = store();
      expect(await s.hiddenTokens.hide(hidden({}))).toBe(true);
      expect(await s.hiddenTokens.hide(hidden({ reason: "again", createdAt: 5000 }))).toBe(false);
      expect(await s.hiddenTokens.hide(hidden({ token: TOKEN_B, createdAt: 2000, reason: "" }))).toBe(true);
      expect(await s.hiddenTokens.hide(hidden({ board: "g", createdAt: 3000 }))).toBe(true);

      expect(await s.hiddenTokens.list("b")).toEqual([
        hidden({ token: TOKEN_B, createdAt: 2000, reason: "" }),
        hidden({}),
      ]);
      expect((await s.hiddenTokens.list(null)).map((h) => `${h.board}:${h.token}`)).toEqual([
        `g:${TOKEN_A}`,
        `b:${TOKEN_B}`,
        `b:${TOKEN_A}`,
      ]);
      expect(await s.hiddenTokens.unhide("b", TOKEN_A)).toBe(true);
      expect(await s.hiddenTokens.unhide("b", TOKEN_A)).toBe(false);
      expect((await s.hiddenTokens.list("b")).map((h) => h.token)).toEqual([TOKEN_B]);
      expect((await s.hiddenTokens.list("g")).map((h) => h.token)).toEqual([TOKEN_A]);
    });

    it("keeps the token a report names, and leaves it absent on other reports", async () => {
      const s = store();
      const base = { board: "b", postNo: 1, reason: "r", createdAt: 1, ipHash: null, resolved: false };
      await s.reports.create({ ...base, id: "named", origin: "peer.test", posterToken: TOKEN_A });
      await s.reports.create({ ...base, id: "plain" });
      expect(await s.reports.get("named")).toEqual({ ...base, id: "named", origin: "peer.test", posterToken: TOKEN_A });
      const plain = await s.reports.get("plain");
      expect(plain).toEqual({ ...base, id: "plain" });
      expect(plain && "posterToken" in plain).toBe(false);
      expect((await s.reports.listOpen(["b"])).map((r) => r.posterToken ?? null).sort()).toEqual([TOKEN_A, null]);
    });

    it("keeps hidden tokens and post tokens across a reopen", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      await s.posts.createThread("b", newPost({ posterToken: TOKEN_A }), ROOMY);
      await s.hiddenTokens.hide(hidden({}));
      if (!reopen) return expect(reopen).toBeNull();
      const again = await reopen();
      expect((await again.hiddenTokens.list("b")).map((h) => h.token)).toEqual([TOKEN_A]);
      expect(await again.posts.postsByPosterToken("b", TOKEN_A, 5)).toHaveLength(1);
    });
  });
}
