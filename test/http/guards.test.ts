import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sameOriginWrites } from "../../server/http/guards.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

describe("security headers on pages", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance();
    await t.services.boards.create({ uri: "b", title: "Random" });
  });
  afterAll(() => t.stop());

  it("serves every page with a strict CSP: scripts and styles from the site only, no framing", async () => {
    for (const path of ["/", "/b/", "/b/catalog", "/about", "/admin"]) {
      const res = await request(t.app).get(path);
      const csp = String(res.headers["content-security-policy"]);
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("object-src 'none'");
      expect(csp, path).not.toContain("unsafe-inline");
      expect(res.headers["x-content-type-options"], path).toBe("nosniff");
    }
  });
});

describe("request limits", () => {
  let t: TestInstance;
  let now = Date.UTC(2030, 0, 1);
  const token = "a".repeat(32);
  const admin = { Authorization: `Bearer ${token}` };

  beforeAll(async () => {
    t = await startTestInstance(
      {
        RATE_LIMIT: "on",
        RATE_LIMIT_READS: "5",
        RATE_LIMIT_WRITES: "2",
        RATE_LIMIT_ADMIN: "3",
        ADMIN_TOKEN: token,
      },
      { clock: () => now },
    );
  });
  afterAll(() => t.stop());

  it("refuses writes past the limit with 429 and Retry-After, keeps reads apart, and renews next window", async () => {
    const write = () => request(t.app).post("/api/v1/boards/none/threads").send({ com: "x" });
    expect((await write()).status).toBe(404);
    expect((await write()).status).toBe(404);
    const third = await write();
    expect(third.status).toBe(429);
    expect(third.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    expect(Number(third.headers["retry-after"])).toBe(60);
    expect(third.body.retry_after).toBe(60);
    // Reads have their own budget; a page past it is refused with a page.
    const reads = [];
    for (let i = 0; i < 6; i++) reads.push(await request(t.app).get("/").set("Accept", "text/html"));
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(reads[5]?.headers["content-type"]).toMatch(/text\/html/);
    expect(reads[5]?.text).toContain("Too many requests");
    expect(reads[5]?.headers["retry-after"]).toBe("60");
    now += 60_000;
    expect((await write()).status).toBe(404);
    expect((await request(t.app).get("/boards.json")).status).toBe(200);
  });

  it("gives the admin API (with a token) a budget apart from writes", async () => {
    now += 60_000;
    const write = () => request(t.app).post("/api/v1/boards/none/threads").send({ com: "x" });
    expect([(await write()).status, (await write()).status, (await write()).status]).toEqual([404, 404, 429]);
    const boards = [];
    for (const uri of ["a", "b", "c", "d"]) {
      boards.push((await request(t.app).post("/api/v1/admin/boards").set(admin).send({ uri, title: uri })).status);
    }
    expect(boards).toEqual([201, 201, 201, 429]);
    // Without a token, an admin path is an ordinary request: it counts as a write.
    expect((await request(t.app).post("/api/v1/admin/boards").send({ uri: "e", title: "e" })).status).toBe(429);
    now += 60_000;
    expect((await request(t.app).get("/api/v1/admin/boards").set(admin)).status).toBe(200);
  });
});

describe("cross-site writes", () => {
  it("refuses cross-site writes by Fetch Metadata or Origin, and lets other clients through", async () => {
    const app = express();
    app.use(sameOriginWrites("https://atoll.example"));
    app.post("/x", (_req, res) => {
      res.send("ok");
    });
    expect((await request(app).post("/x").set("Sec-Fetch-Site", "cross-site")).status).toBe(403);
    expect((await request(app).post("/x").set("Origin", "https://evil.example")).status).toBe(403);
    expect((await request(app).post("/x").set("Origin", "https://atoll.example")).status).toBe(200);
    expect((await request(app).post("/x")).status).toBe(200);
  });

  it("refuses a form POST whose only clue, the Referer, names another site", async () => {
    const app = express();
    app.use(sameOriginWrites("https://atoll.example"));
    app.post("/x", (_req, res) => {
      res.send("ok");
    });
    const post = (headers: Record<string, string>) => request(app).post("/x").set(headers);
    expect((await post({ Referer: "https://evil.example/form.html" })).status).toBe(403);
    expect((await post({ Referer: "https://atoll.example.evil.example/b/" })).status).toBe(403);
    expect((await post({ Referer: "http://atoll.example/b/" })).status).toBe(403);
    expect((await post({ Referer: "not a url" })).status).toBe(403);
    const refused = await post({ Referer: "https://evil.example/" });
    expect(refused.headers["content-type"]).toMatch(/problem\+json/);
    // Our own pages, by the public URL or by the Host the request came to, pass.
    expect((await post({ Referer: "https://atoll.example/b/thread/1" })).status).toBe(200);
    expect((await post({ Referer: "http://127.0.0.1:8080/b/", Host: "127.0.0.1:8080" })).status).toBe(200);
    // The Origin, when sent, decides; a cross-site Origin is refused whatever the Referer says.
    expect((await post({ Origin: "https://atoll.example", Referer: "https://evil.example/" })).status).toBe(200);
    expect((await post({ Origin: "https://evil.example", Referer: "https://atoll.example/" })).status).toBe(403);
  });
});
