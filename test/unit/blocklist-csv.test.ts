import { describe, expect, it } from "vitest";
import { parseMastodonCsv, toMastodonCsv } from "../../server/domain/defederation/blocklist-csv.js";
import {
  MAX_BLOCKLIST_ENTRIES,
  MAX_PARSE_ERRORS,
  MAX_PUBLIC_COMMENT,
} from "../../server/domain/defederation/blocklist-reading.js";
import { entry, expectTooLarge, MASTODON_EXPORT } from "../support/blocklist-entries.js";
import { domainBlock } from "../support/domain-rules.js";
import { growthRatio } from "../support/growth.js";

/* Mastodon's CSV blocklist format, read and written. */

const block = domainBlock;

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
