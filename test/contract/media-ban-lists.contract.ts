import { describe, expect, it } from "vitest";
import type { MediaBanList } from "../../server/domain/media-safety/media-ban-lists.js";
import type { MediaBan } from "../../server/domain/media-safety/media-bans.js";
import type { ContractContext } from "./store-contract.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);

const sub = (over: Partial<MediaBanList>): MediaBanList => ({
  id: "list-1",
  url: "https://lists.example/bad.txt",
  format: "sha256",
  token: null,
  excludes: [],
  createdAt: 1000,
  createdBy: "admin",
  lastSyncAt: null,
  lastStatus: null,
  lastChange: null,
  ...over,
});

const entry = (over: Partial<MediaBan>): MediaBan => ({
  id: "e-1",
  kind: "sha256",
  hash: A,
  distance: null,
  reason: "",
  createdBy: "system",
  createdAt: 1000,
  source: "list:list-1",
  ...over,
});

export function describeMediaBanListsContract({ store, reopen }: ContractContext): void {
  describe("media ban lists", () => {
    it("creates, updates, lists oldest first and deletes subscriptions", async () => {
      const s = store().mediaBanLists;
      await s.create(sub({ token: "t0k", format: "atoll" }));
      await s.create(sub({ id: "list-0", createdAt: 500 }));
      expect(await s.get("list-1")).toEqual(sub({ token: "t0k", format: "atoll" }));
      const after = await s.update("list-1", {
        excludes: [A],
        lastSyncAt: 2000,
        lastStatus: "ok",
        lastChange: { added: 3, removed: 1 },
      });
      const want = sub({
        token: "t0k",
        format: "atoll",
        excludes: [A],
        lastSyncAt: 2000,
        lastStatus: "ok",
        lastChange: { added: 3, removed: 1 },
      });
      expect(after).toEqual(want);
      expect(await s.get("list-1")).toEqual(want);
      expect((await s.list()).map((l) => l.id)).toEqual(["list-0", "list-1"]);
      expect(await s.update("nope", { lastStatus: "x" })).toBeNull();
      expect(await s.delete("list-0")).toBe(true);
      expect(await s.delete("list-0")).toBe(false);
      expect(await s.get("list-0")).toBeNull();
    });

    it("keeps the audit trail newest first, within the limit", async () => {
      const s = store().mediaBanLists;
      for (let i = 0; i < 3; i++) {
        await s.addAudit({
          id: `a${i}`,
          at: 1000,
          actor: "api",
          action: `act${i}`,
          listId: i === 0 ? null : "l",
          detail: { n: i },
        });
      }
      const trail = await s.audit(2);
      expect(trail.map((e) => [e.action, e.listId, e.detail])).toEqual([
        ["act2", "l", { n: 2 }],
        ["act1", "l", { n: 1 }],
      ]);
      expect((await s.audit(2, 2)).map((e) => e.action)).toEqual(["act0"]);
      expect(await s.audit(2, 3)).toEqual([]);
    });

    it("grants and revokes peers, and finds tokens by their hash only", async () => {
      const s = store().mediaBanLists;
      expect(await s.grant({ domain: "peer.example", grantedBy: "api", grantedAt: 5 })).toBe(true);
      expect(await s.grant({ domain: "peer.example", grantedBy: "other", grantedAt: 6 })).toBe(false);
      expect(await s.isGranted("peer.example")).toBe(true);
      expect(await s.isGranted("else.example")).toBe(false);
      expect(await s.grants()).toEqual([{ domain: "peer.example", grantedBy: "api", grantedAt: 5 }]);
      expect(await s.revoke("peer.example")).toBe(true);
      expect(await s.revoke("peer.example")).toBe(false);
      expect(await s.isGranted("peer.example")).toBe(false);

      const token = { id: "t1", label: "B", hash: C, createdBy: "api", createdAt: 7 };
      await s.addToken(token);
      expect(await s.tokenByHash(C)).toEqual(token);
      expect(await s.tokenByHash(A)).toBeNull();
      expect(await s.tokens()).toEqual([token]);
      expect(await s.revokeToken("t1")).toBe(true);
      expect(await s.tokenByHash(C)).toBeNull();
      await expect(s.tokenByHash({ $ne: "" } as never)).rejects.toMatchObject({ kind: "invalid" });
      await expect(s.isGranted({ $ne: "" } as never)).rejects.toMatchObject({ kind: "invalid" });
    });

    it("replaces one source's media bans as a whole, leaving other sources alone", async () => {
      const st = store();
      await st.mediaBans.add(entry({ id: "local", source: "local" }));
      const first = await st.mediaBans.replaceSource("list:list-1", [
        entry({}),
        entry({ id: "e-2", kind: "pdq", hash: B, distance: 20 }),
      ]);
      expect(first.added.map((b) => b.id).sort()).toEqual(["e-1", "e-2"]);
      expect(first.removed).toEqual([]);
      const v = await st.mediaBans.version();

      const same = await st.mediaBans.replaceSource("list:list-1", [
        entry({ id: "x-1" }),
        entry({ id: "x-2", kind: "pdq", hash: B, distance: 20 }),
      ]);
      expect(same).toEqual({ added: [], removed: [] });
      expect(await st.mediaBans.version()).toBe(v);

      const next = await st.mediaBans.replaceSource("list:list-1", [
        entry({ id: "y-2", kind: "pdq", hash: B, distance: 10, reason: "closer" }),
        entry({ id: "y-3", hash: C }),
      ]);
      expect(next.added.map((b) => b.id)).toEqual(["y-3"]);
      expect(next.removed.map((b) => b.id)).toEqual(["e-1"]);
      expect(await st.mediaBans.version()).toBeGreaterThan(v);
      expect(await st.mediaBans.get("e-2")).toMatchObject({ distance: 10, reason: "closer" });

      const emptied = await st.mediaBans.replaceSource("list:list-1", []);
      expect(emptied.removed.map((b) => b.id).sort()).toEqual(["e-2", "y-3"]);
      expect((await st.mediaBans.list()).map((b) => b.id)).toEqual(["local"]);
      await expect(st.mediaBans.replaceSource("list:list-1", [entry({ source: "local" })])).rejects.toThrow();
      expect((await st.mediaBans.list()).map((b) => b.id)).toEqual(["local"]);
    });

    it.runIf(reopen !== null)("keeps subscriptions, grants and tokens across a reopen", async () => {
      await store().mediaBanLists.create(sub({ excludes: [B] }));
      await store().mediaBanLists.grant({ domain: "peer.example", grantedBy: "api", grantedAt: 5 });
      const again = await reopen!();
      expect(await again.mediaBanLists.list()).toEqual([sub({ excludes: [B] })]);
      expect(await again.mediaBanLists.isGranted("peer.example")).toBe(true);
    });
  });
}
