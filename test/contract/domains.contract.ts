import { describe, expect, it } from "vitest";
import type { BoardDomainRule, DomainAllow, DomainBlock } from "../../server/domain/domain-policy.js";
import type { HeldActivity } from "../../server/domain/domain-ports.js";
import {
  type AuditEntry,
  type BlocklistEntry,
  type BlocklistSubscription,
  DEFAULT_CONSENSUS,
  type RuleChange,
} from "../../server/domain/domain-ports.js";
import { cpuTime } from "../support/growth.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

export function domainBlock(domain: string, overrides: Partial<DomainBlock> = {}): DomainBlock {
  return {
    id: `block-${domain}`,
    domain,
    severity: "suspend",
    rejectMedia: false,
    rejectReports: false,
    privateComment: "spam wave",
    publicComment: "spam",
    obfuscate: false,
    expiresAt: null,
    evidenceUrl: null,
    origin: "manual",
    stagedSeverity: null,
    createdAt: 1000,
    updatedAt: 1000,
    ...overrides,
  };
}

export function domainAllow(domain: string, overrides: Partial<DomainAllow> = {}): DomainAllow {
  return { id: `allow-${domain}`, domain, comment: "friends", createdAt: 1000, ...overrides };
}

export function boardRule(board: string, domain: string, overrides: Partial<BoardDomainRule> = {}): BoardDomainRule {
  return {
    id: `rule-${board}-${domain}`,
    board,
    domain,
    severity: "silence",
    rejectMedia: true,
    comment: "off-topic",
    createdAt: 1000,
    ...overrides,
  };
}

export function auditEntry(id: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id,
    at: 1000,
    actor: { kind: "user", id: "admin" },
    action: "block.create",
    domain: "spam.example",
    before: null,
    after: { severity: "suspend" },
    reason: "spam",
    subscriptionId: null,
    ...overrides,
  };
}

export function subscription(id: string, overrides: Partial<BlocklistSubscription> = {}): BlocklistSubscription {
  return {
    id,
    url: `https://lists.example/${id}.csv`,
    format: "mastodon_csv",
    priority: 0,
    excludes: [],
    draft: false,
    createdAt: 1000,
    lastSyncAt: null,
    lastStatus: null,
    lastChange: null,
    ...overrides,
  };
}

export function listEntry(domain: string, overrides: Partial<BlocklistEntry> = {}): BlocklistEntry {
  return {
    domain,
    severity: "suspend",
    rejectMedia: false,
    rejectReports: false,
    publicComment: "",
    obfuscate: false,
    ...overrides,
  };
}

const create = (block: DomainBlock): RuleChange => ({ op: "create_block", block });

export function describeDomainContract({ store, reopen }: ContractContext): void {
  describe("domain rules", () => {
    it("starts empty, at version 0", async () => {
      const rules = store().domains.rules;
      expect(await rules.listBlocks()).toEqual([]);
      expect(await rules.listAllows()).toEqual([]);
      expect(await rules.listBoardRules()).toEqual([]);
      expect(await rules.version()).toBe(0);
      expect(await rules.audit({ limit: 10 })).toEqual([]);
      expect(await rules.getBlockByDomain("spam.example")).toBeNull();
    });

    it("creates, reads, updates and deletes blocks", async () => {
      const rules = store().domains.rules;
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
      await rules.apply([create(spam), create(bad)], []);
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
      const rules = store().domains.rules;
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
      const rules = store().domains.rules;
      await rules.apply([create(domainBlock("spam.example"))], []);
      const again = domainBlock("spam.example", { id: "block-2", severity: "silence" });
      await rules.apply([{ op: "delete_block", id: "block-spam.example" }, create(again)], []);
      expect(await rules.listBlocks()).toEqual([again]);
    });

    it("refuses a second rule on one domain with a conflict", async () => {
      const rules = store().domains.rules;
      await rules.apply(
        [
          create(domainBlock("spam.example")),
          create(domainBlock("bad.example")),
          { op: "create_allow", allow: domainAllow("friend.example") },
          { op: "create_board_rule", rule: boardRule("b", "loud.example") },
        ],
        [],
      );
      const version = await rules.version();
      await expectDomainError(rules.apply([create(domainBlock("spam.example", { id: "other" }))], []), "conflict");
      await expectDomainError(
        rules.apply([create(domainBlock("new.example", { id: "block-bad.example" }))], []),
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
        rules.apply([create(domainBlock("twice.example")), create(domainBlock("twice.example", { id: "y" }))], []),
        "conflict",
      );
      // per board: another board may have its own rule on the domain
      await rules.apply([{ op: "create_board_rule", rule: boardRule("c", "loud.example") }], []);
      expect(await rules.version()).toBe(version + 1);
      expect((await rules.listBlocks()).map((b) => b.domain)).toEqual(["bad.example", "spam.example"]);
    });

    it("refuses to update or delete what does not exist with not_found", async () => {
      const rules = store().domains.rules;
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
      const rules = store().domains.rules;
      const kept = domainBlock("kept.example");
      await rules.apply([create(kept)], [auditEntry("a0", { domain: "kept.example" })]);
      const version = await rules.version();
      const before = await rules.audit({ limit: 10 });

      const failing = async (bad: RuleChange, kind: "conflict" | "not_found") => {
        await expectDomainError(
          rules.apply(
            [
              create(domainBlock("one.example")),
              { op: "update_block", block: { ...kept, severity: "noop", updatedAt: 9 } },
              { op: "create_allow", allow: domainAllow("friend.example") },
              { op: "create_board_rule", rule: boardRule("b", "loud.example") },
              bad,
              create(domainBlock("two.example")),
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
      await failing(create(domainBlock("kept.example", { id: "dup" })), "conflict");
      await failing({ op: "delete_block", id: "missing" }, "not_found");
      await failing({ op: "delete_allow", id: "missing" }, "not_found");
      await failing({ op: "create_allow", allow: domainAllow("friend.example", { id: "again" }) }, "conflict");

      // a duplicate audit id fails the change set too
      await expectDomainError(
        rules.apply([create(domainBlock("one.example"))], [auditEntry("a0", { domain: "one.example" })]),
        "conflict",
      );
      expect(await rules.getBlockByDomain("one.example")).toBeNull();
      expect(await rules.version()).toBe(version);
    });

    it("moves the version by one on every apply, and only on success", async () => {
      const rules = store().domains.rules;
      expect(await rules.version()).toBe(0);
      await rules.apply([create(domainBlock("a.example"))], []);
      expect(await rules.version()).toBe(1);
      await rules.apply([], [auditEntry("x", { action: "subscription.sync", domain: "" })]);
      expect(await rules.version()).toBe(2);
      await rules.apply([], []);
      expect(await rules.version()).toBe(3);
      await expectDomainError(rules.apply([create(domainBlock("a.example", { id: "z" }))], []), "conflict");
      expect(await rules.version()).toBe(3);
    });

    it("refuses malformed changes and audit entries with invalid, before writing anything", async () => {
      const rules = store().domains.rules;
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
        await expectDomainError(rules.apply([create(domainBlock("a.example"))], audit as AuditEntry[]), "invalid");
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

  describe("domain rules: audit log", () => {
    it("keeps entries as written and lists them newest first, paging with `before`", async () => {
      const rules = store().domains.rules;
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
      const rules = store().domains.rules;
      await rules.apply([], [auditEntry("late", { at: 5000 })]);
      await rules.apply([], [auditEntry("early", { at: 2000 }), auditEntry("middle", { at: 3000 })]);
      expect((await rules.audit({ limit: 10 })).map((e) => e.id)).toEqual(["late", "middle", "early"]);
      expect((await rules.audit({ limit: 10, before: "late" })).map((e) => e.id)).toEqual(["middle", "early"]);
    });

    it("writes audit entries with the changes they describe", async () => {
      const rules = store().domains.rules;
      const block = domainBlock("spam.example");
      const entry = auditEntry("c1", {
        domain: "spam.example",
        after: { ...block },
        actor: { kind: "token", id: "tok-1" },
        reason: "",
      });
      await rules.apply([create(block)], [entry]);
      expect(await rules.audit({ limit: 1, domain: "spam.example" })).toEqual([entry]);
    });
  });

  describe("domain rules: many at once", () => {
    const N = 20_000;
    it(`applies ${N} creates and ${N} audit entries in one transaction, in time linear in their number`, async () => {
      const rules = store().domains.rules;
      const batch = (n: number, prefix: string) => {
        const changes: RuleChange[] = [];
        const audit: AuditEntry[] = [];
        for (let i = 0; i < n; i++) {
          const domain = `${prefix}${i}.example`;
          const block = domainBlock(domain, { id: `b${prefix}${i}`, severity: i % 3 === 0 ? "silence" : "suspend" });
          changes.push(create(block));
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
      const more = range(0, N - 1).map((i) => create(domainBlock(`more${i}.example`, { id: `m${i}` })));
      more.push(create(domainBlock("host0.example", { id: "clash" })));
      await expectDomainError(rules.apply(more, []), "conflict");
      expect(await rules.listBlocks()).toHaveLength(N + N / 4);
      expect(await rules.getBlockByDomain("more0.example")).toBeNull();
      expect(await rules.version()).toBe(2);
    });
  });

  describe("blocklist subscriptions", () => {
    it("creates, lists by priority, updates and deletes subscriptions", async () => {
      const subs = store().domains.subscriptions;
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
      const subs = store().domains.subscriptions;
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
      const subs = store().domains.subscriptions;
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
      const subs = store().domains.subscriptions;
      await subs.create(subscription("big"));
      const entries = range(1, 5000).map((i) => listEntry(`h${i}.example`));
      await subs.replaceEntries("big", entries);
      await subs.replaceEntries("big", entries.slice(0, 4000));
      expect((await subs.entries()).get("big")).toHaveLength(4000);
    });

    it("has the default consensus until one is set", async () => {
      const subs = store().domains.subscriptions;
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

  describe("domain purges", () => {
    it("schedules, moves, cancels and finishes purges", async () => {
      const purges = store().domains.purges;
      expect(await purges.due(Number.MAX_SAFE_INTEGER)).toEqual([]);
      await purges.schedule("b.example", 2000);
      await purges.schedule("a.example", 3000);
      await purges.schedule("c.example", 2000);
      expect(await purges.due(1999)).toEqual([]);
      expect(await purges.due(2000)).toEqual(["b.example", "c.example"]);
      expect(await purges.due(5000)).toEqual(["b.example", "c.example", "a.example"]);

      // scheduling again moves the time
      await purges.schedule("b.example", 9000);
      expect(await purges.due(5000)).toEqual(["c.example", "a.example"]);

      expect(await purges.cancel("a.example")).toBe(true);
      expect(await purges.cancel("a.example")).toBe(false);
      await purges.done("c.example");
      await purges.done("never.example");
      expect(await purges.due(5000)).toEqual([]);
      expect(await purges.due(9000)).toEqual(["b.example"]);

      await expectDomainError(purges.schedule({ $ne: null } as never, 1), "invalid");
      await expectDomainError(purges.schedule("x.example", "soon" as never), "invalid");
      await expectDomainError(purges.due("now" as never), "invalid");
    });
  });

  describe.skipIf(reopen === null)("domain moderation: closing and reopening", () => {
    it("keeps rules, the audit log, the version, subscriptions, entries, consensus and purges", async () => {
      const s = store();
      const block = domainBlock("spam.example", { expiresAt: 7000, stagedSeverity: "suspend" });
      const allow = domainAllow("friend.example");
      const rule = boardRule("b", "loud.example");
      const entries = [auditEntry("e1", { domain: "spam.example" }), auditEntry("e2", { domain: "friend.example" })];
      await s.domains.rules.apply(
        [create(block), { op: "create_allow", allow }, { op: "create_board_rule", rule }],
        entries,
      );
      await s.domains.rules.apply([], [auditEntry("e3", { at: 2000, domain: "loud.example" })]);
      const sub = subscription("a", { lastChange: { added: 1 } });
      await s.domains.subscriptions.create(sub);
      await s.domains.subscriptions.replaceEntries("a", [listEntry("spam.example")]);
      const consensus = { minSources: 2, minShare: 0.25, merge: "strictest" as const, stageWhileFollowed: true };
      await s.domains.subscriptions.setConsensus(consensus);
      await s.domains.purges.schedule("gone.example", 4000);
      const audit = await s.domains.rules.audit({ limit: 10 });

      const again = await reopen!();
      expect(await again.domains.rules.listBlocks()).toEqual([block]);
      expect(await again.domains.rules.listAllows()).toEqual([allow]);
      expect(await again.domains.rules.listBoardRules()).toEqual([rule]);
      expect(await again.domains.rules.version()).toBe(2);
      expect(await again.domains.rules.audit({ limit: 10 })).toEqual(audit);
      expect(audit.map((e) => e.id)).toEqual(["e3", "e2", "e1"]);
      expect(await again.domains.subscriptions.list()).toEqual([sub]);
      expect(await again.domains.subscriptions.entries()).toEqual(new Map([["a", [listEntry("spam.example")]]]));
      expect(await again.domains.subscriptions.consensus()).toEqual(consensus);
      expect(await again.domains.purges.due(5000)).toEqual(["gone.example"]);

      // new entries still go after the ones written before the restart
      await again.domains.rules.apply([], [auditEntry("e4", { at: 2000 })]);
      expect((await again.domains.rules.audit({ limit: 2 })).map((e) => e.id)).toEqual(["e4", "e3"]);
      expect(await again.domains.rules.version()).toBe(3);
    });
  });

  describe("held activities", () => {
    const held = (id: string, over: Partial<HeldActivity> = {}): HeldActivity => ({
      id: `https://quiet.example/activities/${id}`,
      board: "b",
      domain: "quiet.example",
      actorId: "https://quiet.example/users/a",
      activity: JSON.stringify({ id, type: "Create" }),
      receivedAt: 1000,
      ...over,
    });

    it("holds an activity once, lists oldest first by board, and releases it", async () => {
      const h = store().domains.held;
      expect(await h.add(held("1", { receivedAt: 2000 }))).toBe(true);
      expect(await h.add(held("1", { receivedAt: 9000 }))).toBe(false);
      expect(await h.add(held("2", { receivedAt: 1000 }))).toBe(true);
      expect(await h.add(held("3", { board: "c" }))).toBe(true);
      expect((await h.list("b")).map((x) => x.id)).toEqual([held("2").id, held("1").id]);
      expect(await h.list()).toHaveLength(3);
      expect(await h.get(held("1").id)).toEqual(held("1", { receivedAt: 2000 }));
      expect(await h.remove(held("1").id)).toBe(true);
      expect(await h.remove(held("1").id)).toBe(false);
      expect(await h.get(held("1").id)).toBeNull();
    });

    it("drops a domain's held activities, and refuses malformed input", async () => {
      const h = store().domains.held;
      await h.add(held("1"));
      await h.add(held("2", { domain: "other.example" }));
      expect(await h.removeByDomain("quiet.example")).toBe(1);
      expect((await h.list()).map((x) => x.domain)).toEqual(["other.example"]);
      await expectDomainError(h.add({ ...held("3"), activity: 42 as never }), "invalid");
      await expectDomainError(h.get({ $ne: null } as never), "invalid");
    });
  });
}
