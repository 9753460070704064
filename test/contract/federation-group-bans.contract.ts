import { describe, expect, it } from "vitest";
import { MAX_GROUP_BAN_REASON } from "../../server/domain/federation-ports.js";
import { expectDomainError } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* Bans the groups our boards follow announced, held against the banned accounts' posts on the mirrors. */

const GROUP = "https://lemmy.example/c/main";
const OTHER = "https://lemmy.example/c/other";
const TROLL = "https://lemmy.example/u/troll";

export function describeFederationGroupBansContract({ store }: ContractContext): void {
  describe("federation: bans announced by followed groups", () => {
    it("holds a ban until it expires, by the groups asked about only", async () => {
      const bans = store().federation.groupBans;
      await bans.put({ groupId: GROUP, actorId: TROLL, reason: "trolling", expiresAt: 5000, createdAt: 1000 });
      expect(await bans.active(TROLL, [GROUP], 4999)).toEqual([
        { groupId: GROUP, actorId: TROLL, reason: "trolling", expiresAt: 5000, createdAt: 1000 },
      ]);
      expect(await bans.active(TROLL, [GROUP], 5000)).toEqual([]);
      expect(await bans.active(TROLL, [OTHER], 2000)).toEqual([]);
      expect(await bans.active(TROLL, [], 2000)).toEqual([]);
      expect(await bans.active("https://lemmy.example/u/user", [GROUP], 2000)).toEqual([]);
    });

    it("replaces a ban announced again, and lifts it on request", async () => {
      const bans = store().federation.groupBans;
      await bans.put({ groupId: OTHER, actorId: TROLL, reason: null, expiresAt: 3000, createdAt: 1000 });
      await bans.put({ groupId: OTHER, actorId: TROLL, reason: "again", expiresAt: null, createdAt: 2000 });
      const both = await bans.active(TROLL, [GROUP, OTHER], 4000);
      expect(both.map((b) => [b.groupId, b.reason, b.expiresAt])).toEqual([[OTHER, "again", null]]);
      expect(await bans.remove(OTHER, TROLL)).toBe(true);
      expect(await bans.remove(OTHER, TROLL)).toBe(false);
      expect(await bans.active(TROLL, [OTHER], 4000)).toEqual([]);
    });

    it("cuts a long reason and refuses a malformed ban", async () => {
      const bans = store().federation.groupBans;
      await bans.put({ groupId: GROUP, actorId: TROLL, reason: "x".repeat(2000), expiresAt: null, createdAt: 1 });
      const [ban] = await bans.active(TROLL, [GROUP], 2);
      expect(ban?.reason).toHaveLength(MAX_GROUP_BAN_REASON);
      await expectDomainError(
        bans.put({ groupId: GROUP, actorId: 42 as unknown as string, reason: null, expiresAt: null, createdAt: 1 }),
        "invalid",
      );
    });
  });
}
