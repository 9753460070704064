import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../../server/domain/defederation-ports.js";
import { auditEntry, createBlock, domainBlock } from "./defederation-factories.js";
import { range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* The append-only audit log the domain rules store keeps with every change set. */

export function describeDomainAuditContract({ store }: ContractContext): void {
  describe("domain rules: audit log", () => {
    it("keeps entries as written and lists them newest first, paging with `before`", async () => {
      const rules = store().defederation.rules;
      // three change sets; within one moment the later-written entry is the newer
      const written: AuditEntry[] = [];
      for (const set of [0, 1, 2]) {
        const entries = range(1, 9).map((i) =>
          auditEntry(`e${set}-${i}`, {
            at: 1000 + set * 100 + (i <= 3 ? 0 : i),
            domain: i % 2 === 0 ? "even.example" : "odd.example",
            actor: set === 2 ? { kind: "subscription", id: "sub-1" } : { kind: "user", id: "admin" },
            action: set === 2 ? "subscription.sync" : "block.update",
            before: i === 1 ? null : { severity: "silence", nested: { list: [1, "two"], flag: true } },
            after: i === 2 ? null : { severity: "suspend" },
            subscriptionId: set === 2 ? "sub-1" : null,
            reason: `reason ${i}`,
          }),
        );
        await rules.apply([], entries);
        written.push(...entries);
      }
      const newestFirst = [...written].reverse();

      expect(await rules.audit({ limit: 100 })).toEqual(newestFirst);
      const pages: AuditEntry[][] = [];
      let before: string | undefined;
      for (;;) {
        const page = await rules.audit(before === undefined ? { limit: 10 } : { limit: 10, before });
        if (page.length === 0) break;
        pages.push(page);
        before = page.at(-1)!.id;
      }
      expect(pages.map((p) => p.length)).toEqual([10, 10, 7]);
      expect(pages.flat()).toEqual(newestFirst);

      const even = newestFirst.filter((e) => e.domain === "even.example");
      expect(await rules.audit({ limit: 100, domain: "even.example" })).toEqual(even);
      const first = await rules.audit({ limit: 5, domain: "even.example" });
      expect(first).toEqual(even.slice(0, 5));
      expect(await rules.audit({ limit: 100, domain: "even.example", before: first.at(-1)!.id })).toEqual(
        even.slice(5),
      );
      expect(await rules.audit({ limit: 10, domain: "none.example" })).toEqual([]);
      expect(await rules.audit({ limit: 0 })).toEqual([]);
      // an id the log never held is no page boundary: nothing follows it
      expect(await rules.audit({ limit: 10, before: "unknown" })).toEqual([]);
    });

    it("orders by time first, whatever order entries were written in", async () => {
      const rules = store().defederation.rules;
      await rules.apply([], [auditEntry("late", { at: 5000 })]);
      await rules.apply([], [auditEntry("early", { at: 2000 }), auditEntry("middle", { at: 3000 })]);
      expect((await rules.audit({ limit: 10 })).map((e) => e.id)).toEqual(["late", "middle", "early"]);
      expect((await rules.audit({ limit: 10, before: "late" })).map((e) => e.id)).toEqual(["middle", "early"]);
    });

    it("writes audit entries with the changes they describe", async () => {
      const rules = store().defederation.rules;
      const block = domainBlock("spam.example");
      const entry = auditEntry("c1", {
        domain: "spam.example",
        after: { ...block },
        actor: { kind: "token", id: "tok-1" },
        reason: "",
      });
      await rules.apply([createBlock(block)], [entry]);
      expect(await rules.audit({ limit: 1, domain: "spam.example" })).toEqual([entry]);
    });
  });
}
