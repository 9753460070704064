import { describe, expect, it } from "vitest";
import type { FilterAuditEntry, HeldPost, WordFilter } from "../../server/domain/word-filters.js";
import { newFile, newPost } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

const filter = (over: Partial<WordFilter> = {}): WordFilter => ({
  id: "f1",
  pattern: "spam",
  regex: false,
  board: null,
  action: "reject",
  replacement: null,
  scope: "both",
  createdAt: 1000,
  updatedAt: 1000,
  ...over,
});

let seq = 0;
const audit = (f: WordFilter, action: FilterAuditEntry["action"], at = 1000): FilterAuditEntry => ({
  id: `a${++seq}`,
  filterId: f.id,
  action,
  filter: f,
  by: "admin",
  at,
});

const held = (over: Partial<HeldPost> = {}): HeldPost => ({
  id: "h1",
  board: "b",
  threadNo: null,
  reason: "Word filter: spam",
  post: newPost({ comment: "held text", createdAt: 1500 }),
  heldAt: 2000,
  ...over,
});

export function describeWordFilterContract({ store, reopen }: ContractContext): void {
  describe("word filters", () => {
    it("creates, lists in creation order, updates and removes filters, moving the version each time", async () => {
      const s = store();
      const v0 = await s.wordFilters.version();
      const a = filter({ id: "fa", pattern: "zzz" });
      const b = filter({
        id: "fb",
        pattern: "(x+)+",
        regex: true,
        board: "b",
        action: "replace",
        replacement: "[x]",
        scope: "local",
      });
      await s.wordFilters.create(a, audit(a, "create"));
      await s.wordFilters.create(b, audit(b, "create"));
      const v2 = await s.wordFilters.version();
      expect(v2).toBeGreaterThan(v0);
      expect(await s.wordFilters.list()).toEqual([a, b]);
      expect(await s.wordFilters.get("fb")).toEqual(b);
      expect(await s.wordFilters.get("nope")).toBeNull();

      const changed = { ...a, action: "hold" as const, updatedAt: 3000 };
      expect(await s.wordFilters.update(changed, audit(changed, "update", 3000))).toBe(true);
      expect(await s.wordFilters.get("fa")).toEqual(changed);
      const v3 = await s.wordFilters.version();
      expect(v3).toBeGreaterThan(v2);
      expect(await s.wordFilters.remove("fb", audit(b, "delete", 4000))).toBe(true);
      expect(await s.wordFilters.list()).toEqual([changed]);
      expect(await s.wordFilters.version()).toBeGreaterThan(v3);
    });

    it("writes no audit entry and keeps the version for a change to a filter that does not exist", async () => {
      const s = store();
      const ghost = filter({ id: "ghost" });
      const v = await s.wordFilters.version();
      expect(await s.wordFilters.update(ghost, audit(ghost, "update"))).toBe(false);
      expect(await s.wordFilters.remove("ghost", audit(ghost, "delete"))).toBe(false);
      expect(await s.wordFilters.version()).toBe(v);
      expect(await s.wordFilters.audit(10)).toEqual([]);
    });

    it("keeps an audit trail, newest first, and refuses a duplicate id or a malformed filter", async () => {
      const s = store();
      const a = filter({ id: "fa" });
      await s.wordFilters.create(a, audit(a, "create", 1000));
      await expect(s.wordFilters.create(a, audit(a, "create", 1001))).rejects.toMatchObject({ kind: "conflict" });
      await expect(
        s.wordFilters.create(filter({ id: "fz", action: "nuke" as never }), audit(a, "create")),
      ).rejects.toMatchObject({ kind: "invalid" });
      await expect(s.wordFilters.get({ $ne: "" } as never)).rejects.toMatchObject({ kind: "invalid" });
      await s.wordFilters.remove("fa", audit(a, "delete", 2000));
      const trail = await s.wordFilters.audit(10);
      expect(trail.map((e) => [e.action, e.filterId, e.by])).toEqual([
        ["delete", "fa", "admin"],
        ["create", "fa", "admin"],
      ]);
      expect(trail[1]?.filter).toEqual(a);
      expect(await s.wordFilters.audit(1)).toHaveLength(1);
    });

    it("holds local posts, lists them by board oldest first, and counts their files as referenced", async () => {
      const s = store();
      const file = newFile({ sha256: "f".repeat(64), thumbSha256: "e".repeat(64) });
      await s.heldPosts.add(held({ id: "h2", heldAt: 3000, post: newPost({ file }) }));
      await s.heldPosts.add(held({ id: "h1", threadNo: 7 }));
      await s.heldPosts.add(held({ id: "h3", board: "c" }));
      await expect(s.heldPosts.add(held({ id: "h1" }))).rejects.toMatchObject({ kind: "conflict" });
      expect((await s.heldPosts.list()).map((h) => h.id)).toEqual(["h1", "h3", "h2"]);
      expect((await s.heldPosts.list("b")).map((h) => h.id)).toEqual(["h1", "h2"]);
      const one = await s.heldPosts.get("h1");
      expect(one).toEqual(held({ id: "h1", threadNo: 7 }));
      expect((await s.heldPosts.get("h2"))?.post.file).toEqual(file);
      expect(await s.heldPosts.referencedMedia()).toEqual(new Set([file.sha256, file.thumbSha256]));
      expect(await s.heldPosts.remove("h2")).toBe(true);
      expect(await s.heldPosts.remove("h2")).toBe(false);
      expect(await s.heldPosts.referencedMedia()).toEqual(new Set());
      await expect(
        s.heldPosts.add(held({ id: "h9", post: { ...newPost(), comment: 5 as never } })),
      ).rejects.toMatchObject({
        kind: "invalid",
      });
    });

    it("keeps why a held federated activity is held, silenced when none is given", async () => {
      const s = store();
      const base = {
        board: "b",
        domain: "peer.example",
        actorId: "https://peer.example/u/a",
        activity: "{}",
        receivedAt: 5,
      };
      await s.defederation.held.add({ id: "https://peer.example/a/1", ...base, reason: 'Word filter "x"' });
      await s.defederation.held.add({ id: "https://peer.example/a/2", ...base });
      expect(await s.defederation.held.get("https://peer.example/a/1")).toEqual({
        id: "https://peer.example/a/1",
        ...base,
        reason: 'Word filter "x"',
      });
      // Without a reason it is held because its domain is silenced.
      expect(await s.defederation.held.get("https://peer.example/a/2")).toEqual({
        id: "https://peer.example/a/2",
        ...base,
        reason: "silenced",
      });
      await expect(
        s.defederation.held.add({ id: "https://peer.example/a/3", ...base, reason: 7 as never }),
      ).rejects.toMatchObject({ kind: "invalid" });
    });

    it("keeps filters, their version and held posts across a reopen", async () => {
      if (!reopen) return expect(reopen).toBeNull();
      const s = store();
      const a = filter({ id: "fa" });
      await s.wordFilters.create(a, audit(a, "create"));
      await s.heldPosts.add(held());
      const v = await s.wordFilters.version();
      const again = await reopen();
      expect(await again.wordFilters.list()).toEqual([a]);
      expect(await again.wordFilters.version()).toBe(v);
      expect((await again.heldPosts.list()).map((h) => h.id)).toEqual(["h1"]);
    });
  });
}
