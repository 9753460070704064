import { describe, expect, it } from "vitest";
import type { ModerationLogEntry } from "../../server/domain/moderation-log.js";
import type { ContractContext } from "./store-contract.js";

const entry = (over: Partial<ModerationLogEntry>): ModerationLogEntry => ({
  id: "e1",
  board: "b",
  action: "delete",
  postNo: 3,
  reason: "spam",
  by: "Board owner",
  createdAt: 1000,
  ...over,
});

export function describeModerationLogContract({ store, reopen }: ContractContext): void {
  describe("moderation log", () => {
    it("lists a board's entries newest first, pages by time, and keeps boards apart", async () => {
      const s = store();
      await s.modLog.append(entry({ id: "a", createdAt: 1000 }));
      await s.modLog.append(entry({ id: "b", createdAt: 3000, action: "lock", reason: "" }));
      await s.modLog.append(entry({ id: "c", createdAt: 2000, action: "ban", postNo: null }));
      await s.modLog.append(entry({ id: "d", board: "g", createdAt: 2500 }));
      const all = await s.modLog.list("b", { limit: 10 });
      expect(all.map((e) => e.id)).toEqual(["b", "c", "a"]);
      expect(all[1]).toEqual(entry({ id: "c", createdAt: 2000, action: "ban", postNo: null }));
      expect((await s.modLog.list("b", { limit: 1 })).map((e) => e.id)).toEqual(["b"]);
      expect((await s.modLog.list("b", { before: 3000, limit: 10 })).map((e) => e.id)).toEqual(["c", "a"]);
      expect((await s.modLog.list("g", { limit: 10 })).map((e) => e.id)).toEqual(["d"]);
      expect(await s.modLog.list("x", { limit: 10 })).toEqual([]);
    });

    it("refuses a second entry with the same id and an unknown action", async () => {
      const s = store();
      await s.modLog.append(entry({}));
      await expect(s.modLog.append(entry({ reason: "other" }))).rejects.toMatchObject({ kind: "conflict" });
      await expect(s.modLog.append(entry({ id: "z", action: "nuke" as never }))).rejects.toThrow();
      expect(await s.modLog.list("b", { limit: 10 })).toHaveLength(1);
    });

    it("keeps entries across a reopen", async () => {
      await store().modLog.append(entry({ id: "kept" }));
      if (!reopen) return expect(reopen).toBeNull();
      const again = await reopen();
      expect((await again.modLog.list("b", { limit: 5 })).map((e) => e.id)).toEqual(["kept"]);
    });
  });
}
