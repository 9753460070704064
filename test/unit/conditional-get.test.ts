import { describe, expect, it } from "vitest";
import { notModified, statedModified } from "../../server/http/respond.js";
import { RenderCache } from "../../server/services/render-cache.js";

const T = Date.UTC(2026, 0, 5, 12, 0, 0);
const req = (headers: Record<string, string>) => ({ headers });

describe("conditional GETs", () => {
  it("states the second of a change once it is over, the second before while it lasts", () => {
    expect(statedModified(T + 300, T + 5000)).toBe(T);
    expect(statedModified(T + 300, T + 1000)).toBe(T);
    expect(statedModified(T + 300, T + 900)).toBe(T - 1000);
    // a change dated ahead of this clock is never stated later than now
    expect(statedModified(T + 9000, T + 1500)).toBe(T);
  });

  it("prefers If-None-Match, reading lists and weak tags; else compares dates by the second", () => {
    const r = { etag: '"abc"', lastModified: T + 700 };
    expect(notModified(req({ "if-none-match": '"x", W/"abc"' }), r)).toBe(true);
    expect(notModified(req({ "if-none-match": "*" }), r)).toBe(true);
    const date = new Date(T).toUTCString();
    expect(notModified(req({ "if-none-match": '"x"', "if-modified-since": date }), r)).toBe(false);
    expect(notModified(req({ "if-modified-since": date }), r)).toBe(true);
    expect(notModified(req({ "if-modified-since": new Date(T - 1000).toUTCString() }), r)).toBe(false);
    expect(notModified(req({ "if-modified-since": "yesterday" }), r)).toBe(false);
    expect(notModified(req({}), r)).toBe(false);
  });

  it("dates a rendering by its content, and a change the content's time does not show when seen", async () => {
    const cache = new RenderCache();
    const first = await cache.get("k", "1", "text/plain", async () => "a", T);
    expect(first.lastModified).toBe(T);
    // a newer version with the same text keeps its date
    expect((await cache.get("k", "2", "text/plain", async () => "a", T)).lastModified).toBe(T);
    // the content's time moved: that is the date
    expect((await cache.get("k", "3", "text/plain", async () => "b", T + 5000)).lastModified).toBe(T + 5000);
    // the text changed but the content's time did not (a rule, the board list): dated now, later than before
    const before = Date.now();
    const untimed = await cache.get("k", "4", "text/plain", async () => "c", T + 5000);
    expect(untimed.lastModified).toBeGreaterThanOrEqual(Math.max(before, T + 6000));
    // without a content time, a first rendering is dated when built
    expect((await cache.get("other", "1", "text/plain", async () => "x")).lastModified).toBeGreaterThanOrEqual(before);
  });
});
