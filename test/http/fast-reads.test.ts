import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ObservedRequest } from "../../server/http/request-observer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

interface Raw {
  status: number;
  /** Every header line as sent, in order, but the Date. */
  headers: string[];
  body: Buffer;
}

/** One request over a real connection, with the headers as sent and the body as bytes (not decoded). */
function raw(base: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const lines: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          if (res.rawHeaders[i]?.toLowerCase() !== "date") lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({ status: res.statusCode ?? 0, headers: lines, body: Buffer.concat(chunks) });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const READS = [
  "/t/thread/1",
  "/t/catalog",
  "/t/",
  "/t/2",
  "/t/thread/1.json",
  "/t/catalog.json",
  "/t/threads.json",
  "/t/1.json",
];
const ENCODINGS: Record<string, string>[] = [
  {},
  { "Accept-Encoding": "gzip, deflate" },
  { "Accept-Encoding": "gzip, deflate, br" },
];

describe("cached reads answered ahead of Express", () => {
  let t: TestInstance;
  /** The same instance's Express app alone, on a server of its own: the slow path to compare with. */
  let slow: Server;
  let slowUrl: string;
  const seen: ObservedRequest[] = [];
  const answeredFast = () => seen.length;

  const post = async (fields: Record<string, string>, thread?: number) => {
    const path = thread ? `/api/v1/boards/t/threads/${thread}/replies` : "/api/v1/boards/t/threads";
    const res = await request(t.app).post(path).send(fields);
    expect(res.status).toBe(201);
    return res.body.no as number;
  };

  /** Express first (it builds the entry), then the fast path, which must answer with the same bytes. */
  const same = async (path: string, headers: Record<string, string> = {}, method = "GET") => {
    const viaExpress = await raw(slowUrl, path, headers, method);
    const before = answeredFast();
    const viaFast = await raw(t.url, path, headers, method);
    expect(answeredFast(), `${method} ${path} answered ahead of Express`).toBe(before + 1);
    expect(viaFast.status, path).toBe(viaExpress.status);
    // Last-Modified names the second before the change while that second lasts (respond.ts), so it
    // may move between two requests: the answer must equal Express's before or after it.
    const now =
      viaFast.headers.join("\n") === viaExpress.headers.join("\n")
        ? viaExpress
        : await raw(slowUrl, path, headers, method);
    expect(viaFast.headers, path).toEqual(now.headers);
    expect(viaFast.body.equals(viaExpress.body), path).toBe(true);
    return viaFast;
  };

  beforeAll(async () => {
    t = await startTestInstance(
      { PUBLIC_URL: "http://atoll.test" },
      { listen: true, fastReadObserver: { observe: (r) => seen.push(r) } },
    );
    await t.services.boards.create({
      uri: "t",
      title: "Text",
      settings: { requireImageForThread: false, threadsPerPage: 2 },
    });
    const first = await post({ com: "first thread" });
    for (let i = 0; i < 5; i++) await post({ com: `reply ${i}` }, first);
    for (let i = 0; i < 4; i++) await post({ com: `thread ${i}` });
    slow = createServer(t.app);
    slow.listen(0, "127.0.0.1");
    await new Promise((resolve) => slow.once("listening", resolve));
    slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => slow.close(resolve));
    await t.stop();
  });

  it("answers each cached read with the Express path's status, headers and bytes, in every encoding", async () => {
    for (const path of READS)
      for (const enc of ENCODINGS) {
        const res = await same(path, enc);
        expect(res.status, path).toBe(200);
      }
    const brotli = await raw(t.url, "/t/thread/1", { "Accept-Encoding": "br" });
    expect(brotli.headers).toContain("Content-Encoding: br");
    expect(brotli.headers.some((h) => h.startsWith("Content-Security-Policy: "))).toBe(true);
    expect(seen.map((r) => r.route)).toContain("/:board/thread/:no");
    expect(seen.every((r) => r.route.startsWith("/:board/") && r.path.startsWith("/t/"))).toBe(true);
  });

  it("answers HEAD and conditional requests (If-None-Match, If-Modified-Since) as Express does", async () => {
    // Once the second of the last change is over, Last-Modified names it and If-Modified-Since matches.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const path of READS) {
      await same(path, {}, "HEAD");
      const full = await raw(t.url, path);
      const etag = full.headers.find((h) => h.startsWith("ETag: "))?.slice(6) ?? "";
      const modified = full.headers.find((h) => h.startsWith("Last-Modified: "))?.slice(15) ?? "";
      const byTag = await same(path, { "If-None-Match": etag });
      expect(byTag.status, path).toBe(304);
      expect(byTag.body.length).toBe(0);
      expect((await same(path, { "If-Modified-Since": modified })).status, path).toBe(304);
      expect((await same(path, { "If-None-Match": '"other"' })).status, path).toBe(200);
    }
  });

  it("shows a new reply and a deletion at once, the stale entry never answered", async () => {
    const before = await raw(t.url, "/t/thread/1");
    const reply = await post({ com: "a reply that arrives later", password: "hunter22" }, 1);
    const count = answeredFast();
    const after = await raw(t.url, "/t/thread/1");
    // The version moved: Express built the new page, the path ahead of it answered nothing.
    expect(answeredFast()).toBe(count);
    expect(after.body.toString()).toContain("a reply that arrives later");
    expect(after.body.equals(before.body)).toBe(false);
    await same("/t/thread/1");
    await same("/t/thread/1.json");

    const del = await request(t.app).delete(`/api/v1/boards/t/posts/${reply}`).send({ password: "hunter22" });
    expect(del.status).toBe(204);
    const json = await raw(t.url, "/t/thread/1.json");
    expect(json.body.toString()).not.toContain("a reply that arrives later");
    const page = await raw(t.url, "/t/thread/1");
    expect(page.body.toString()).not.toContain("a reply that arrives later");
  });

  it("reads the store again for a read only once something was committed", async () => {
    await same("/t/thread/1");
    const reads = vi.spyOn(t.services.store.posts, "getThread");
    try {
      for (let i = 0; i < 3; i++) expect((await raw(t.url, "/t/thread/1")).status).toBe(200);
      // Nothing was written since the slot was worked out: it was used again, the store not read.
      expect(reads).not.toHaveBeenCalled();
      await post({ com: "a reply that moves the stamp" }, 1);
      const page = await raw(t.url, "/t/thread/1");
      expect(page.body.toString()).toContain("a reply that moves the stamp");
      expect(reads).toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it("sees a post made by another instance on the same store", async () => {
    const other = await startTestInstance({ PUBLIC_URL: "http://atoll.test" }, { dataDir: t.dataDir });
    try {
      await same("/t/thread/1");
      const res = await request(other.app).post("/api/v1/boards/t/threads/1/replies").send({ com: "from elsewhere" });
      expect(res.status).toBe(201);
      const page = await raw(t.url, "/t/thread/1");
      expect(page.body.toString()).toContain("from elsewhere");
    } finally {
      await other.stop();
    }
  });

  it("leaves staff sessions, ActivityPub negotiation, query strings and writes to Express", async () => {
    await same("/t/thread/1");
    const count = answeredFast();
    const staff = await raw(t.url, "/t/thread/1", { Cookie: "atoll_session=not-a-session" });
    expect(staff.status).toBe(200);
    const ap = await raw(t.url, "/t/thread/1", { Accept: "application/activity+json" });
    expect(ap.headers.some((h) => /^Content-Type: application\/activity\+json/.test(h))).toBe(true);
    expect((await raw(t.url, "/t/catalog?sort=created")).status).toBe(200);
    expect((await raw(t.url, "/t/thread/1.json?show_limited=1")).status).toBe(200);
    expect((await raw(t.url, "/t/thread/999")).status).toBe(404);
    expect((await raw(t.url, "/nope/thread/1")).status).toBe(404);
    expect(answeredFast()).toBe(count);
    // Cookies that do not choose the page do not keep it from the fast path.
    await same("/t/thread/1", { Cookie: "atoll_pw=abc; show_limited=0" });
  });

  it("answers the opted-in variant from its own entry", async () => {
    const opted = await same("/t/thread/1", { Cookie: "show_limited=1" });
    expect(opted.status).toBe(200);
  });
});

describe("cached reads with the request limiter on", () => {
  let t: TestInstance;
  const seen: ObservedRequest[] = [];
  afterAll(() => t.stop());

  it("counts each read against the client's limit and leaves the refusal to Express", async () => {
    t = await startTestInstance(
      { PUBLIC_URL: "http://atoll.test", RATE_LIMIT: "on", RATE_LIMIT_READS: "5", RATE_LIMIT_WRITES: "100" },
      { listen: true, fastReadObserver: { observe: (r) => seen.push(r) } },
    );
    await t.services.boards.create({ uri: "t", title: "Text", settings: { requireImageForThread: false } });
    const res = await request(t.app).post("/api/v1/boards/t/threads").send({ com: "limited reads" });
    expect(res.status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await raw(t.url, "/t/thread/1.json")).status);
    // The first builds the entry through Express, the next are answered ahead of it until the limit,
    // then every answer is Express's 429, none from the cache.
    const refused = statuses.indexOf(429);
    expect(refused).toBeGreaterThan(1);
    expect(statuses.slice(0, refused).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(refused).every((s) => s === 429)).toBe(true);
    expect(seen.length).toBe(refused - 1);
  });
});
