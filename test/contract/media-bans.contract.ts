import { describe, expect, it } from "vitest";
import type { MediaBan } from "../../server/domain/media-safety/media-bans.js";
import type { ContractContext } from "./store-contract.js";

const A = "a".repeat(64);
const B = "b".repeat(64);

const ban = (over: Partial<MediaBan>): MediaBan => ({
  id: "ban-1",
  kind: "sha256",
  hash: A,
  distance: null,
  reason: "spam",
  createdBy: "mod",
  createdAt: 1000,
  source: "local",
  ...over,
});

export function describeMediaBansContract({ store, reopen }: ContractContext): void {
  describe("media bans", () => {
    it("adds, finds, lists newest first and refuses the same hash from the same source twice", async () => {
      const s = store();
      expect(await s.mediaBans.add(ban({}))).toBe(true);
      expect(await s.mediaBans.add(ban({ id: "ban-2", reason: "again" }))).toBe(false);
      expect(await s.mediaBans.add(ban({ id: "ban-3", kind: "pdq", distance: 20, createdAt: 3000 }))).toBe(true);
      expect(await s.mediaBans.add(ban({ id: "ban-4", hash: B, source: "list:x", createdAt: 2000 }))).toBe(true);
      expect(await s.mediaBans.get("ban-1")).toEqual(ban({}));
      expect(await s.mediaBans.get("ban-2")).toBeNull();
      expect(await s.mediaBans.find("pdq", A, "local")).toEqual(
        ban({ id: "ban-3", kind: "pdq", distance: 20, createdAt: 3000 }),
      );
      expect(await s.mediaBans.find("sha256", B, "local")).toBeNull();
      expect((await s.mediaBans.list()).map((b) => b.id)).toEqual(["ban-3", "ban-4", "ban-1"]);
    });

    it("moves its version with every add and delete, not with a refused add", async () => {
      const s = store();
      const v0 = await s.mediaBans.version();
      await s.mediaBans.add(ban({}));
      const v1 = await s.mediaBans.version();
      expect(v1).toBeGreaterThan(v0);
      await s.mediaBans.add(ban({ id: "other" }));
      expect(await s.mediaBans.version()).toBe(v1);
      expect(await s.mediaBans.delete("ban-1")).toEqual(ban({}));
      const v2 = await s.mediaBans.version();
      expect(v2).toBeGreaterThan(v1);
      expect(await s.mediaBans.delete("ban-1")).toBeNull();
      expect(await s.mediaBans.version()).toBe(v2);
      expect(await s.mediaBans.list()).toEqual([]);
    });

    it("refuses query operators where values belong", async () => {
      const s = store();
      await expect(s.mediaBans.get({ $ne: "" } as never)).rejects.toMatchObject({ kind: "invalid" });
      await expect(s.mediaBans.find("sha256", { $ne: "" } as never, "local")).rejects.toMatchObject({
        kind: "invalid",
      });
    });

    it.runIf(reopen !== null)("keeps bans and the version across a reopen", async () => {
      await store().mediaBans.add(ban({ kind: "pdq", distance: 31 }));
      const v = await store().mediaBans.version();
      const again = await reopen!();
      expect(await again.mediaBans.list()).toEqual([ban({ kind: "pdq", distance: 31 })]);
      expect(await again.mediaBans.version()).toBe(v);
    });
  });
}
