import { describe, expect, it } from "vitest";
import { diffRules } from "../../server/domain/defederation/blocklist-diff.js";
import type { BlocklistEntry } from "../../server/domain/defederation-ports.js";
import { entry } from "../support/blocklist-entries.js";
import { domainBlock } from "../support/domain-rules.js";

/* The changes an import or a subscription sync makes to the current rules. */

const NOW = 1_700_000_000_000;

const block = domainBlock;

function wantedOf(...entries: BlocklistEntry[]): Map<string, BlocklistEntry> {
  return new Map(entries.map((e) => [e.domain, e]));
}

describe("diffRules: import", () => {
  it("creates missing rules, counts identical ones, never removes", () => {
    const current = [block("same.example", "suspend"), block("unrelated.example", "suspend")];
    const diff = diffRules(current, wantedOf(entry("same.example"), entry("new.example", "silence")), {
      mode: "import",
    });
    expect(diff.create).toEqual([entry("new.example", "silence")]);
    expect(diff.unchanged).toBe(1);
    expect(diff.remove).toEqual([]);
    expect(diff.update).toEqual([]);
  });

  it("skips domains already covered by a rule as strict or stricter on themselves or a parent", () => {
    const current = [
      block("example.org", "suspend"),
      block("quiet.example", "silence"),
      block("self.example", "suspend", { publicComment: "ours" }),
    ];
    const diff = diffRules(
      current,
      wantedOf(
        entry("a.b.example.org", "silence"),
        entry("x.quiet.example", "silence"),
        entry("y.quiet.example", "suspend"),
        entry("z.quiet.example", "silence", { rejectMedia: true }),
        entry("self.example", "silence", { publicComment: "theirs" }),
      ),
      { mode: "import" },
    );
    expect(diff.skippedCovered).toEqual(["a.b.example.org", "self.example", "x.quiet.example"]);
    expect(diff.create.map((e) => e.domain)).toEqual(["y.quiet.example", "z.quiet.example"]);
  });

  it("judges coverage by the most specific live rule", () => {
    const current = [
      block("example.org", "suspend"),
      block("open.example.org", "noop"),
      block("gone.example.org", "noop", { expiresAt: NOW - 1 }),
    ];
    const wanted = wantedOf(entry("x.open.example.org", "silence"), entry("x.gone.example.org", "silence"));
    const diff = diffRules(current, wanted, { mode: "import", now: NOW });
    expect(diff.create.map((e) => e.domain)).toEqual(["x.open.example.org"]);
    expect(diff.skippedCovered).toEqual(["x.gone.example.org"]);
  });

  it("raises a milder existing rule without weakening anything", () => {
    const before = block("m.example", "noop", { rejectReports: true, publicComment: "old", obfuscate: true });
    const diff = diffRules([before], wantedOf(entry("m.example", "silence", { rejectMedia: true })), {
      mode: "import",
    });
    expect(diff.update).toEqual([
      {
        before,
        after: entry("m.example", "silence", {
          rejectMedia: true,
          rejectReports: true,
          publicComment: "old",
          obfuscate: true,
        }),
      },
    ]);
  });

  it("replaces an expired rule on the same domain when `now` is given", () => {
    const before = block("e.example", "suspend", { expiresAt: NOW - 1 });
    const diff = diffRules([before], wantedOf(entry("e.example", "silence")), { mode: "import", now: NOW });
    expect(diff.update).toEqual([{ before, after: entry("e.example", "silence") }]);
  });
});

describe("diffRules: sync", () => {
  const sync = { mode: "sync", origin: "subscription" } as const;

  it("creates, updates, retracts subscription rules and never touches manual ones", () => {
    const current = [
      block("keep.example", "suspend", { origin: "subscription" }),
      block("change.example", "suspend", { origin: "subscription" }),
      block("retracted.example", "suspend", { origin: "subscription" }),
      block("manual.example", "noop", { origin: "manual" }),
      block("manual-gone.example", "suspend", { origin: "manual" }),
    ];
    const wanted = wantedOf(
      entry("keep.example"),
      entry("change.example", "silence", { publicComment: "downgraded" }),
      entry("manual.example", "suspend"),
      entry("fresh.example"),
    );
    const diff = diffRules(current, wanted, sync);
    expect(diff.create).toEqual([entry("fresh.example")]);
    expect(diff.update).toEqual([
      { before: current[1], after: entry("change.example", "silence", { publicComment: "downgraded" }) },
    ]);
    expect(diff.remove).toEqual([current[2]]);
    expect(diff.unchanged).toBe(1);
    expect(diff.skippedCovered).toEqual(["manual.example"]);
    const touched = [...diff.update.map((u) => u.before), ...diff.remove];
    expect(touched.every((b) => b.origin === "subscription")).toBe(true);
  });

  it("retracts everything it made when nothing is wanted any more", () => {
    const current = [
      block("b.example", "suspend", { origin: "subscription" }),
      block("a.example", "silence", { origin: "subscription" }),
      block("m.example", "suspend", { origin: "manual" }),
    ];
    const diff = diffRules(current, new Map(), sync);
    expect(diff.remove.map((b) => b.domain)).toEqual(["a.example", "b.example"]);
    expect(diff.create).toEqual([]);
  });

  it("skips domains a manual rule on a parent covers, but not those a subscription parent covers", () => {
    const current = [
      block("manual.example", "suspend", { origin: "manual" }),
      block("sub.example", "suspend", { origin: "subscription" }),
      block("soft.example", "noop", { origin: "manual" }),
    ];
    const wanted = wantedOf(
      entry("x.manual.example"),
      entry("sub.example"),
      entry("x.sub.example"),
      entry("x.soft.example", "silence"),
    );
    const diff = diffRules(current, wanted, sync);
    expect(diff.skippedCovered).toEqual(["x.manual.example"]);
    expect(diff.create.map((e) => e.domain)).toEqual(["x.soft.example", "x.sub.example"]);
    expect(diff.unchanged).toBe(1);
  });

  it("a staged rule compares by the severity it is staged to", () => {
    const staged = block("s.example", "silence", { origin: "subscription", stagedSeverity: "suspend" });
    expect(diffRules([staged], wantedOf(entry("s.example", "suspend")), sync)).toMatchObject({
      unchanged: 1,
      update: [],
    });
    expect(diffRules([staged], wantedOf(entry("s.example", "silence")), sync).update).toHaveLength(1);
  });

  it("flag and comment changes are updates", () => {
    const before = block("f.example", "silence", { origin: "subscription" });
    for (const change of [
      { rejectMedia: true },
      { rejectReports: true },
      { publicComment: "x" },
      { obfuscate: true },
    ]) {
      expect(diffRules([before], wantedOf(entry("f.example", "silence", change)), sync).update).toHaveLength(1);
    }
  });
});
