import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { RenderCache } from "../../server/services/render-cache.js";

describe("render cache", () => {
  it("builds once per version and rebuilds when the version changes", async () => {
    const cache = new RenderCache();
    let builds = 0;
    const build = async () => `page ${++builds}`;
    const a = await cache.get("t:1", "1", "text/html", build);
    const b = await cache.get("t:1", "1", "text/html", build);
    expect(builds).toBe(1);
    expect(b).toBe(a);
    const c = await cache.get("t:1", "2", "text/html", build);
    expect(builds).toBe(2);
    expect(c.body.toString()).toBe("page 2");
    expect(gunzipSync(c.gzip).toString()).toBe("page 2");
    expect(c.etag).not.toBe(a.etag);
  });

  it("shares one build between concurrent requests", async () => {
    const cache = new RenderCache();
    let builds = 0;
    const slow = async () => {
      builds++;
      await new Promise((r) => setTimeout(r, 20));
      return "x";
    };
    await Promise.all(Array.from({ length: 10 }, () => cache.get("k", "v", "text/plain", slow)));
    expect(builds).toBe(1);
  });

  it("does not cache a failed build", async () => {
    const cache = new RenderCache();
    await expect(cache.get("k", "v", "text/plain", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const ok = await cache.get("k", "v", "text/plain", async () => "fine");
    expect(ok.body.toString()).toBe("fine");
  });

  it("evicts least recently used entries beyond its byte budget", async () => {
    const cache = new RenderCache(3000);
    let builds = 0;
    const big = async () => {
      builds++;
      return "y".repeat(1000);
    };
    await cache.get("a", "1", "text/plain", big);
    await cache.get("b", "1", "text/plain", big);
    await cache.get("a", "1", "text/plain", big); // a is now the most recent
    await cache.get("c", "1", "text/plain", big); // evicts b
    expect(builds).toBe(3);
    await cache.get("a", "1", "text/plain", big);
    expect(builds).toBe(3);
    await cache.get("b", "1", "text/plain", big);
    expect(builds).toBe(4);
  });
});
