import { describe, expect, it } from "vitest";
import {
  FetchFailed,
  GuardedFetch,
  type GuardedFetchOptions,
  isPublicAddress,
} from "../../federation/http/guarded-fetch.js";
import { lookupFrom, refusal } from "../support/guarded-fetch-server.js";

/* Which addresses the guarded client refuses to reach, and how it refuses before connecting. */

describe("isPublicAddress", () => {
  it("accepts public unicast addresses", () => {
    for (const ip of [
      "93.184.216.34",
      "1.1.1.1",
      "8.8.8.8",
      "100.63.255.255",
      "100.128.0.0",
      "172.15.255.255",
      "172.32.0.0",
      "192.0.1.1",
      "198.20.0.1",
      "223.255.255.254",
      "2606:2800:220:1:248:1893:25c8:1946",
      "2a00:1450:4001:82a::200e",
      "::ffff:93.184.216.34",
      "::ffff:5db8:d822",
      "64:ff9b::93.184.216.34",
      "2002:5db8:d822::1",
      "2001:0:5db8:d822::a247:27dd", // Teredo: server and client (stored inverted) both 93.184.216.34
    ]) {
      expect(isPublicAddress(ip), ip).toBe(true);
    }
  });

  it("refuses loopback, private, link-local, CGNAT, multicast, reserved and documentation ranges", () => {
    for (const ip of [
      "0.0.0.0",
      "0.1.2.3",
      "10.0.0.1",
      "10.255.255.255",
      "100.64.0.1",
      "100.127.255.255",
      "127.0.0.1",
      "127.1.2.3",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.0.0.8",
      "192.0.2.1",
      "192.88.99.1",
      "192.168.1.1",
      "198.18.0.1",
      "198.19.255.255",
      "198.51.100.7",
      "203.0.113.9",
      "224.0.0.1",
      "239.255.255.250",
      "240.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "fe80::1",
      "febf::1",
      "fec0::1",
      "fc00::1",
      "fd00::1",
      "ff02::1",
      "2001:db8::1",
      "3fff::1",
      "2001:2::1",
      "100::1",
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });

  it("sees through IPv6 forms that carry a private IPv4", () => {
    for (const ip of [
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "0:0:0:0:0:ffff:10.0.0.1",
      "::FFFF:A9FE:A9FE", // 169.254.169.254
      "::127.0.0.1", // IPv4-compatible, deprecated: never public
      "::93.184.216.34",
      "64:ff9b::10.0.0.1",
      "64:ff9b::7f00:1",
      "2002:7f00:1::1", // 6to4 of 127.0.0.1
      "2002:c0a8:0101::1", // 6to4 of 192.168.1.1
      "2001:0:7f00:1::a247:27dd", // Teredo with a loopback server
      "2001:0:5db8:d822::f5ff:fffe", // Teredo with client ~f5ff:fffe = 10.0.0.1
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });

  it("refuses anything that is not a bare address", () => {
    for (const ip of [
      "",
      "localhost",
      "example.com",
      "[2606:4700::1]",
      "fe80::1%eth0",
      "1.2.3",
      "1.1.1.1 ",
      "x".repeat(500),
    ]) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
    expect(isPublicAddress(undefined as unknown as string)).toBe(false);
  });
});

describe("GuardedFetch refusals with private addresses off", () => {
  const strict = (lookup: GuardedFetchOptions["lookup"]) =>
    new GuardedFetch({ allowPrivateAddresses: false, userAgent: "atoll-test", lookup, timeoutMs: 2000 });

  it("refuses plain http and other schemes before resolving anything", async () => {
    let lookups = 0;
    const fetcher = strict(async () => {
      lookups++;
      return [{ address: "93.184.216.34", family: 4 }];
    });
    for (const url of ["http://example.com/", "ftp://example.com/", "file:///etc/passwd", "javascript:alert(1)"]) {
      expect((await refusal(fetcher.request(url))).reason, url).toBe("scheme");
    }
    expect(lookups).toBe(0);
  });

  it("refuses hosts that resolve to a non-public address, even one among several", async () => {
    const bad = ["10.0.0.1", "127.0.0.1", "::ffff:127.0.0.1", "169.254.169.254", "fd00::1", "::1", "0.0.0.0"];
    for (const address of bad) {
      const fetcher = strict(lookupFrom({ "peer.example": [address] }));
      const err = await refusal(fetcher.request("https://peer.example/users/a"));
      expect(err.reason, address).toBe("private_address");
    }
    const mixed = strict(lookupFrom({ "peer.example": ["93.184.216.34", "10.0.0.1"] }));
    expect((await refusal(mixed.request("https://peer.example/"))).reason).toBe("private_address");
  });

  it("refuses address literals, in every spelling the URL parser accepts", async () => {
    const fetcher = strict(async () => {
      throw new Error("a literal must not be resolved");
    });
    for (const url of [
      "https://127.0.0.1/",
      "https://[::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://0x7f.1/",
      "https://2130706433/",
      "https://017700000001/",
      "https://169.254.169.254/latest/meta-data/",
      "https://[fe80::1]/",
    ]) {
      expect((await refusal(fetcher.request(url))).reason, url).toBe("private_address");
    }
  });

  it("refuses credentials in the URL and things that are not URLs", async () => {
    const fetcher = strict(lookupFrom({ "peer.example": ["93.184.216.34"] }));
    expect((await refusal(fetcher.request("https://user:pw@peer.example/"))).reason).toBe("bad_url");
    expect((await refusal(fetcher.request("https://user@peer.example/"))).reason).toBe("bad_url");
    expect((await refusal(fetcher.request("not a url"))).reason).toBe("bad_url");
    expect((await refusal(fetcher.request(`https://peer.example/${"a".repeat(10_000)}`))).reason).toBe("bad_url");
  });

  it("turns DNS failures into FetchFailed", async () => {
    const failing = strict(async () => {
      throw Object.assign(new Error("nope"), { code: "ENOTFOUND" });
    });
    const err = await failing.request("https://nowhere.example/").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchFailed);
    expect((err as FetchFailed).message).toContain("nowhere.example");
    const empty = strict(lookupFrom({}));
    expect(await empty.request("https://nowhere.example/").catch((e: unknown) => e)).toBeInstanceOf(FetchFailed);
    const garbage = strict(async () => [{ address: "not-an-ip", family: 4 }]);
    expect(await garbage.request("https://nowhere.example/").catch((e: unknown) => e)).toBeInstanceOf(FetchFailed);
    const throwing = strict(() => {
      throw new TypeError("synchronous");
    });
    expect(await throwing.request("https://nowhere.example/").catch((e: unknown) => e)).toBeInstanceOf(FetchFailed);
  });

  it("times out a DNS lookup that never answers", async () => {
    const fetcher = new GuardedFetch({
      allowPrivateAddresses: false,
      userAgent: "t",
      timeoutMs: 100,
      lookup: () => new Promise(() => {}),
    });
    expect((await refusal(fetcher.request("https://slow-dns.example/"))).reason).toBe("timeout");
  });
});
