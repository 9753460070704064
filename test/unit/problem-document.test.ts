import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Problem, problemKindOf, problemType, sendProblem } from "../../server/http/problem-document.js";

/* The one problem writer, on a bare node:http server (as the inbox answers ahead of the app). */

describe("problem documents", () => {
  let server: Server;
  let base: string;
  /** What the server answers next: set by each test before it asks. */
  let answer: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;

  beforeAll(async () => {
    server = createServer((req, res) => answer(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const problem = (status: number, extra: Record<string, unknown> = {}): Problem => ({
    type: problemType("invalid"),
    title: "Invalid request",
    status,
    detail: "No ümlaut is too long for its length.",
    ...extra,
  });

  it("names every problem type in one namespace, a domain error's kind hyphenated", () => {
    expect(problemType("method-not-allowed")).toBe("urn:atoll:problem:method-not-allowed");
    expect(problemType(problemKindOf("not_found"))).toBe("urn:atoll:problem:not-found");
    expect(problemType(problemKindOf("unsupported_media"))).toBe("urn:atoll:problem:unsupported-media");
    expect(problemType(problemKindOf("captcha"))).toBe("urn:atoll:problem:captcha");
  });

  it("writes the document whole, with its type, length and nosniff, on a plain response", async () => {
    const sent = problem(400, { field: "comment" });
    answer = (_req, res) => sendProblem(res, sent);
    const res = await fetch(`${base}/x`);
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("retry-after")).toBeNull();
    expect(JSON.parse(text)).toEqual(sent);
  });

  it("keeps the headers set before and adds those given", async () => {
    answer = (_req, res) => {
      res.setHeader("Allow", "POST");
      res.setHeader("Vary", "Accept");
      sendProblem(res, problem(405), { Vary: "Accept, Signature", "WWW-Authenticate": "Signature" });
    };
    const res = await fetch(`${base}/x`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(res.headers.get("vary")).toBe("Accept, Signature");
    expect(res.headers.get("www-authenticate")).toBe("Signature");
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("tells when to come back: the problem's retry_after, else five seconds for a 503", async () => {
    answer = (_req, res) => sendProblem(res, problem(429, { retry_after: 17 }));
    expect((await fetch(`${base}/x`)).headers.get("retry-after")).toBe("17");
    answer = (_req, res) => sendProblem(res, problem(503, { retry_after: 30 }));
    expect((await fetch(`${base}/x`)).headers.get("retry-after")).toBe("30");
    answer = (_req, res) => sendProblem(res, problem(503));
    expect((await fetch(`${base}/x`)).headers.get("retry-after")).toBe("5");
  });

  it("answers a HEAD with the headers alone", async () => {
    answer = (_req, res) => sendProblem(res, problem(404));
    const res = await fetch(`${base}/x`, { method: "HEAD" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await res.text()).toBe("");
  });
  it("writes Mastodon's error JSON under /api/v1 and /api/v2, a problem document when asked or elsewhere", async () => {
    const sent = problem(422, { retry_after: 3 });
    answer = (_req, res) => sendProblem(res, sent);
    for (const path of ["/api/v1/admin/domain_blocks", "/api/v2/instance", "/api/v1?x=1"]) {
      const res = await fetch(`${base}${path}`, { headers: { accept: "application/json, */*" } });
      expect(res.headers.get("content-type"), path).toBe("application/json; charset=utf-8");
      expect(res.headers.get("retry-after")).toBe("3");
      // The type depends on Accept, so caches must keep the two apart.
      expect(res.headers.get("vary")).toBe("Accept");
      expect(await res.json()).toEqual({ error: sent.detail, ...sent });
    }
    const asked = await fetch(`${base}/api/v1/admin/domain_blocks`, {
      headers: { accept: "application/problem+json, application/json;q=0.5" },
    });
    expect(asked.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
    expect(await asked.json()).toEqual(sent);
    for (const path of ["/api/v10/x", "/api/v1x", "/b/catalog.json", "/inbox", "/boards/b"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.headers.get("content-type"), path).toBe("application/problem+json; charset=utf-8");
      expect(res.headers.get("vary"), path).toBeNull();
      expect(await res.json()).toEqual(sent);
    }
    answer = (_req, res) => {
      res.setHeader("Vary", "Origin");
      sendProblem(res, sent);
    };
    const both = await fetch(`${base}/api/v1/instance`);
    expect(both.headers.get("vary")).toBe("Origin, Accept");
  });
});
