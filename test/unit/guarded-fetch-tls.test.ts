import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FetchFailed,
  GuardedFetch,
  isPublicAddress,
  type SignableRequest,
} from "../../federation/http/guarded-fetch.js";
import { handle, listen, lookupFrom, refusal, routes, stop } from "../support/guarded-fetch-server.js";

/* The guarded client over https: the certificate checked against the hostname, and every hop checked again. */

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
