import { describe, expect, it } from "vitest";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* What the inbox records: the activity ids it has seen, and the local post each remote object became. */

export function describeFederationInboxContract({ store }: ContractContext): void {
  describe("federation: inbox dedupe", () => {
    it("reports a repeat within the window, and forgets the id once it expires", async () => {
      const dedupe = store().federation.inboxDedupe;
      const id = "https://remote.example/activities/1";
      expect(await dedupe.seen(id, 1000, 500)).toBe(false);
      expect(await dedupe.seen(id, 1200, 500)).toBe(true);
      // the repeat did not extend the window: it still ends at 1500
      expect(await dedupe.seen(id, 1499, 500)).toBe(true);
      expect(await dedupe.seen(id, 1500, 500)).toBe(false);
      // seen anew at 1500, so in force until 2000
      expect(await dedupe.seen(id, 1999, 500)).toBe(true);
      expect(await dedupe.seen("https://remote.example/activities/2", 1999, 500)).toBe(false);
    });

    it("lets exactly one of 20 racing first sightings through", async () => {
      const dedupe = store().federation.inboxDedupe;
      const results = await Promise.all(
        range(1, 20).map(() => dedupe.seen("https://remote.example/a/x", 1000, 60_000)),
      );
      expect(results.filter((r) => !r)).toHaveLength(1);
    });

    it("tells whether an id is recorded without recording it", async () => {
      const dedupe = store().federation.inboxDedupe;
      const id = "https://remote.example/activities/has";
      expect(await dedupe.has(id, 1000)).toBe(false);
      // asking recorded nothing: the first sighting is still the first
      expect(await dedupe.seen(id, 1000, 500)).toBe(false);
      expect(await dedupe.has(id, 1499)).toBe(true);
      expect(await dedupe.has(id, 1500)).toBe(false);
      await expectDomainError(dedupe.has({ $ne: null } as never, 1), "invalid");
    });

    it("prunes only expired ids", async () => {
      const dedupe = store().federation.inboxDedupe;
      await dedupe.seen("old", 1000, 100);
      await dedupe.seen("older", 900, 100);
      await dedupe.seen("fresh", 1000, 10_000);
      expect(await dedupe.prune(1100)).toBe(2);
      expect(await dedupe.prune(1100)).toBe(0);
      expect(await dedupe.seen("fresh", 1100, 10_000)).toBe(true);
      expect(await dedupe.seen("old", 1100, 100)).toBe(false);
      await expectDomainError(dedupe.seen({ $ne: null } as never, 1, 1), "invalid");
      await expectDomainError(dedupe.seen("x", 1, -1), "invalid");
    });
  });

  describe("federation: remote post index", () => {
    it("maps object ids to local posts one to one", async () => {
      const index = store().federation.remotePosts;
      const ref = { apId: "https://peer.example/b/thread/7", board: "b", no: 12 };
      await index.put(ref);
      await index.put({ ...ref });
      expect(await index.get(ref.apId)).toEqual(ref);
      expect(await index.byBoardAndNo("b", 12)).toEqual(ref);
      expect(await index.byBoardAndNo("b", 13)).toBeNull();
      await index.put({ apId: "https://peer.example/b/post/8", board: "b", no: 14 });
      const many = await index.getMany([
        ref.apId,
        "https://peer.example/none",
        ref.apId,
        "https://peer.example/b/post/8",
      ]);
      expect(many.sort((a, b) => a.no - b.no)).toEqual([
        ref,
        { apId: "https://peer.example/b/post/8", board: "b", no: 14 },
      ]);
      expect(await index.getMany([])).toEqual([]);
      await expectDomainError(index.getMany([{ $ne: null } as never]), "invalid");
      expect(await index.delete("https://peer.example/b/post/8")).toBe(true);
      await expectDomainError(index.put({ ...ref, no: 13 }), "conflict");
      await expectDomainError(index.put({ ...ref, apId: "https://peer.example/other" }), "conflict");
      await expectDomainError(index.put({ ...ref, no: "12" as never }), "invalid");
      await expectDomainError(index.get({ $ne: null } as never), "invalid");
      expect(await index.delete(ref.apId)).toBe(true);
      expect(await index.delete(ref.apId)).toBe(false);
      expect(await index.get(ref.apId)).toBeNull();
      await index.put({ ...ref, no: 13 });
      await index.put({ apId: "https://peer.example/x", board: "c", no: 1 });
      expect(await index.deleteByBoard("b")).toBe(1);
      expect(await index.byBoardAndNo("c", 1)).not.toBeNull();
    });

    it("keeps the group a mirrored post came through", async () => {
      const index = store().federation.remotePosts;
      const ref = { apId: "https://peer.example/b/thread/70", board: "b", no: 70, via: "https://peer.example/c/b" };
      await index.put(ref);
      await index.put({ ...ref });
      await index.put({ apId: "https://peer.example/b/post/71", board: "b", no: 71 });
      expect(await index.get(ref.apId)).toStrictEqual(ref);
      expect(await index.byBoardAndNo("b", 70)).toStrictEqual(ref);
      expect(await index.getMany([ref.apId])).toStrictEqual([ref]);
      // Without a group, the mapping has none (not a null one).
      expect(await index.get("https://peer.example/b/post/71")).toStrictEqual({
        apId: "https://peer.example/b/post/71",
        board: "b",
        no: 71,
      });
      await expectDomainError(
        index.put({ ...ref, apId: "https://peer.example/y", no: 72, via: 3 as never }),
        "invalid",
      );
    });
  });
}
