import { describe, expect, it } from "vitest";
import {
  type ConsensusSource,
  consensusEntries,
  mergeConsensus,
} from "../../server/domain/defederation/blocklist-consensus.js";
import type { BlocklistEntry, ConsensusSettings } from "../../server/domain/defederation-ports.js";
import { DomainError } from "../../server/domain/errors.js";
import { entry } from "../support/blocklist-entries.js";

/* Merging the lists of several subscriptions into the rules enough of them agree on. */

const BASE: ConsensusSettings = { minSources: 1, minShare: null, merge: "strictest", stageWhileFollowed: false };

function src(id: string, entries: BlocklistEntry[], priority = 0, excludes: string[] = []): ConsensusSource {
  return { id, priority, excludes, entries };
}

describe("mergeConsensus", () => {
  const a = src("a", [entry("one.example", "suspend"), entry("two.example", "silence"), entry("three.example")]);
  const b = src("b", [entry("one.example", "silence"), entry("two.example", "silence")]);
  const c = src("c", [entry("one.example", "noop", { rejectMedia: true })]);

  it("with minSources 1, everything any source lists", () => {
    const merged = mergeConsensus([a, b, c], BASE);
    expect([...merged.keys()]).toEqual(["one.example", "three.example", "two.example"]);
    expect(merged.get("one.example")!.sources).toEqual(["a", "b", "c"]);
  });

  it("minSources and minShare thresholds", () => {
    expect([...mergeConsensus([a, b, c], { ...BASE, minSources: 2 }).keys()]).toEqual(["one.example", "two.example"]);
    expect([...mergeConsensus([a, b, c], { ...BASE, minSources: 3 }).keys()]).toEqual(["one.example"]);
    expect([...mergeConsensus([a, b, c], { ...BASE, minShare: 2 / 3 }).keys()]).toEqual(["one.example", "two.example"]);
    expect([...mergeConsensus([a, b, c], { ...BASE, minShare: 0.7 }).keys()]).toEqual(["one.example"]);
    // An empty source still counts in the share.
    const empty = src("d", []);
    expect([...mergeConsensus([a, b, c, empty], { ...BASE, minShare: 0.75 }).keys()]).toEqual(["one.example"]);
    expect([...mergeConsensus([a, b, c, empty], { ...BASE, minShare: 0.8 }).keys()]).toEqual([]);
    // Both must hold.
    expect([...mergeConsensus([a, b, c], { ...BASE, minSources: 3, minShare: 0.1 }).keys()]).toEqual(["one.example"]);
  });

  it("strictest: strictest severity, flags OR'd", () => {
    const one = mergeConsensus([b, c], BASE).get("one.example")!.entry;
    expect(one).toEqual(entry("one.example", "silence", { rejectMedia: true }));
    expect(mergeConsensus([a, b, c], BASE).get("one.example")!.entry.severity).toBe("suspend");
  });

  it("mildest: mildest severity, flags AND'ed (a suspend counts as rejecting)", () => {
    const mild = { ...BASE, merge: "mildest" as const };
    expect(mergeConsensus([a, c], mild).get("one.example")!.entry).toEqual(
      entry("one.example", "noop", { rejectMedia: true }),
    );
    expect(mergeConsensus([b, c], mild).get("one.example")!.entry).toEqual(entry("one.example", "noop"));
    expect(mergeConsensus([a, b, c], mild).get("one.example")!.entry).toEqual(entry("one.example", "noop"));
    // All suspend: the flags the sources wrote, not the implied ones.
    const s1 = src("s1", [entry("all.example", "suspend", { rejectMedia: true })]);
    const s2 = src("s2", [entry("all.example", "suspend")]);
    expect(mergeConsensus([s1, s2], mild).get("all.example")!.entry).toEqual(
      entry("all.example", "suspend", { rejectMedia: true }),
    );
    const x = src("x", [entry("f.example", "silence", { rejectReports: true })]);
    const y = src("y", [entry("f.example", "silence", { rejectReports: false })]);
    expect(mergeConsensus([x, y], mild).get("f.example")!.entry.rejectReports).toBe(false);
    expect(mergeConsensus([x, y], BASE).get("f.example")!.entry.rejectReports).toBe(true);
  });

  it("one source's entry comes out as it is", () => {
    const only = entry("solo.example", "suspend", { rejectMedia: false, publicComment: "c", obfuscate: true });
    for (const merge of ["strictest", "mildest"] as const) {
      expect(mergeConsensus([src("s", [only])], { ...BASE, merge }).get("solo.example")!.entry).toEqual(only);
    }
  });

  it("comment and obfuscate from the highest-priority source; ties by lowest id", () => {
    const low = src("low", [entry("c.example", "suspend", { publicComment: "low", obfuscate: false })], 1);
    const high = src("high", [entry("c.example", "silence", { publicComment: "high", obfuscate: true })], 5);
    const merged = mergeConsensus([low, high], BASE).get("c.example")!;
    expect(merged.entry).toMatchObject({ severity: "suspend", publicComment: "high", obfuscate: true });
    expect(merged.sources).toEqual(["high", "low"]);
    const z = src("z", [entry("t.example", "suspend", { publicComment: "z" })], 3);
    const m = src("m", [entry("t.example", "suspend", { publicComment: "m" })], 3);
    expect(mergeConsensus([z, m], BASE).get("t.example")!.entry.publicComment).toBe("m");
  });

  it("excludes remove a domain and its subdomains from that source only", () => {
    const s1 = src("s1", [entry("x.example"), entry("a.x.example"), entry("notx.example"), entry("y.example")], 0, [
      "x.example",
    ]);
    const s2 = src("s2", [entry("a.x.example", "silence")]);
    const merged = mergeConsensus([s1, s2], BASE);
    expect([...merged.keys()]).toEqual(["a.x.example", "notx.example", "y.example"]);
    expect(merged.get("a.x.example")!.sources).toEqual(["s2"]);
    expect(merged.get("a.x.example")!.entry.severity).toBe("silence");
  });

  it("refuses bad settings and duplicate ids with DomainError('invalid')", () => {
    for (const bad of [
      { ...BASE, minSources: 0 },
      { ...BASE, minSources: 1.5 },
      { ...BASE, minShare: 0 },
      { ...BASE, minShare: 1.2 },
      { ...BASE, merge: "average" as "strictest" },
    ]) {
      expect(() => mergeConsensus([a], bad)).toThrow(DomainError);
    }
    try {
      mergeConsensus([a, a], BASE);
    } catch (e) {
      expect((e as DomainError).kind).toBe("invalid");
    }
  });

  it("consensusEntries maps to what diffRules takes", () => {
    const wanted = consensusEntries(mergeConsensus([a, b], { ...BASE, minSources: 2 }));
    expect([...wanted.values()]).toEqual([entry("one.example", "suspend"), entry("two.example", "silence")]);
  });
});
