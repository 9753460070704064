import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FetchFailed,
  FetchRefused,
  GuardedFetch,
  type GuardedFetchOptions,
  isPublicAddress,
  type SignableRequest,
} from "../../federation/http/guarded-fetch.js";

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

/** The routes both test servers answer. `base` is the origin the server is reached by. */
function routes(base: () => string): Record<string, Handler> {
  const redirect =
    (status: number, location: string | (() => string)) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { location: typeof location === "string" ? location : location() }).end("moved");
    };
  return {
    "/json": (_req, res) => {
      res.writeHead(200, { "content-type": "application/activity+json" }).end('{"type":"Note","id":"x"}');
    },
    "/echo": (req, res, body) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString() }));
    },
    "/hop2": redirect(302, "/hop1"),
    "/hop1": redirect(301, "/echo"),
    "/loop": redirect(302, "/loop"),
    "/see-other": redirect(303, "/echo"),
    "/temporary": redirect(307, "/echo"),
    "/found": redirect(302, "/echo"),
    "/no-location": (_req, res) => res.writeHead(302).end(),
    "/to-ftp": redirect(302, "ftp://example.com/file"),
    "/to-file": redirect(302, "file:///etc/passwd"),
    "/to-credentials": redirect(302, () => `${base().replace("://", "://user:pw@")}/json`),
    "/to-evil": redirect(302, () => base().replace("good.test", "evil.test")),
    "/to-http": redirect(302, () => `${base().replace("https:", "http:")}/json`),
    "/big-announced": (_req, res) => {
      res.writeHead(200, { "content-length": String(5_000_000) });
      res.write(Buffer.alloc(1000));
    },
    "/big-chunked": (_req, res) => {
      res.writeHead(200);
      let sent = 0;
      const more = () => {
        while (sent < 3_000_000) {
          sent += 64 * 1024;
          if (!res.write(Buffer.alloc(64 * 1024, 1))) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    },
    "/gzip-ok": (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync('{"ok":true}'));
    },
    "/gzip-bomb": (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(Buffer.alloc(20_000_000)));
    },
    "/gzip-broken": (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip" }).end("this is not gzip at all");
    },
    "/gzip-empty": (_req, res) => res.writeHead(202, { "content-encoding": "gzip", "content-length": "0" }).end(),
    "/gzip-204": (_req, res) => res.writeHead(204, { "content-encoding": "gzip" }).end(),
    "/brotli": (_req, res) => res.writeHead(200, { "content-encoding": "br" }).end("xx"),
    "/not-json": (_req, res) => res.writeHead(200).end("<html>nope</html>"),
    "/status-404": (_req, res) => res.writeHead(404, { "content-type": "text/plain" }).end("gone fishing"),
    "/slow-headers": () => {},
    "/slow-body": (_req, res) => {
      res.writeHead(200);
      res.write("a little");
    },
    "/truncated": (req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("only part");
      setTimeout(() => req.socket.destroy(), 20);
    },
  };
}

function handle(table: Record<string, Handler>, hits: string[]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      hits.push(`${req.headers.host} ${req.method} ${req.url}`);
      const handler = table[(req.url ?? "").split("?")[0] ?? ""];
      if (handler) handler(req, res, Buffer.concat(chunks));
      else res.writeHead(404).end();
    });
  };
}

async function listen(server: Server | TlsServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

function stop(server: Server | TlsServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function refusal(work: Promise<unknown>): Promise<FetchRefused> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchRefused);
  return err as FetchRefused;
}

const lookupFrom =
  (table: Record<string, string[]>): GuardedFetchOptions["lookup"] =>
  async (hostname) =>
    (table[hostname] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

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

describe("GuardedFetch over http on loopback (private addresses on)", () => {
  let server: Server;
  let port: number;
  const hits: string[] = [];
  let fetcher: GuardedFetch;
  const origin = () => `http://peer.test:${port}`;

  beforeAll(async () => {
    server = createServer(handle(routes(origin), hits));
    port = await listen(server);
    fetcher = new GuardedFetch({
      allowPrivateAddresses: true,
      userAgent: "atoll-test/1.0",
      timeoutMs: 3000,
      lookup: lookupFrom({ "peer.test": ["127.0.0.1"] }),
    });
  });
  afterAll(() => stop(server));

  it("connects to the checked address while keeping the hostname in Host", async () => {
    const res = await fetcher.request(`${origin()}/echo?q=1`, { accept: "application/activity+json" });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${origin()}/echo?q=1`);
    const echo = res.json<{ url: string; headers: Record<string, string> }>();
    expect(echo.url).toBe("/echo?q=1");
    expect(echo.headers["host"]).toBe(`peer.test:${port}`);
    expect(echo.headers["user-agent"]).toBe("atoll-test/1.0");
    expect(echo.headers["accept"]).toBe("application/activity+json");
  });

  it("parses JSON and reports bad JSON as a refusal", async () => {
    const res = await fetcher.request(`${origin()}/json`);
    expect(res.headers["content-type"]).toBe("application/activity+json");
    expect(res.json()).toEqual({ type: "Note", id: "x" });
    const html = await fetcher.request(`${origin()}/not-json`);
    expect(() => html.json()).toThrow(FetchRefused);
    try {
      html.json();
    } catch (e) {
      expect((e as FetchRefused).reason).toBe("json");
    }
  });

  it("returns non-2xx statuses with their body", async () => {
    const res = await fetcher.request(`${origin()}/status-404`);
    expect(res.status).toBe(404);
    expect(res.body.toString()).toBe("gone fishing");
  });

  it("follows redirects, reports the final URL and signs every hop", async () => {
    const signed: SignableRequest[] = [];
    const res = await fetcher.request(`${origin()}/hop2`, {
      sign: (req) => {
        signed.push(req);
        return { Signature: `hop-${signed.length}` };
      },
    });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${origin()}/echo`);
    expect(signed.map((s) => s.url.pathname)).toEqual(["/hop2", "/hop1", "/echo"]);
    expect(signed.every((s) => s.method === "GET" && s.headers["host"] === `peer.test:${port}`)).toBe(true);
    expect(res.json<{ headers: Record<string, string> }>().headers["signature"]).toBe("hop-3");
  });

  it("stops after maxRedirects", async () => {
    const err = await refusal(fetcher.request(`${origin()}/loop`));
    expect(err.reason).toBe("too_many_redirects");
    const none = new GuardedFetch({
      allowPrivateAddresses: true,
      userAgent: "t",
      maxRedirects: 0,
      lookup: lookupFrom({ "peer.test": ["127.0.0.1"] }),
    });
    expect((await refusal(none.request(`${origin()}/found`))).reason).toBe("too_many_redirects");
    const manual = await none.request(`${origin()}/found`, { redirect: "manual" });
    expect(manual.status).toBe(302);
    expect(manual.headers["location"]).toBe("/echo");
  });

  it("refuses redirects to forbidden schemes, credentials or nowhere", async () => {
    expect((await refusal(fetcher.request(`${origin()}/to-ftp`))).reason).toBe("scheme");
    expect((await refusal(fetcher.request(`${origin()}/to-file`))).reason).toBe("scheme");
    expect((await refusal(fetcher.request(`${origin()}/to-credentials`))).reason).toBe("bad_url");
    expect((await refusal(fetcher.request(`${origin()}/no-location`))).reason).toBe("status");
  });

  it("keeps the method and body on 307, turns POST into GET on 302 and 303", async () => {
    const post = { method: "POST" as const, body: '{"a":1}', headers: { "Content-Type": "application/json" } };
    const kept = (await fetcher.request(`${origin()}/temporary`, post)).json<Record<string, unknown>>();
    expect(kept["method"]).toBe("POST");
    expect(kept["body"]).toBe('{"a":1}');
    for (const path of ["/see-other", "/found"]) {
      const turned = (await fetcher.request(`${origin()}${path}`, post)).json<{
        method: string;
        body: string;
        headers: Record<string, string>;
      }>();
      expect(turned.method).toBe("GET");
      expect(turned.body).toBe("");
      expect(turned.headers["content-type"]).toBeUndefined();
    }
  });

  it("passes the body to the signer and sends what it adds", async () => {
    let seen: Buffer | undefined;
    const res = await fetcher.request(`${origin()}/echo`, {
      method: "POST",
      body: "hello",
      sign: (req) => {
        seen = req.body;
        return { Digest: "SHA-256=x", Date: "Thu, 01 Jan 2026 00:00:00 GMT" };
      },
    });
    expect(seen?.toString()).toBe("hello");
    const echo = res.json<{ body: string; headers: Record<string, string> }>();
    expect(echo.body).toBe("hello");
    expect(echo.headers["digest"]).toBe("SHA-256=x");
    expect(echo.headers["date"]).toBe("Thu, 01 Jan 2026 00:00:00 GMT");
  });

  it("caps the body: announced, streamed and decompressed", async () => {
    expect((await refusal(fetcher.request(`${origin()}/big-announced`))).reason).toBe("too_large");
    expect((await refusal(fetcher.request(`${origin()}/big-chunked`))).reason).toBe("too_large");
    expect((await refusal(fetcher.request(`${origin()}/gzip-bomb`))).reason).toBe("too_large");
    const raised = await fetcher.request(`${origin()}/big-chunked`, { maxBytes: 4_000_000 });
    expect(raised.body.length).toBeGreaterThanOrEqual(3_000_000);
    const small = new GuardedFetch({
      allowPrivateAddresses: true,
      userAgent: "t",
      maxBytes: 10,
      lookup: lookupFrom({ "peer.test": ["127.0.0.1"] }),
    });
    expect((await refusal(small.request(`${origin()}/echo`))).reason).toBe("too_large");
  });

  it("decodes gzip, refuses other encodings and reports broken bodies as FetchFailed", async () => {
    expect((await fetcher.request(`${origin()}/gzip-ok`)).json()).toEqual({ ok: true });
    expect((await refusal(fetcher.request(`${origin()}/brotli`))).reason).toBe("encoding");
    for (const path of ["/gzip-empty", "/gzip-204"]) {
      const empty = await fetcher.request(`${origin()}${path}`, { method: "POST", body: "{}" });
      expect(empty.body.length, path).toBe(0);
    }
    expect(await fetcher.request(`${origin()}/gzip-broken`).catch((e: unknown) => e)).toBeInstanceOf(FetchFailed);
    expect(await fetcher.request(`${origin()}/truncated`).catch((e: unknown) => e)).toBeInstanceOf(FetchFailed);
  });

  it("times out slow headers and slow bodies within the total budget", async () => {
    // Both never finish: an answer at all is the timeout's doing.
    const quick = new GuardedFetch({
      allowPrivateAddresses: true,
      userAgent: "t",
      timeoutMs: 300,
      lookup: lookupFrom({ "peer.test": ["127.0.0.1"] }),
    });
    for (const path of ["/slow-headers", "/slow-body"]) {
      expect((await refusal(quick.request(`${origin()}${path}`))).reason).toBe("timeout");
    }
    // A request's own budget wins over the client's: this one would otherwise wait an hour.
    const patient = new GuardedFetch({
      allowPrivateAddresses: true,
      userAgent: "t",
      timeoutMs: 3_600_000,
      lookup: lookupFrom({ "peer.test": ["127.0.0.1"] }),
    });
    expect((await refusal(patient.request(`${origin()}/slow-body`, { timeoutMs: 200 }))).reason).toBe("timeout");
  });

  it("reports a refused connection as FetchFailed", async () => {
    const closed = createServer();
    const closedPort = await listen(closed);
    await stop(closed);
    const err = await fetcher.request(`http://127.0.0.1:${closedPort}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchFailed);
    expect((err as FetchFailed).code).toBe("ECONNREFUSED");
  });
});

const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;

describe.skipIf(!hasOpenssl)("GuardedFetch over https with private addresses off", () => {
  let dir: string;
  let server: TlsServer;
  let port: number;
  let ca: string;
  const hits: string[] = [];
  const servernames: Array<string | false | null> = [];
  const origin = () => `https://good.test:${port}`;
  let fetcher: GuardedFetch;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "atoll-tls-"));
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1"],
        ...["-subj", "/CN=good.test", "-addext", "subjectAltName=DNS:good.test,DNS:evil.test"],
      ],
      { stdio: "ignore" },
    );
    ca = readFileSync(cert, "utf8");
    server = createTlsServer({ key: readFileSync(key), cert: ca }, handle(routes(origin), hits));
    server.on("secureConnection", (socket: TLSSocket) => servernames.push(socket.servername));
    port = await listen(server);
    fetcher = new GuardedFetch({
      allowPrivateAddresses: false,
      userAgent: "atoll-test",
      timeoutMs: 5000,
      ca,
      // Loopback stands in for "public" so that a first hop can succeed; everything else keeps the default.
      isAllowedAddress: (ip) => ip === "127.0.0.1" || isPublicAddress(ip),
      lookup: lookupFrom({ "good.test": ["127.0.0.1"], "evil.test": ["10.0.0.1"], "other.test": ["127.0.0.1"] }),
    });
  });
  afterAll(async () => {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it("fetches over TLS with SNI and Host set to the hostname", async () => {
    const res = await fetcher.request(`${origin()}/echo`);
    expect(res.json<{ headers: Record<string, string> }>().headers["host"]).toBe(`good.test:${port}`);
    expect(servernames.at(-1)).toBe("good.test");
  });

  it("verifies the certificate against the original hostname, not the address", async () => {
    const err = await fetcher.request(`https://other.test:${port}/json`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchFailed);
    expect((err as FetchFailed).code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("re-checks every hop: a redirect to a private address or to http is refused", async () => {
    const signedHosts: string[] = [];
    const sign = (req: SignableRequest) => {
      signedHosts.push(req.url.host);
      return {};
    };
    const before = hits.length;
    const toEvil = await refusal(fetcher.request(`${origin()}/to-evil`, { sign }));
    expect(toEvil.reason).toBe("private_address");
    expect(toEvil.message).toContain("10.0.0.1");
    expect((await refusal(fetcher.request(`${origin()}/to-http`, { sign }))).reason).toBe("scheme");
    // Each first hop was made and signed; the forbidden second hops were neither signed nor made.
    expect(hits.slice(before)).toEqual([`good.test:${port} GET /to-evil`, `good.test:${port} GET /to-http`]);
    expect(signedHosts).toEqual([`good.test:${port}`, `good.test:${port}`]);
  });
});
