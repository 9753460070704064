import express from "express";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLimiter, sameOriginWrites } from "../../server/http/guards.js";
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
  it("refuses writes past the limit with 429 and Retry-After, and allows them again next window", async () => {
    let now = 0;
    const app = express();
    app.use(requestLimiter(() => now, { read: 5, write: 2 }, 60_000));
    app.all("/x", (_req, res) => {
      res.send("ok");
    });
    expect((await request(app).post("/x")).status).toBe(200);
    expect((await request(app).post("/x")).status).toBe(200);
    const third = await request(app).post("/x");
    expect(third.status).toBe(429);
    expect(third.headers["content-type"]).toMatch(/problem\+json/);
    expect(Number(third.headers["retry-after"])).toBe(60);
    // Reads have their own budget.
    expect((await request(app).get("/x")).status).toBe(200);
    now = 60_000;
    expect((await request(app).post("/x")).status).toBe(200);
  });

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
});
