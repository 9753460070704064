import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ConsensusSource,
  consensusEntries,
  diffRules,
  guessFormat,
  MAX_BLOCKLIST_ENTRIES,
  MAX_PARSE_ERRORS,
  MAX_PUBLIC_COMMENT,
  mergeConsensus,
  parseBlocklist,
  parseGoToSocialJson,
  parseMastodonApi,
  parseMastodonCsv,
  parsePlain,
  publicDomainBlocks,
  toMastodonCsv,
} from "../../server/domain/blocklists.js";
import { normalizeDomain, obfuscateDomain, type Severity } from "../../server/domain/domain-policy.js";
import type { BlocklistEntry, ConsensusSettings } from "../../server/domain/domain-ports.js";
import { DomainError } from "../../server/domain/errors.js";
import { domainBlock } from "../support/domain-rules.js";
import { growthRatio } from "../support/growth.js";

const NOW = 1_700_000_000_000;

function entry(domain: string, severity: Severity = "suspend", extra: Partial<BlocklistEntry> = {}): BlocklistEntry {
  return { domain, severity, rejectMedia: false, rejectReports: false, publicComment: "", obfuscate: false, ...extra };
}

const block = domainBlock;

function expectTooLarge(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DomainError);
  expect((caught as DomainError).kind).toBe("too_large");
}

const MASTODON_EXPORT = [
  "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
  "spam.example,suspend,false,false,Spam,false",
  "loud.example,silence,true,false,,false",
  'nazi.example,suspend,true,true,"Hate speech, harassment",true',
  "media.example,noop,true,false,,false",
].join("\n");

describe("parseMastodonCsv", () => {
  it("reads Mastodon's export", () => {
    const { entries, errors } = parseMastodonCsv(MASTODON_EXPORT);
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      entry("spam.example", "suspend", { publicComment: "Spam" }),
      entry("loud.example", "silence", { rejectMedia: true }),
      entry("nazi.example", "suspend", {
        rejectMedia: true,
        rejectReports: true,
        publicComment: "Hate speech, harassment",
        obfuscate: true,
      }),
      entry("media.example", "noop", { rejectMedia: true }),
    ]);
  });

  it("takes columns in any order, with or without #, ignoring unknown ones", () => {
    const csv = [
      "Public_Comment,extra,DOMAIN,#obfuscate,severity,#private_comment",
      "bad people,x,Bad.Example,TRUE,Silence,secret",
      ",,other.example,,,",
    ].join("\n");
    const { entries, errors } = parseMastodonCsv(csv);
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      entry("bad.example", "silence", { publicComment: "bad people", obfuscate: true }),
      entry("other.example", "suspend"),
    ]);
  });

  it("handles quoting: commas, doubled quotes, line breaks inside quotes", () => {
    const csv =
      "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n" +
      '"quoted.example",silence,false,false,"He said ""no"", then\r\nleft",false\r\n' +
      "next.example,suspend,,,,\r\n" +
      '  spaced.example  , suspend , false ,false,  "  kept  " ,  false\r\n';
    const { entries, errors } = parseMastodonCsv(csv);
    expect(errors).toEqual([]);
    expect(entries.map((e) => e.domain)).toEqual(["quoted.example", "next.example", "spaced.example"]);
    expect(entries[0]!.publicComment).toBe('He said "no", then\r\nleft');
    expect(entries[0]!.severity).toBe("silence");
    expect(entries[2]).toEqual(entry("spaced.example", "suspend", { publicComment: "  kept  " }));
  });

  it("counts lines across quoted line breaks for errors", () => {
    const csv = [
      "#domain,#severity,#public_comment",
      'a.example,suspend,"one',
      "two",
      'three"',
      "not a domain,suspend,",
    ].join("\n");
    const { entries, errors } = parseMastodonCsv(csv);
    expect(entries.map((e) => e.domain)).toEqual(["a.example"]);
    expect(errors).toEqual([{ line: 5, message: expect.stringContaining("not a domain") }]);
  });

  it("skips a BOM, blank lines and # comments, wherever they are", () => {
    const csv = [
      "\uFEFF# Blocklist of example.coop, updated daily",
      '# comment with an "unbalanced quote, and commas',
      "",
      "#domain,#severity",
      "a.example,suspend",
      "   ",
      "# another comment",
      "b.example,silence",
      ",,,",
    ].join("\n");
    const { entries, errors } = parseMastodonCsv(csv);
    expect(errors).toEqual([]);
    expect(entries).toEqual([entry("a.example"), entry("b.example", "silence")]);
  });

  it("missing or empty severity means suspend; limit means silence", () => {
    const csv = ["#domain,#severity", "a.example,", "b.example", "c.example,LIMIT", "d.example,NoOp"].join("\n");
    const { entries } = parseMastodonCsv(csv);
    expect(entries.map((e) => [e.domain, e.severity])).toEqual([
      ["a.example", "suspend"],
      ["b.example", "suspend"],
      ["c.example", "silence"],
      ["d.example", "noop"],
    ]);
  });

  it("reads a headerless one-column list", () => {
    const { entries, errors } = parseMastodonCsv("one.example\r\nTwo.Example.\r\n*.three.example\r\n");
    expect(errors).toEqual([]);
    expect(entries).toEqual([entry("one.example"), entry("two.example"), entry("three.example")]);
  });

  it("reads a headerless list with columns in Mastodon's order", () => {
    const { entries } = parseMastodonCsv("x.example,silence,true,false,why,true\n");
    expect(entries).toEqual([
      entry("x.example", "silence", { rejectMedia: true, publicComment: "why", obfuscate: true }),
    ]);
  });

  it("normalises domains: IDN, URL, port, case", () => {
    const csv = ["#domain", "Bücher.Example", "https://Host.Example:8443/path", "ok.example:443"].join("\n");
    expect(parseMastodonCsv(csv).entries.map((e) => e.domain)).toEqual([
      "xn--bcher-kva.example",
      "host.example",
      "ok.example",
    ]);
  });

  it("reports garbage lines with their numbers and keeps the rest", () => {
    const csv = [
      "#domain,#severity,#reject_media",
      "good.example,suspend,false",
      "exa mple.com,suspend,false",
      "a..b,suspend,false",
      "sev.example,obliterate,false",
      ",suspend,false",
      "flag.example,silence,maybe",
      '"broken"x,suspend,false',
      "fine.example,silence,TRUE",
      '"never closed,suspend',
      "after.example,suspend",
    ].join("\n");
    const { entries, errors } = parseMastodonCsv(csv);
    expect(entries.map((e) => e.domain)).toEqual(["good.example", "flag.example", "fine.example", "after.example"]);
    expect(entries.find((e) => e.domain === "flag.example")!.rejectMedia).toBe(false);
    expect(entries.find((e) => e.domain === "fine.example")!.rejectMedia).toBe(true);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 10]);
    expect(errors[2]!.message).toMatch(/severity/);
    expect(errors[3]!.message).toBe("no domain");
    expect(errors[4]!.message).toMatch(/reject_media/);
    expect(errors[6]!.message).toMatch(/never closed/);
  });

  it("a domain listed twice: the later row wins", () => {
    const csv = ["#domain,#severity", "dup.example,suspend", "x.example,silence", "DUP.example,silence"].join("\n");
    const { entries } = parseMastodonCsv(csv);
    expect(entries).toHaveLength(2);
    expect(entries.find((e) => e.domain === "dup.example")!.severity).toBe("silence");
  });

  it("reports a second header among data and skips it", () => {
    const csv = ["domain,severity", "a.example,silence", "domain,severity", "b.example,silence"].join("\n");
    const { entries, errors } = parseMastodonCsv(csv);
    expect(entries.map((e) => e.domain)).toEqual(["a.example", "b.example"]);
    expect(errors).toEqual([{ line: 3, message: "a second header" }]);
  });

  it("cuts long public comments to MAX_PUBLIC_COMMENT", () => {
    const csv = `#domain,#public_comment\nlong.example,${"x".repeat(MAX_PUBLIC_COMMENT + 50)}\n`;
    expect(parseMastodonCsv(csv).entries[0]!.publicComment).toHaveLength(MAX_PUBLIC_COMMENT);
  });

  it("parses 20,000 rows, in time linear in the number of rows", async () => {
    const csv = (n: number) => {
      const rows = ["#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"];
      for (let i = 0; i < n; i++) {
        rows.push(
          `host-${i}.sub${i % 97}.example,${i % 3 === 0 ? "silence" : "suspend"},false,true,"spam, ${i}",false`,
        );
      }
      return rows.join("\n");
    };
    const texts = new Map([MAX_BLOCKLIST_ENTRIES / 4, MAX_BLOCKLIST_ENTRIES].map((n) => [n, csv(n)]));
    const { entries, errors } = parseMastodonCsv(texts.get(MAX_BLOCKLIST_ENTRIES)!);
    expect(errors).toEqual([]);
    expect(entries).toHaveLength(MAX_BLOCKLIST_ENTRIES);
    // Four times the rows: about four times the work, where a quadratic parse would take sixteen.
    const ratio = await growthRatio((n) => parseMastodonCsv(texts.get(n)!), MAX_BLOCKLIST_ENTRIES / 4, { rounds: 3 });
    expect(ratio).toBeLessThan(10);
  });

  it("more than 20,000 domains or 10 MB: DomainError('too_large')", () => {
    const rows: string[] = [];
    for (let i = 0; i <= MAX_BLOCKLIST_ENTRIES; i++) rows.push(`h${i}.example`);
    expectTooLarge(() => parseMastodonCsv(rows.join("\n")));
    // Duplicates do not count twice.
    const dups = [...rows.slice(0, MAX_BLOCKLIST_ENTRIES), "h0.example", "h1.example"].join("\n");
    expect(parseMastodonCsv(dups).entries).toHaveLength(MAX_BLOCKLIST_ENTRIES);
    expectTooLarge(() => parseMastodonCsv(`# ${"x".repeat(10 * 1024 * 1024)}`));
    expectTooLarge(() => parseMastodonCsv(`# ${"é".repeat(5 * 1024 * 1024 + 1)}`));
  });

  it("lists at most MAX_PARSE_ERRORS errors, then counts the rest", () => {
    const text = Array.from({ length: MAX_PARSE_ERRORS + 10 }, () => "not a domain").join("\n");
    const { entries, errors } = parseMastodonCsv(text);
    expect(entries).toEqual([]);
    expect(errors).toHaveLength(MAX_PARSE_ERRORS + 1);
    expect(errors.at(-1)).toEqual({ line: 0, message: "10 more errors not listed" });
  });
});

describe("toMastodonCsv", () => {
  const blocks = [
    block("plain.example", "suspend"),
    block("flags.example", "silence", { rejectMedia: true, rejectReports: true, obfuscate: true }),
    block("quote.example", "noop", { rejectMedia: true, publicComment: 'Says "hi", a lot\nand more\r\nlines' }),
    block("space.example", "silence", { publicComment: "  padded  " }),
    block("hash.example", "suspend", { publicComment: "#not a comment" }),
    block("xn--bcher-kva.example", "suspend", { publicComment: "ünïcödé, ✓" }),
  ];

  it("writes Mastodon's header and quotes where needed", () => {
    const csv = toMastodonCsv(blocks);
    const lines = csv.split("\n");
    expect(lines[0]).toBe("#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate");
    expect(lines[1]).toBe("plain.example,suspend,false,false,,false");
    expect(lines[2]).toBe("flags.example,silence,true,true,,true");
    expect(lines[3]).toBe('quote.example,noop,true,false,"Says ""hi"", a lot');
    expect(csv.endsWith("\n")).toBe(true);
  });

  it("round-trips through parseMastodonCsv", () => {
    const { entries, errors } = parseMastodonCsv(toMastodonCsv(blocks));
    expect(errors).toEqual([]);
    expect(entries).toEqual(
      blocks.map((b) => ({
        domain: b.domain,
        severity: b.severity,
        rejectMedia: b.rejectMedia,
        rejectReports: b.rejectReports,
        publicComment: b.publicComment,
        obfuscate: b.obfuscate,
      })),
    );
  });

  it("writes only the header for no rules", () => {
    expect(parseMastodonCsv(toMastodonCsv([]))).toEqual({ entries: [], errors: [] });
  });
});

describe("parseGoToSocialJson", () => {
  it("reads GoToSocial's export: all suspends", () => {
    const text = JSON.stringify([
      {
        domain: "bad.example",
        public_comment: "spam",
        obfuscate: true,
        private_comment: "x",
        id: "01H",
        created_at: "2024-01-01T00:00:00Z",
      },
      { domain: "Other.Example", public_comment: "", obfuscate: false },
      { domain: "nocomment.example" },
    ]);
    const { entries, errors } = parseGoToSocialJson(`\uFEFF${text}`);
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      entry("bad.example", "suspend", { publicComment: "spam", obfuscate: true }),
      entry("other.example"),
      entry("nocomment.example"),
    ]);
  });

  it("honours Mastodon admin fields when present", () => {
    const text = JSON.stringify([
      { domain: "m.example", severity: "silence", reject_media: true, reject_reports: false },
    ]);
    expect(parseGoToSocialJson(text).entries).toEqual([entry("m.example", "silence", { rejectMedia: true })]);
  });

  it("reports bad items by position and bad documents as line 0", () => {
    const text = JSON.stringify([{ domain: "ok.example" }, "string", { domain: "exa mple" }, { nodomain: 1 }, null]);
    const { entries, errors } = parseGoToSocialJson(text);
    expect(entries).toEqual([entry("ok.example")]);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5]);
    expect(parseGoToSocialJson("{not json").errors).toEqual([
      { line: 0, message: expect.stringMatching(/not valid JSON/) },
    ]);
    expect(parseGoToSocialJson("null").errors).toEqual([{ line: 0, message: "not a JSON array" }]);
    expect(parseGoToSocialJson('{"domain":"x.example"}')).toEqual({
      entries: [],
      errors: [{ line: 0, message: "not a JSON array" }],
    });
  });

  it("more than 20,000 entries: too_large", () => {
    const items = Array.from({ length: MAX_BLOCKLIST_ENTRIES + 1 }, (_, i) => ({ domain: `d${i}.example` }));
    expectTooLarge(() => parseGoToSocialJson(JSON.stringify(items)));
  });
});

describe("parseMastodonApi", () => {
  const sample = JSON.stringify([
    {
      domain: "bad.example",
      digest: createHash("sha256").update("bad.example").digest("hex"),
      severity: "suspend",
      comment: "Spam",
    },
    { domain: "quiet.example", digest: "00", severity: "silence", comment: null },
    { domain: "ex**ple.org", digest: "11", severity: "suspend", comment: "hidden" },
    { domain: "odd.example", digest: "22", severity: "noop" },
    { domain: "", digest: "33", severity: "suspend" },
  ]);

  it("reads the public domain_blocks API, skipping obfuscated domains", () => {
    const { entries, errors } = parseMastodonApi(sample);
    expect(entries).toEqual([
      entry("bad.example", "suspend", { publicComment: "Spam" }),
      entry("quiet.example", "silence"),
    ]);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(errors[0]!.message).toMatch(/obfuscated/);
    expect(errors[1]!.message).toMatch(/severity/);
  });

  it("round-trips publicDomainBlocks for unobfuscated rules", () => {
    const rules = [block("a.example", "suspend", { publicComment: "why" }), block("b.example", "silence")];
    const { entries } = parseMastodonApi(JSON.stringify(publicDomainBlocks(rules, NOW)));
    expect(entries).toEqual([entry("a.example", "suspend", { publicComment: "why" }), entry("b.example", "silence")]);
  });
});

describe("domain normalisation in lists", () => {
  it("gives exactly what normalizeDomain gives, for any mix of name characters", () => {
    let state = 42;
    const rnd = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const alphabet = "abcxyz0189-_.AZ";
    const samples = ["xn--bcher-kva.example", "a.0x1", "a.b.c.123", "mail.example.c0m", "a_b.example", "a.b-"];
    for (let i = 0; i < 3000; i++) {
      let s = "";
      const length = 1 + Math.floor(rnd() * 20);
      for (let j = 0; j < length; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      samples.push(s);
    }
    let valid = 0;
    for (const sample of samples) {
      const expected = normalizeDomain(sample);
      const { entries } = parsePlain(sample);
      expect(entries[0]?.domain ?? null, sample).toBe(expected);
      if (expected !== null) valid++;
    }
    expect(valid).toBeGreaterThan(100);
  });
});

describe("parsePlain", () => {
  it("reads one domain per line with comments, blank lines, CRLF and a BOM", () => {
    const text =
      "\uFEFF# my list\r\n\r\nspam.example\r\n  *.wild.example  # inline, with commas\r\nhttps://URL.example/x\r\nexa mple\r\n";
    const { entries, errors } = parsePlain(text);
    expect(entries).toEqual([entry("spam.example"), entry("wild.example"), entry("url.example")]);
    expect(errors).toEqual([{ line: 6, message: expect.stringContaining("exa mple") }]);
  });
});

describe("parseBlocklist / guessFormat", () => {
  const api = JSON.stringify([{ domain: "a.example", digest: "x", severity: "silence", comment: "" }]);
  const gts = JSON.stringify([{ domain: "a.example", public_comment: "", obfuscate: false }]);

  it("guesses the format from the content", () => {
    expect(guessFormat(api)).toBe("mastodon_api");
    expect(guessFormat(gts)).toBe("gotosocial_json");
    expect(guessFormat("[]")).toBe("gotosocial_json");
    expect(guessFormat(MASTODON_EXPORT)).toBe("mastodon_csv");
    expect(guessFormat("# list\n#domain\na.example\n")).toBe("mastodon_csv");
    expect(guessFormat("a.example,silence\n")).toBe("mastodon_csv");
    expect(guessFormat("# comment, with a comma\na.example\nb.example # why, because\n")).toBe("plain");
    expect(guessFormat("[2001:db8::1]\na.example\n")).toBe("plain");
  });

  it("uses the content type as a hint", () => {
    expect(guessFormat("a.example\n", "text/csv; charset=utf-8")).toBe("mastodon_csv");
    expect(guessFormat("not json", "application/json")).toBe("gotosocial_json");
    expect(guessFormat(gts, "text/plain")).toBe("gotosocial_json");
  });

  it("dispatches and tells the format it read", () => {
    expect(parseBlocklist(api, "auto")).toMatchObject({
      format: "mastodon_api",
      entries: [entry("a.example", "silence")],
    });
    expect(parseBlocklist(gts, "auto").format).toBe("gotosocial_json");
    expect(parseBlocklist("a.example\n", "auto")).toMatchObject({ format: "plain", entries: [entry("a.example")] });
    expect(parseBlocklist("a.example,silence", "mastodon_csv").entries).toEqual([entry("a.example", "silence")]);
    expect(parseBlocklist("a.example,silence", "plain").errors).toHaveLength(1);
    const bad = parseBlocklist("not json", "auto", "application/json");
    expect(bad.entries).toEqual([]);
    expect(bad.errors[0]!.line).toBe(0);
  });

  it("never throws on garbage, only on size", () => {
    for (const garbage of ["", "\uFEFF", "\u0000\u0001", '"', '"""', ",,,,", "[", "{}", "\r\r\r", "#"]) {
      for (const format of ["auto", "mastodon_csv", "gotosocial_json", "mastodon_api", "plain"] as const) {
        expect(parseBlocklist(garbage, format).entries).toEqual([]);
      }
    }
    expectTooLarge(() => parseBlocklist("a".repeat(10 * 1024 * 1024 + 1), "auto"));
  });
});

// ------------------------------------------------------------------------------------ consensus

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

// ---------------------------------------------------------------------------------- public list

describe("publicDomainBlocks", () => {
  it("lists live silence and suspend rules in Mastodon's shape, obfuscated where asked, sorted", () => {
    const rules = [
      block("zeta.example", "suspend", { publicComment: "z" }),
      block("secret-place.example", "silence", { obfuscate: true, publicComment: "hidden" }),
      block("noop.example", "noop", { rejectMedia: true }),
      block("old.example", "suspend", { expiresAt: NOW }),
      block("later.example", "suspend", { expiresAt: NOW + 1 }),
      block("alpha.example", "silence"),
    ];
    const list = publicDomainBlocks(rules, NOW);
    expect(list.map((b) => b.domain)).toEqual([
      "alpha.example",
      "later.example",
      obfuscateDomain("secret-place.example"),
      "zeta.example",
    ]);
    const secret = list[2]!;
    expect(secret.domain).toContain("*");
    expect(secret.digest).toBe(createHash("sha256").update("secret-place.example").digest("hex"));
    expect(secret).toMatchObject({ severity: "silence", comment: "hidden" });
    expect(list[3]).toEqual({
      domain: "zeta.example",
      digest: createHash("sha256").update("zeta.example").digest("hex"),
      severity: "suspend",
      comment: "z",
    });
  });
});

// ----------------------------------------------------------------------------------------- diff

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
