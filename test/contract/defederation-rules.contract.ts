import { describe, expect, it } from "vitest";
import type { AuditEntry, RuleChange } from "../../server/domain/defederation-ports.js";
import { cpuTime } from "../support/growth.js";
import { auditEntry, boardRule, createBlock, domainAllow, domainBlock } from "./defederation-factories.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* The domain rules store: blocks, allows and board rules, changed in all-or-nothing sets. */

export function describeDomainRulesContract({ store }: ContractContext): void {
  describe("domain rules", () => {
    it("starts empty, at version 0", async () => {
      const rules = store().defederation.rules;
      expect(await rules.listBlocks()).toEqual([]);
      expect(await rules.listAllows()).toEqual([]);
      expect(await rules.listBoardRules()).toEqual([]);
      expect(await rules.version()).toBe(0);
      expect(await rules.audit({ limit: 10 })).toEqual([]);
      expect(await rules.getBlockByDomain("spam.example")).toBeNull();
    });

    it("creates, reads, updates and deletes blocks", async () => {
      const rules = store().defederation.rules;
      const spam = domainBlock("spam.example", {
        severity: "silence",
        rejectMedia: true,
        obfuscate: true,
        expiresAt: 99_000,
        evidenceUrl: "https://atoll.example/reports/1",
        origin: "subscription",
        stagedSeverity: "suspend",
      });
      const bad = domainBlock("bad.example");
      await rules.apply([createBlock(spam), createBlock(bad)], []);
      expect(await rules.getBlock(spam.id)).toEqual(spam);
      expect(await rules.getBlockByDomain("spam.example")).toEqual(spam);
      expect(await rules.listBlocks()).toEqual([bad, spam]);

      // an update replaces everything but the id and the creation time
      const updated = { ...spam, severity: "suspend" as const, stagedSeverity: null, expiresAt: null, updatedAt: 2000 };
      await rules.apply([{ op: "update_block", block: { ...updated, createdAt: 5 } }], []);
      expect(await rules.getBlock(spam.id)).toEqual(updated);

      // an update may move a block to a free domain
      const moved = { ...updated, domain: "spam.example.net" };
      await rules.apply([{ op: "update_block", block: moved }], []);
      expect(await rules.getBlockByDomain("spam.example")).toBeNull();
      expect(await rules.getBlockByDomain("spam.example.net")).toEqual(moved);

      await rules.apply([{ op: "delete_block", id: spam.id }], []);
      expect(await rules.getBlock(spam.id)).toBeNull();
      expect(await rules.listBlocks()).toEqual([bad]);
    });

    it("creates and deletes allows and board rules", async () => {
      const rules = store().defederation.rules;
      const friend = domainAllow("friend.example");
      const pal = domainAllow("pal.example", { comment: "" });
      const onB = boardRule("b", "loud.example");
      const onA = boardRule("a", "loud.example", { severity: "suspend", rejectMedia: false });
      const onB2 = boardRule("b", "edgy.example");
      await rules.apply(
        [
          { op: "create_allow", allow: pal },
          { op: "create_allow", allow: friend },
          { op: "create_board_rule", rule: onB },
          { op: "create_board_rule", rule: onA },
          { op: "create_board_rule", rule: onB2 },
        ],
        [],
      );
      expect(await rules.listAllows()).toEqual([friend, pal]);
      expect(await rules.getAllow(friend.id)).toEqual(friend);
      expect(await rules.listBoardRules()).toEqual([onA, onB2, onB]);
      expect(await rules.listBoardRules("b")).toEqual([onB2, onB]);
      expect(await rules.listBoardRules("c")).toEqual([]);

      await rules.apply(
        [
          { op: "delete_allow", id: pal.id },
          { op: "delete_board_rule", id: onB.id },
        ],
        [],
      );
      expect(await rules.getAllow(pal.id)).toBeNull();
      expect(await rules.listAllows()).toEqual([friend]);
      expect(await rules.listBoardRules("b")).toEqual([onB2]);
    });

    it("applies changes in order: a domain deleted earlier in a change set can be blocked again in it", async () => {
      const rules = store().defederation.rules;
      await rules.apply([createBlock(domainBlock("spam.example"))], []);
      const again = domainBlock("spam.example", { id: "block-2", severity: "silence" });
      await rules.apply([{ op: "delete_block", id: "block-spam.example" }, createBlock(again)], []);
      expect(await rules.listBlocks()).toEqual([again]);
    });

    it("refuses a second rule on one domain with a conflict", async () => {
      const rules = store().defederation.rules;
      await rules.apply(
        [
          createBlock(domainBlock("spam.example")),
          createBlock(domainBlock("bad.example")),
          { op: "create_allow", allow: domainAllow("friend.example") },
          { op: "create_board_rule", rule: boardRule("b", "loud.example") },
        ],
        [],
      );
      const version = await rules.version();
      await expectDomainError(rules.apply([createBlock(domainBlock("spam.example", { id: "other" }))], []), "conflict");
      await expectDomainError(
        rules.apply([createBlock(domainBlock("new.example", { id: "block-bad.example" }))], []),
        "conflict",
      );
      await expectDomainError(
        rules.apply([{ op: "update_block", block: domainBlock("spam.example", { id: "block-bad.example" }) }], []),
        "conflict",
      );
      await expectDomainError(
        rules.apply([{ op: "create_allow", allow: domainAllow("friend.example", { id: "x" }) }], []),
        "conflict",
      );
      await expectDomainError(
        rules.apply([{ op: "create_board_rule", rule: boardRule("b", "loud.example", { id: "x" }) }], []),
        "conflict",
      );
      // two creates of one domain in one change set
      await expectDomainError(
        rules.apply(
          [createBlock(domainBlock("twice.example")), createBlock(domainBlock("twice.example", { id: "y" }))],
          [],
        ),
        "conflict",
      );
      // per board: another board may have its own rule on the domain
      await rules.apply([{ op: "create_board_rule", rule: boardRule("c", "loud.example") }], []);
      expect(await rules.version()).toBe(version + 1);
      expect((await rules.listBlocks()).map((b) => b.domain)).toEqual(["bad.example", "spam.example"]);
    });

    it("refuses to update or delete what does not exist with not_found", async () => {
      const rules = store().defederation.rules;
      await expectDomainError(
        rules.apply([{ op: "update_block", block: domainBlock("nope.example") }], []),
        "not_found",
      );
      await expectDomainError(rules.apply([{ op: "delete_block", id: "nope" }], []), "not_found");
      await expectDomainError(rules.apply([{ op: "delete_allow", id: "nope" }], []), "not_found");
      await expectDomainError(rules.apply([{ op: "delete_board_rule", id: "nope" }], []), "not_found");
      expect(await rules.version()).toBe(0);
    });

    it("applies all or nothing: a failing change in the middle leaves no change, no audit entry and no version move", async () => {
      const rules = store().defederation.rules;
      const kept = domainBlock("kept.example");
      await rules.apply([createBlock(kept)], [auditEntry("a0", { domain: "kept.example" })]);
      const version = await rules.version();
      const before = await rules.audit({ limit: 10 });

      const failing = async (bad: RuleChange, kind: "conflict" | "not_found") => {
        await expectDomainError(
          rules.apply(
            [
              createBlock(domainBlock("one.example")),
              { op: "update_block", block: { ...kept, severity: "noop", updatedAt: 9 } },
              { op: "create_allow", allow: domainAllow("friend.example") },
              { op: "create_board_rule", rule: boardRule("b", "loud.example") },
              bad,
              createBlock(domainBlock("two.example")),
            ],
            [auditEntry("a1", { domain: "one.example" }), auditEntry("a2", { domain: "two.example" })],
          ),
          kind,
        );
        expect(await rules.listBlocks()).toEqual([kept]);
        expect(await rules.listAllows()).toEqual([]);
        expect(await rules.listBoardRules()).toEqual([]);
        expect(await rules.audit({ limit: 10 })).toEqual(before);
        expect(await rules.version()).toBe(version);
      };
      await failing(createBlock(domainBlock("kept.example", { id: "dup" })), "conflict");
      await failing({ op: "delete_block", id: "missing" }, "not_found");
      await failing({ op: "delete_allow", id: "missing" }, "not_found");
      await failing({ op: "create_allow", allow: domainAllow("friend.example", { id: "again" }) }, "conflict");

      // a duplicate audit id fails the change set too
      await expectDomainError(
        rules.apply([createBlock(domainBlock("one.example"))], [auditEntry("a0", { domain: "one.example" })]),
        "conflict",
      );
      expect(await rules.getBlockByDomain("one.example")).toBeNull();
      expect(await rules.version()).toBe(version);
    });

    it("moves the version by one on every apply, and only on success", async () => {
      const rules = store().defederation.rules;
      expect(await rules.version()).toBe(0);
      await rules.apply([createBlock(domainBlock("a.example"))], []);
      expect(await rules.version()).toBe(1);
      await rules.apply([], [auditEntry("x", { action: "subscription.sync", domain: "" })]);
      expect(await rules.version()).toBe(2);
      await rules.apply([], []);
      expect(await rules.version()).toBe(3);
      await expectDomainError(rules.apply([createBlock(domainBlock("a.example", { id: "z" }))], []), "conflict");
      expect(await rules.version()).toBe(3);
    });

    it("refuses malformed changes and audit entries with invalid, before writing anything", async () => {
      const rules = store().defederation.rules;
      const bad: unknown[] = [
        [{ op: "drop_table" }],
        [{ op: "create_block", block: { ...domainBlock("a.example"), severity: "nuke" } }],
        [{ op: "create_block", block: { ...domainBlock("a.example"), id: { $ne: null } } }],
        [{ op: "create_block", block: { ...domainBlock("a.example"), domain: "" } }],
        [{ op: "create_block", block: { ...domainBlock("a.example"), domain: 42 } }],
        [{ op: "create_block", block: { ...domainBlock("a.example"), rejectMedia: "yes" } }],
        [{ op: "create_block", block: { ...domainBlock("a.example"), expiresAt: 1.5 } }],
        [{ op: "create_block", block: { ...domainBlock("a.example"), origin: "elsewhere" } }],
        [{ op: "create_board_rule", rule: { ...boardRule("b", "a.example"), severity: "noop" } }],
        [{ op: "delete_block", id: { $gt: "" } }],
        [null],
        "not a list",
      ];
      for (const changes of bad) {
        await expectDomainError(rules.apply(changes as RuleChange[], []), "invalid");
      }
      const cyclic: Record<string, unknown> = {};
      cyclic["self"] = cyclic;
      const badAudit: unknown[] = [
        [{ ...auditEntry("a"), actor: { kind: "root", id: "" } }],
        [{ ...auditEntry("a"), action: "block.explode" }],
        [{ ...auditEntry("a"), before: "text" }],
        [{ ...auditEntry("a"), after: [1, 2] }],
        [{ ...auditEntry("a"), at: "now" }],
        [{ ...auditEntry("a"), before: new Date(0) }],
        [{ ...auditEntry("a"), after: cyclic }],
      ];
      for (const audit of badAudit) {
        await expectDomainError(rules.apply([createBlock(domainBlock("a.example"))], audit as AuditEntry[]), "invalid");
      }
      await expectDomainError(rules.getBlock({ $ne: null } as never), "invalid");
      await expectDomainError(rules.getBlockByDomain({ $ne: null } as never), "invalid");
      await expectDomainError(rules.listBoardRules({ $ne: null } as never), "invalid");
      await expectDomainError(rules.audit({ limit: "all" as never }), "invalid");
      await expectDomainError(rules.audit({ limit: 10, before: { $gt: "" } as never }), "invalid");
      expect(await rules.listBlocks()).toEqual([]);
      expect(await rules.version()).toBe(0);
    });
  });

  describe("domain rules: many at once", () => {
    const N = 20_000;
    it(`applies ${N} creates and ${N} audit entries in one transaction, in time linear in their number`, async () => {
      const rules = store().defederation.rules;
      const batch = (n: number, prefix: string) => {
        const changes: RuleChange[] = [];
        const audit: AuditEntry[] = [];
        for (let i = 0; i < n; i++) {
          const domain = `${prefix}${i}.example`;
          const block = domainBlock(domain, { id: `b${prefix}${i}`, severity: i % 3 === 0 ? "silence" : "suspend" });
          changes.push(createBlock(block));
          audit.push(
            auditEntry(`a${prefix}${i}`, {
              at: 1_000_000,
              domain,
              actor: { kind: "subscription", id: "sub-1" },
              action: "block.create",
              after: { severity: block.severity, rejectMedia: false },
              subscriptionId: "sub-1",
            }),
          );
        }
        return { changes, audit };
      };
      const timed = (b: { changes: RuleChange[]; audit: AuditEntry[] }) =>
        cpuTime(() => rules.apply(b.changes, b.audit));
      // A quarter first: four times the rows take about four times as long, where work per row that
      // grew with the batch would take about sixteen.
      const quarter = await timed(batch(N / 4, "early"));
      const full = await timed(batch(N, "host"));
      console.info(
        `[domains contract] ${store().kind}: apply of ${N} creates + ${N} audit entries took ${full.toFixed(0)} ms of CPU`,
      );
      expect(full / quarter).toBeLessThan(10);
      expect(await rules.version()).toBe(2);
      const blocks = await rules.listBlocks();
      expect(blocks).toHaveLength(N + N / 4);
      expect(await rules.getBlockByDomain("host12346.example")).toEqual(
        domainBlock("host12346.example", { id: "bhost12346", severity: "suspend" }),
      );
      expect((await rules.audit({ limit: 3 })).map((e) => e.id)).toEqual([
        `ahost${N - 1}`,
        `ahost${N - 2}`,
        `ahost${N - 3}`,
      ]);
      expect((await rules.audit({ limit: 5, domain: "host7.example" })).map((e) => e.id)).toEqual(["ahost7"]);

      // the same again with one conflict at the very end: nothing of it lands
      const more = range(0, N - 1).map((i) => createBlock(domainBlock(`more${i}.example`, { id: `m${i}` })));
      more.push(createBlock(domainBlock("host0.example", { id: "clash" })));
      await expectDomainError(rules.apply(more, []), "conflict");
      expect(await rules.listBlocks()).toHaveLength(N + N / 4);
      expect(await rules.getBlockByDomain("more0.example")).toBeNull();
      expect(await rules.version()).toBe(2);
    });
  });
}
