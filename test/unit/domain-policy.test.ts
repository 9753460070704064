import { describe, expect, it } from "vitest";
import {
  type BoardDomainRule,
  canonicalAuthority,
  type DomainAllow,
  DomainPolicyIndex,
  domainOfUrl,
  domainSuffixes,
  milder,
  normalizeDomain,
  obfuscateDomain,
  type PolicySnapshot,
  requireDomain,
  stricter,
} from "../../server/domain/defederation/rules.js";
import { DomainError } from "../../server/domain/errors.js";
import { domainBlock } from "../support/domain-rules.js";

const NOW = 1_700_000_000_000;
const LOCAL = "atoll.example";

const block = domainBlock;

function allow(domain: string): DomainAllow {
  return { id: `a-${domain}`, domain, comment: "", createdAt: 0 };
}

function boardRule(
  board: string,
  domain: string,
  severity: "silence" | "suspend",
  rejectMedia = false,
): BoardDomainRule {
  return { id: `r-${board}-${domain}`, board, domain, severity, rejectMedia, comment: "", createdAt: 0 };
}

function index(rules: Partial<PolicySnapshot>): DomainPolicyIndex {
  return new DomainPolicyIndex({
    mode: "blocklist",
    blocks: [],
    allows: [],
    boardRules: [],
    localDomain: LOCAL,
    ...rules,
  });
}

describe("normalizeDomain", () => {
  it("lower-cases and drops a trailing dot", () => {
    expect(normalizeDomain("Example.ORG.")).toBe("example.org");
    expect(normalizeDomain("  example.org  ")).toBe("example.org");
  });

  it("ignores a port", () => {
    expect(normalizeDomain("example.org:8080")).toBe("example.org");
    expect(normalizeDomain("https://example.org:8443/")).toBe("example.org");
  });

  it("takes the host of a URL, path and all", () => {
    expect(normalizeDomain("https://x.example/p")).toBe("x.example");
    expect(normalizeDomain("https://X.Example/users/alice?x=1#top")).toBe("x.example");
  });

  it("turns IDNs into punycode and keeps punycode as it is", () => {
    expect(normalizeDomain("bücher.example")).toBe("xn--bcher-kva.example");
    expect(normalizeDomain("BÜCHER.example")).toBe("xn--bcher-kva.example");
    expect(normalizeDomain("xn--bcher-kva.example")).toBe("xn--bcher-kva.example");
  });

  it("drops the wildcard some lists write", () => {
    expect(normalizeDomain("*.example.org")).toBe("example.org");
  });

  it("keeps IP literals", () => {
    expect(normalizeDomain("203.0.113.9")).toBe("203.0.113.9");
    expect(normalizeDomain("[2001:DB8::1]")).toBe("[2001:db8::1]");
    expect(normalizeDomain("http://[2001:db8::1]:80/")).toBe("[2001:db8::1]");
  });

  it("refuses what is not a host", () => {
    for (const bad of [
      "a..b",
      "-a.com",
      "a-.com",
      "exa mple.com",
      "http://user@x.com",
      "https://user:pw@x.com/",
      "user@x.com",
      "",
      "   ",
      "a".repeat(300),
      `${"abcdefghi.".repeat(30)}com`,
      "ex*ample.org",
      "*",
      "example.org/path",
      "[::1]/x",
      "xn--zz.example",
      "https://",
    ]) {
      expect(normalizeDomain(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it("requireDomain throws DomainError('invalid') where normalizeDomain gives null", () => {
    expect(requireDomain("Example.org")).toBe("example.org");
    expect(() => requireDomain("a..b")).toThrow(DomainError);
    try {
      requireDomain("exa mple.com");
    } catch (e) {
      expect((e as DomainError).kind).toBe("invalid");
    }
  });

  it("domainOfUrl takes http(s) only", () => {
    expect(domainOfUrl("https://Remote.Example/users/a")).toBe("remote.example");
    expect(domainOfUrl("ftp://remote.example/x")).toBeNull();
    expect(domainOfUrl("not a url")).toBeNull();
  });

  it("domainOfUrl answers as the URL parser does, for canonical URLs read without it too", () => {
    // What the WHATWG parser makes of each URL, then normalised: the reference answer.
    const parsed = (url: string): string | null => {
      try {
        const u = new URL(url);
        return u.protocol === "https:" || u.protocol === "http:" ? normalizeDomain(u.hostname) : null;
      } catch {
        return null;
      }
    };
    const hosts = [
      "remote.example",
      "a-b.c-d.example",
      "-lead.example",
      "trail-.example",
      "xn--bcher-kva.example",
      "xn--zz.example",
      "127.1",
      "0x7f.1",
      "1.2.3.4",
      "198.51.100.7",
      "0.0.0.0",
      "255.255.255.255",
      "256.1.1.1",
      "010.0.0.1",
      "1.2.3.04",
      "1.2.3",
      "example.123",
      "example.0x10",
      "123.example",
      "a..b",
      "example.org.",
      "EXAMPLE.org",
      "ex_ample.org",
      "bücher.example",
      "exa%2Dmple.org",
      `${"a".repeat(63)}.example`,
      `${"a".repeat(64)}.example`,
      `${"abcdefghi.".repeat(26)}example`,
      "user@remote.example",
      "user:pw@remote.example",
      "[2001:db8::1]",
    ];
    const tails = [
      "",
      "/",
      "/users/a#main-key",
      "?q=1",
      "#x",
      ":443/x",
      ":8080",
      ":65535/",
      ":65536/",
      ":",
      "\\x",
      "\t/x",
    ];
    let checked = 0;
    for (const scheme of ["https://", "http://", "HTTPS://", "ftp://", " https://"]) {
      for (const host of hosts) {
        for (const tail of tails) {
          const url = `${scheme}${host}${tail}`;
          expect(domainOfUrl(url), url).toBe(parsed(url));
          const fast = canonicalAuthority(url);
          if (fast !== null) {
            const u = new URL(url);
            expect(fast, url).toEqual({
              scheme: u.protocol.slice(0, -1),
              host: u.hostname,
              port: u.port === "" ? null : Number(u.port),
            });
          }
          checked++;
        }
      }
    }
    expect(checked).toBe(5 * hosts.length * tails.length);
    expect(domainOfUrl("https://remote.example/users/a")).toBe("remote.example");
    expect(domainOfUrl("https://127.1/")).toBe("127.0.0.1");
    expect(domainOfUrl("https://remote.example:65536/")).toBeNull();
    expect(canonicalAuthority("https://remote.example:443/a")).toEqual({
      scheme: "https",
      host: "remote.example",
      port: null,
    });
    expect(canonicalAuthority("http://127.0.0.1:8080/a")).toEqual({ scheme: "http", host: "127.0.0.1", port: 8080 });
    expect(canonicalAuthority("https://127.1/")).toBeNull();
  });
});

describe("domainSuffixes", () => {
  it("lists whole-label suffixes, most specific first; IPs only whole", () => {
    expect(domainSuffixes("a.b.example.org")).toEqual(["a.b.example.org", "b.example.org", "example.org", "org"]);
    expect(domainSuffixes("203.0.113.9")).toEqual(["203.0.113.9"]);
    expect(domainSuffixes("[2001:db8::1]")).toEqual(["[2001:db8::1]"]);
  });
});

describe("severities", () => {
  it("orders noop < silence < suspend", () => {
    expect(stricter("silence", "suspend")).toBe("suspend");
    expect(stricter("noop", "silence")).toBe("silence");
    expect(milder("silence", "suspend")).toBe("silence");
    expect(milder("noop", "suspend")).toBe("noop");
  });
});

describe("DomainPolicyIndex matching", () => {
  it("a rule covers its subdomains, by whole labels only", () => {
    const idx = index({ blocks: [block("example.org", "suspend")] });
    expect(idx.check("example.org", NOW).suspended).toBe(true);
    expect(idx.check("a.b.example.org", NOW).suspended).toBe(true);
    expect(idx.check("notexample.org", NOW).suspended).toBe(false);
    expect(idx.check("example.org.evil.com", NOW).suspended).toBe(false);
    expect(idx.check("org", NOW).severity).toBe("noop");
    expect(idx.ruleFor("a.b.example.org", NOW)?.domain).toBe("example.org");
  });

  it("the most specific rule wins: noop child under a suspended parent", () => {
    const idx = index({ blocks: [block("example.org", "suspend"), block("good.example.org", "noop")] });
    expect(idx.check("good.example.org", NOW).severity).toBe("noop");
    expect(idx.check("x.good.example.org", NOW).suspended).toBe(false);
    expect(idx.check("bad.example.org", NOW).suspended).toBe(true);
  });

  it("the most specific rule wins: suspended child under a noop parent", () => {
    const idx = index({
      blocks: [block("example.org", "noop", { rejectMedia: true }), block("bad.example.org", "suspend")],
    });
    const parent = idx.check("www.example.org", NOW);
    expect(parent.severity).toBe("noop");
    expect(parent.rejectMedia).toBe(true);
    expect(parent.suspended).toBe(false);
    expect(idx.check("x.bad.example.org", NOW).suspended).toBe(true);
  });

  it("silence and the flags", () => {
    const idx = index({ blocks: [block("loud.example", "silence", { rejectReports: true })] });
    const d = idx.check("loud.example", NOW);
    expect(d).toMatchObject({ severity: "silence", silenced: true, suspended: false, rejectReports: true });
    expect(d.rejectMedia).toBe(false);
    const s = index({ blocks: [block("gone.example", "suspend")] }).check("gone.example", NOW);
    expect(s.rejectMedia && s.rejectReports).toBe(true);
  });

  it("an expired rule is ignored at check time and the parent's rule applies", () => {
    const idx = index({
      blocks: [block("example.org", "silence"), block("sub.example.org", "suspend", { expiresAt: NOW + 1000 })],
    });
    expect(idx.check("sub.example.org", NOW).severity).toBe("suspend");
    expect(idx.check("sub.example.org", NOW + 1000).severity).toBe("silence");
    expect(idx.check("sub.example.org", NOW + 5000).rule?.domain).toBe("example.org");
    const alone = index({ blocks: [block("temp.example", "suspend", { expiresAt: NOW })] });
    expect(alone.check("temp.example", NOW).severity).toBe("noop");
    expect(alone.ruleFor("temp.example", NOW)).toBeNull();
  });

  it("IP literals match only exactly", () => {
    const idx = index({ blocks: [block("203.0.113.9", "suspend"), block("[2001:db8::1]", "suspend")] });
    expect(idx.check("203.0.113.9", NOW).suspended).toBe(true);
    expect(idx.check("3.0.113.9", NOW).suspended).toBe(false);
    // A host ending in an IPv4 address is no host at all: it never reaches a check.
    expect(normalizeDomain("1.203.0.113.9")).toBeNull();
    expect(normalizeDomain("x.203.0.113.9")).toBeNull();
    expect(idx.check("[2001:db8::1]", NOW).suspended).toBe(true);
    expect(idx.check("[2001:db8::2]", NOW).suspended).toBe(false);
  });

  it("the local domain is never limited, whatever the rules say", () => {
    const idx = index({ blocks: [block(LOCAL, "suspend"), block("example", "suspend")] });
    expect(idx.check(LOCAL, NOW).suspended).toBe(false);
    expect(idx.check(LOCAL, NOW, "b").suspended).toBe(false);
    const allowlist = index({ mode: "allowlist" });
    expect(allowlist.check(LOCAL, NOW).suspended).toBe(false);
  });

  it("checkUrl takes the host of a URL; a URL without one counts as suspended", () => {
    const idx = index({ blocks: [block("example.org", "suspend")] });
    expect(idx.checkUrl("https://a.example.org/users/x", NOW).suspended).toBe(true);
    expect(idx.checkUrl("https://fine.example/users/x", NOW).suspended).toBe(false);
    expect(idx.checkUrl("nonsense", NOW).suspended).toBe(true);
  });

  it("decisions are shared objects: a check allocates none", () => {
    const idx = index({
      blocks: [block("example.org", "silence")],
      boardRules: [boardRule("b", "example.org", "suspend")],
    });
    expect(idx.check("a.example.org", NOW)).toBe(idx.check("b.example.org", NOW));
    expect(idx.check("a.example.org", NOW, "b")).toBe(idx.check("c.example.org", NOW, "b"));
    expect(Object.isFrozen(idx.check("a.example.org", NOW, "b"))).toBe(true);
  });
});

describe("DomainPolicyIndex allowlist mode", () => {
  const idx = index({
    mode: "allowlist",
    allows: [allow("friend.example"), allow("203.0.113.5")],
    blocks: [block("bad.friend.example", "suspend"), block("quiet.friend.example", "silence")],
  });

  it("a domain no allow covers is suspended", () => {
    const d = idx.check("stranger.example", NOW);
    expect(d.suspended).toBe(true);
    expect(d.reason).toMatch(/allowlist/);
    expect(idx.check("friend.example.evil.com", NOW).suspended).toBe(true);
    expect(idx.check("203.0.113.55", NOW).suspended).toBe(true);
  });

  it("an allow covers subdomains", () => {
    expect(idx.check("friend.example", NOW).suspended).toBe(false);
    expect(idx.check("www.friend.example", NOW).suspended).toBe(false);
    expect(idx.allows("deep.www.friend.example")).toBe(true);
    expect(idx.check("203.0.113.5", NOW).suspended).toBe(false);
  });

  it("blocks still apply on allowed domains", () => {
    expect(idx.check("x.bad.friend.example", NOW).suspended).toBe(true);
    expect(idx.check("quiet.friend.example", NOW).silenced).toBe(true);
  });
});

describe("DomainPolicyIndex board rules", () => {
  const idx = index({
    blocks: [block("loud.example", "silence"), block("gone.example", "suspend"), block("ok.example", "noop")],
    boardRules: [
      boardRule("b", "loud.example", "suspend"),
      boardRule("b", "gone.example", "silence"),
      boardRule("b", "ok.example", "silence", true),
      boardRule("b", "other.example", "suspend"),
    ],
  });

  it("board rules only add limits", () => {
    expect(idx.check("x.loud.example", NOW, "b").suspended).toBe(true);
    expect(idx.check("x.loud.example", NOW, "b").reason).toMatch(/board rule/);
    const gone = idx.check("gone.example", NOW, "b");
    expect(gone.severity).toBe("suspend");
    expect(gone.suspended).toBe(true);
    const ok = idx.check("ok.example", NOW, "b");
    expect(ok).toMatchObject({ severity: "silence", silenced: true, rejectMedia: true });
    expect(idx.check("other.example", NOW, "b").suspended).toBe(true);
  });

  it("apply only on their board", () => {
    expect(idx.check("other.example", NOW, "a").suspended).toBe(false);
    expect(idx.check("other.example", NOW).suspended).toBe(false);
    expect(idx.check("x.loud.example", NOW, "a").severity).toBe("silence");
  });
});

describe("obfuscateDomain", () => {
  it("masks the middle as Mastodon does, keeping dots", () => {
    expect(obfuscateDomain("example.org")).toBe("exa****.*rg");
    expect(obfuscateDomain("a.b")).toBe("a.*");
    expect(obfuscateDomain("bad.example.com")).toBe("bad.*******.com");
  });
});
