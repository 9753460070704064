import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { guessFormat, parseBlocklist, parsePlain } from "../../server/domain/defederation/blocklist-formats.js";
import { parseGoToSocialJson, parseMastodonApi } from "../../server/domain/defederation/blocklist-json.js";
import { MAX_BLOCKLIST_ENTRIES } from "../../server/domain/defederation/blocklist-reading.js";
import { publicDomainBlocks } from "../../server/domain/defederation/public-list.js";
import { normalizeDomain, obfuscateDomain } from "../../server/domain/defederation/rules.js";
import { entry, expectTooLarge, MASTODON_EXPORT } from "../support/blocklist-entries.js";
import { domainBlock } from "../support/domain-rules.js";

/*
 * The other blocklist formats (GoToSocial's JSON, Mastodon's public API, plain lists), guessing which
 * one a list is in, and the public list Atoll publishes in Mastodon's API shape.
 */

const NOW = 1_700_000_000_000;

const block = domainBlock;

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
