import { describe, expect, it } from "vitest";
import type { RemoteBan } from "../../server/domain/remote-bans.js";
import { expectDomainError } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

const TROLL = "https://lemmy.example/u/troll";

function ban(overrides: Partial<RemoteBan>): RemoteBan {
  return {
    id: "ban",
    actorId: TROLL,
    handle: "troll@lemmy.example",
    board: null,
    reason: "spam",
    createdAt: 1000,
    expiresAt: null,
    createdBy: "admin",
    deletePosts: false,
    ...overrides,
  };
}

export function describeRemoteBanContract({ store }: ContractContext): void {
  describe("remote bans", () => {
    it("finds the instance-wide or board ban in force, not an expired one or another board's", async () => {
      const s = store();
      await s.remoteBans.create(ban({ id: "board-b", board: "b", expiresAt: 5000, deletePosts: true }));
      await s.remoteBans.create(ban({ id: "old", expiresAt: 1500 }));
      await s.remoteBans.create(ban({ id: "other", actorId: "https://x.example/u/y", handle: null }));
      expect(await s.remoteBans.findActive(TROLL, "b", 2000)).toEqual(
        ban({ id: "board-b", board: "b", expiresAt: 5000, deletePosts: true }),
      );
      expect(await s.remoteBans.findActive(TROLL, "c", 2000)).toBeNull();
      expect(await s.remoteBans.findActive(TROLL, "b", 5000)).toBeNull();
      expect((await s.remoteBans.findActive(TROLL, "c", 1000))?.id).toBe("old");
      expect(await s.remoteBans.findActive("https://x.example/u/z", "b", 0)).toBeNull();
      expect((await s.remoteBans.findActive("https://x.example/u/y", "any", 9e15))?.handle).toBeNull();
    });

    it("prefers a permanent ban over a temporary one", async () => {
      const s = store();
      await s.remoteBans.create(ban({ id: "temp", board: "b", expiresAt: 9000 }));
      await s.remoteBans.create(ban({ id: "perm", board: null, expiresAt: null }));
      expect((await s.remoteBans.findActive(TROLL, "b", 2000))?.id).toBe("perm");
    });

    it("lists newest first, gets by id, refuses a duplicate id or a bad value, deletes by id", async () => {
      const s = store();
      await s.remoteBans.create(ban({ id: "a", createdAt: 1 }));
      await s.remoteBans.create(ban({ id: "b", createdAt: 2, board: "b" }));
      await expectDomainError(s.remoteBans.create(ban({ id: "a" })), "conflict");
      await expectDomainError(s.remoteBans.create(ban({ id: "c", expiresAt: 1.5 })), "invalid");
      await expectDomainError(
        s.remoteBans.create(ban({ id: "d", actorId: { $ne: "" } as unknown as string })),
        "invalid",
      );
      expect((await s.remoteBans.list()).map((b) => b.id)).toEqual(["b", "a"]);
      expect(await s.remoteBans.get("b")).toEqual(ban({ id: "b", createdAt: 2, board: "b" }));
      expect(await s.remoteBans.get("zz")).toBeNull();
      expect(await s.remoteBans.delete("a")).toBe(true);
      expect(await s.remoteBans.delete("a")).toBe(false);
      expect(await s.remoteBans.list()).toEqual([ban({ id: "b", createdAt: 2, board: "b" })]);
    });
  });
}
