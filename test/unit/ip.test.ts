import { describe, expect, it } from "vitest";
import { DomainError } from "../../server/domain/errors.js";
import { hashIp, normalizeIp } from "../../server/domain/ip.js";

describe("normalizeIp", () => {
  it("keeps IPv4 as it is", () => {
    expect(normalizeIp("203.0.113.7")).toEqual({ version: 4, key: "203.0.113.7" });
    expect(normalizeIp(" 203.0.113.7 ")).toEqual({ version: 4, key: "203.0.113.7" });
  });

  it("turns IPv4-mapped IPv6 into IPv4, in either notation", () => {
    expect(normalizeIp("::ffff:203.0.113.7")).toEqual({ version: 4, key: "203.0.113.7" });
    expect(normalizeIp("::FFFF:cb00:7107")).toEqual({ version: 4, key: "203.0.113.7" });
    expect(normalizeIp("0:0:0:0:0:ffff:203.0.113.7")).toEqual({ version: 4, key: "203.0.113.7" });
  });

  it("reduces IPv6 to its /64 prefix, written out in full", () => {
    expect(normalizeIp("2001:db8::1")).toEqual({ version: 6, key: "2001:0db8:0000:0000::/64" });
    expect(normalizeIp("2001:DB8:0:1:aaaa:bbbb:cccc:dddd")).toEqual({ version: 6, key: "2001:0db8:0000:0001::/64" });
    expect(normalizeIp("::1")).toEqual({ version: 6, key: "0000:0000:0000:0000::/64" });
    expect(normalizeIp("fe80::1%eth0").key).toBe("fe80:0000:0000:0000::/64");
    expect(normalizeIp("[2001:db8:1:2::3]").key).toBe("2001:0db8:0001:0002::/64");
    expect(normalizeIp("1:2:3:4:5:6:1.2.3.4").key).toBe("0001:0002:0003:0004::/64");
  });

  it("refuses anything that is not an address", () => {
    for (const bad of [
      "",
      "localhost",
      "1.2.3",
      "256.1.1.1",
      "01.2.3.4",
      "1:2:3:4:5:6:7:8:9",
      "::g",
      "x".repeat(500),
    ]) {
      expect(() => normalizeIp(bad)).toThrow(DomainError);
    }
    try {
      normalizeIp("nope");
    } catch (e) {
      expect((e as DomainError).kind).toBe("invalid");
    }
  });
});

describe("hashIp", () => {
  const secret = "s3cret";

  it("is 32 hex characters", () => {
    expect(hashIp("198.51.100.1", secret)).toMatch(/^[0-9a-f]{32}$/);
  });

  it("is equal within one /64 and different across /64s", () => {
    const a = hashIp("2001:db8:aaaa:bbbb::1", secret);
    expect(hashIp("2001:db8:aaaa:bbbb:ffff:eeee:dddd:cccc", secret)).toBe(a);
    expect(hashIp("2001:db8:aaaa:bbbc::1", secret)).not.toBe(a);
  });

  it("is equal for IPv4 and its IPv4-mapped form, different for other IPv4", () => {
    const a = hashIp("198.51.100.1", secret);
    expect(hashIp("::ffff:198.51.100.1", secret)).toBe(a);
    expect(hashIp("198.51.100.2", secret)).not.toBe(a);
  });

  it("depends on the secret", () => {
    expect(hashIp("198.51.100.1", "other")).not.toBe(hashIp("198.51.100.1", secret));
    expect(() => hashIp("198.51.100.1", "")).toThrow();
  });

  it("refuses garbage with a DomainError", () => {
    expect(() => hashIp("not-an-ip", secret)).toThrow(DomainError);
  });
});
