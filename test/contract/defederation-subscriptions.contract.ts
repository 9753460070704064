import { describe, expect, it } from "vitest";
import {
  type BlocklistEntry,
  type BlocklistSubscription,
  DEFAULT_CONSENSUS,
} from "../../server/domain/defederation-ports.js";
import { listEntry, subscription } from "./defederation-factories.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* Blocklist subscriptions: the lists, the entries each last carried, and the consensus settings. */

export function describeDomainSubscriptionsContract({ store }: ContractContext): void {
  describe("blocklist subscriptions", () => {
    it("creates, lists by priority, updates and deletes subscriptions", async () => {
      const subs = store().defederation.subscriptions;
      expect(await subs.list()).toEqual([]);
      const low = subscription("low", { priority: 1, excludes: ["friend.example"], createdAt: 500 });
      const high = subscription("high", {
        priority: 10,
        format: "plain",
        draft: true,
        lastSyncAt: 2000,
        lastStatus: "ok",
        lastChange: { added: ["a.example", "b.example"], removed: 0, "dotted.key": { $set: 1 } },
      });
      const mid = subscription("mid", { priority: 1, createdAt: 700 });
      await subs.create(low);
      await subs.create(high);
      await subs.create(mid);
      expect(await subs.get("high")).toEqual(high);
      expect(await subs.get("nope")).toBeNull();
      expect((await subs.list()).map((s) => s.id)).toEqual(["high", "low", "mid"]);

      const updated = await subs.update("low", {
        priority: 20,
        format: "gotosocial_json",
        excludes: ["pal.example", "friend.example"],
        draft: true,
        lastSyncAt: 3000,
        lastStatus: "HTTP 500",
        lastChange: { wouldAdd: 3 },
      });
      const expected: BlocklistSubscription = {
        ...low,
        priority: 20,
        format: "gotosocial_json",
        excludes: ["pal.example", "friend.example"],
        draft: true,
        lastSyncAt: 3000,
        lastStatus: "HTTP 500",
        lastChange: { wouldAdd: 3 },
      };
      expect(updated).toEqual(expected);
      expect(await subs.get("low")).toEqual(expected);
      // null clears; id and createdAt are not the patch's to change; an empty patch changes nothing
      const cleared = await subs.update("low", {
        lastSyncAt: null,
        lastChange: null,
        id: "hijack",
        createdAt: 1,
      } as never);
      expect(cleared).toEqual({ ...expected, lastSyncAt: null, lastChange: null });
      expect(await subs.update("low", {})).toEqual(cleared);
      expect(await subs.update("nope", { priority: 1 })).toBeNull();
      expect((await subs.list()).map((s) => s.id)).toEqual(["low", "high", "mid"]);

      expect(await subs.delete("mid")).toBe(true);
      expect(await subs.delete("mid")).toBe(false);
      expect((await subs.list()).map((s) => s.id)).toEqual(["low", "high"]);
    });

    it("refuses a URL subscribed twice, and malformed subscriptions", async () => {
      const subs = store().defederation.subscriptions;
      await subs.create(subscription("a"));
      await subs.create(subscription("b"));
      await expectDomainError(subs.create(subscription("c", { url: subscription("a").url })), "conflict");
      await expectDomainError(subs.create(subscription("a", { url: "https://other.example/list" })), "conflict");
      await expectDomainError(subs.update("b", { url: subscription("a").url }), "conflict");
      expect((await subs.get("b"))?.url).toBe(subscription("b").url);
      await expectDomainError(subs.create({ ...subscription("d"), format: "xml" as never }), "invalid");
      await expectDomainError(subs.create({ ...subscription("d"), url: { $ne: null } as never }), "invalid");
      await expectDomainError(subs.create({ ...subscription("d"), excludes: "friend.example" as never }), "invalid");
      await expectDomainError(subs.create({ ...subscription("d"), priority: 0.5 }), "invalid");
      await expectDomainError(subs.update("b", { draft: "no" as never }), "invalid");
      await expectDomainError(subs.update("b", { lastChange: [1] as never }), "invalid");
      await expectDomainError(subs.get({ $ne: null } as never), "invalid");
      expect((await subs.list()).map((s) => s.id)).toEqual(["a", "b"]);
    });

    it("replaces a subscription's entries, and deleting it deletes them", async () => {
      const subs = store().defederation.subscriptions;
      await subs.create(subscription("a", { priority: 5 }));
      await subs.create(subscription("b"));
      expect(await subs.entries()).toEqual(
        new Map([
          ["a", []],
          ["b", []],
        ]),
      );
      const first = [
        listEntry("spam.example", { publicComment: "spam", rejectMedia: true }),
        listEntry("bad.example", { severity: "silence", obfuscate: true, rejectReports: true }),
      ];
      await subs.replaceEntries("a", first);
      await subs.replaceEntries("b", [listEntry("spam.example", { severity: "noop" })]);
      const byDomain = (list: BlocklistEntry[]) => [...list].sort((x, y) => (x.domain < y.domain ? -1 : 1));
      let all = await subs.entries();
      expect([...all.keys()]).toEqual(["a", "b"]);
      expect(byDomain(all.get("a")!)).toEqual(byDomain(first));
      expect(all.get("b")).toEqual([listEntry("spam.example", { severity: "noop" })]);

      // a replace replaces; a list naming one domain twice keeps its first line
      await subs.replaceEntries("a", [
        listEntry("new.example"),
        listEntry("new.example", { severity: "noop" }),
        listEntry("other.example"),
      ]);
      all = await subs.entries();
      expect(byDomain(all.get("a")!)).toEqual([listEntry("new.example"), listEntry("other.example")]);
      await subs.replaceEntries("a", []);
      expect((await subs.entries()).get("a")).toEqual([]);

      await expectDomainError(subs.replaceEntries("nope", [listEntry("x.example")]), "not_found");
      await expectDomainError(
        subs.replaceEntries("b", [{ ...listEntry("x.example"), severity: "ban" as never }]),
        "invalid",
      );
      await expectDomainError(
        subs.replaceEntries("b", [{ ...listEntry("x.example"), domain: { $ne: 1 } as never }]),
        "invalid",
      );
      expect((await subs.entries()).get("b")).toEqual([listEntry("spam.example", { severity: "noop" })]);

      // deleting a subscription takes its entries: the same id subscribed again starts empty
      expect(await subs.delete("b")).toBe(true);
      expect([...(await subs.entries()).keys()]).toEqual(["a"]);
      await subs.create(subscription("b"));
      expect((await subs.entries()).get("b")).toEqual([]);
    });

    it("replaces thousands of entries at once", async () => {
      const subs = store().defederation.subscriptions;
      await subs.create(subscription("big"));
      const entries = range(1, 5000).map((i) => listEntry(`h${i}.example`));
      await subs.replaceEntries("big", entries);
      await subs.replaceEntries("big", entries.slice(0, 4000));
      expect((await subs.entries()).get("big")).toHaveLength(4000);
    });

    it("has the default consensus until one is set", async () => {
      const subs = store().defederation.subscriptions;
      expect(await subs.consensus()).toEqual(DEFAULT_CONSENSUS);
      const settings = { minSources: 3, minShare: 0.5, merge: "mildest" as const, stageWhileFollowed: false };
      await subs.setConsensus(settings);
      expect(await subs.consensus()).toEqual(settings);
      await subs.setConsensus({ ...settings, minShare: null, minSources: 1 });
      expect(await subs.consensus()).toEqual({ ...settings, minShare: null, minSources: 1 });
      await subs.setConsensus({ ...settings, minShare: 1 });
      expect(await subs.consensus()).toEqual({ ...settings, minShare: 1 });

      for (const bad of [
        { ...settings, minSources: 0 },
        { ...settings, minSources: 1.5 },
        { ...settings, minShare: 0 },
        { ...settings, minShare: 1.5 },
        { ...settings, merge: "average" },
        { ...settings, stageWhileFollowed: "yes" },
        null,
      ]) {
        await expectDomainError(subs.setConsensus(bad as never), "invalid");
      }
      expect(await subs.consensus()).toEqual({ ...settings, minShare: 1 });
    });
  });
}
