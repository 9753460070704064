import { describe, expect, it } from "vitest";
import {
  auditEntry,
  boardRule,
  createBlock,
  domainAllow,
  domainBlock,
  listEntry,
  subscription,
} from "./defederation-factories.js";
import type { ContractContext } from "./store-contract.js";

/* Domain moderation data survives closing and reopening the store. */

export function describeDomainReopenContract({ store, reopen }: ContractContext): void {
  describe.skipIf(reopen === null)("domain moderation: closing and reopening", () => {
    it("keeps rules, the audit log, the version, subscriptions, entries, consensus and purges", async () => {
      const s = store();
      const block = domainBlock("spam.example", { expiresAt: 7000, stagedSeverity: "suspend" });
      const allow = domainAllow("friend.example");
      const rule = boardRule("b", "loud.example");
      const entries = [auditEntry("e1", { domain: "spam.example" }), auditEntry("e2", { domain: "friend.example" })];
      await s.defederation.rules.apply(
        [createBlock(block), { op: "create_allow", allow }, { op: "create_board_rule", rule }],
        entries,
      );
      await s.defederation.rules.apply([], [auditEntry("e3", { at: 2000, domain: "loud.example" })]);
      const sub = subscription("a", { lastChange: { added: 1 } });
      await s.defederation.subscriptions.create(sub);
      await s.defederation.subscriptions.replaceEntries("a", [listEntry("spam.example")]);
      const consensus = { minSources: 2, minShare: 0.25, merge: "strictest" as const, stageWhileFollowed: true };
      await s.defederation.subscriptions.setConsensus(consensus);
      await s.defederation.purges.schedule("gone.example", 4000);
      const audit = await s.defederation.rules.audit({ limit: 10 });

      const again = await reopen!();
      expect(await again.defederation.rules.listBlocks()).toEqual([block]);
      expect(await again.defederation.rules.listAllows()).toEqual([allow]);
      expect(await again.defederation.rules.listBoardRules()).toEqual([rule]);
      expect(await again.defederation.rules.version()).toBe(2);
      expect(await again.defederation.rules.audit({ limit: 10 })).toEqual(audit);
      expect(audit.map((e) => e.id)).toEqual(["e3", "e2", "e1"]);
      expect(await again.defederation.subscriptions.list()).toEqual([sub]);
      expect(await again.defederation.subscriptions.entries()).toEqual(new Map([["a", [listEntry("spam.example")]]]));
      expect(await again.defederation.subscriptions.consensus()).toEqual(consensus);
      expect(await again.defederation.purges.due(5000)).toEqual(["gone.example"]);

      // new entries still go after the ones written before the restart
      await again.defederation.rules.apply([], [auditEntry("e4", { at: 2000 })]);
      expect((await again.defederation.rules.audit({ limit: 2 })).map((e) => e.id)).toEqual(["e4", "e3"]);
      expect(await again.defederation.rules.version()).toBe(3);
    });
  });
}
