import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchFailed, FetchRefused, GuardedFetch, type SignableRequest } from "../../federation/http/guarded-fetch.js";
import { handle, listen, lookupFrom, refusal, routes, stop } from "../support/guarded-fetch-server.js";

/* The guarded client over http on loopback: hosts, redirects, signing, body limits, encodings and timeouts. */

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
