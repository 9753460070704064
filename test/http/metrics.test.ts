import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/services/logger.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const METRICS_TOKEN = "metrics-token-0123456789";
const ADMIN_TOKEN = "admin-token-0123456789abcdef";

/** The value of one series in an exposition, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const open = line.indexOf("{");
    const labelText = open >= 0 && open < line.indexOf(" ") ? line.slice(open + 1, line.indexOf("}")) : "";
    const have = labelText === "" ? [] : labelText.split(/,(?=[a-z_]+=")/);
    if (want.every((w) => have.includes(w))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

describe("GET /metrics", () => {
  let t: TestInstance;
  const lines: string[] = [];
  const scrape = async (target = t) => {
    const res = await request(target.app).get("/metrics").set("Authorization", `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    return res.text;
  };

  beforeAll(async () => {
    t = await startTestInstance(
      { METRICS_TOKEN, ADMIN_TOKEN, PUBLIC_URL: "http://atoll.test" },
      { logger: createLogger("info", (l) => lines.push(l)) },
    );
    await t.services.boards.create({ uri: "t", title: "Text", settings: { requireImageForThread: false } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("refuses without a token, or with a wrong one, as a problem document", async () => {
    const none = await request(t.app).get("/metrics");
    expect(none.status).toBe(401);
    expect(none.headers["content-type"]).toBe("application/problem+json; charset=utf-8");
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(none.text).not.toContain("atoll_");
    const wrong = await request(t.app).get("/metrics").set("Authorization", `Bearer ${METRICS_TOKEN}x`);
    expect(wrong.status).toBe(401);
  });

  it("answers the Prometheus text format to the metrics token and to an admin token", async () => {
    const res = await request(t.app).get("/metrics").set("Authorization", `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      "atoll_http_requests_total",
      "atoll_http_request_duration_seconds",
      "atoll_delivery_queue_items",
      "atoll_delivery_oldest_due_seconds",
      "atoll_nodejs_eventloop_lag_p99_seconds",
      "atoll_process_resident_memory_bytes",
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    const admin = await request(t.app).get("/metrics").set("Authorization", `Bearer ${ADMIN_TOKEN}`);
    expect(admin.status).toBe(200);
  });

  it("counts requests by route pattern and status, never by path", async () => {
    const before = await scrape();
    const route = { method: "GET", route: "/:board/thread/:no.json", status: "404" };
    const missing = await request(t.app).get("/t/thread/424242.json");
    expect(missing.status).toBe(404);
    await request(t.app).get("/no/such/place/at/all");
    const after = await scrape();
    expect(sample(after, "atoll_http_requests_total", route) - sample(before, "atoll_http_requests_total", route)).toBe(
      1,
    );
    const unmatched = { route: "unmatched", status: "404" };
    expect(
      sample(after, "atoll_http_requests_total", unmatched) - sample(before, "atoll_http_requests_total", unmatched),
    ).toBe(1);
    expect(after).not.toContain("424242");
    const count = { route: "/:board/thread/:no.json" };
    expect(sample(after, "atoll_http_request_duration_seconds_count", count)).toBeGreaterThan(
      sample(before, "atoll_http_request_duration_seconds_count", count),
    );
  });

  it("counts posts, uploads and their refusals, render cache lookups and inbox refusals", async () => {
    const before = await scrape();
    const thread = await request(t.app)
      .post("/api/v1/boards/t/threads")
      .attach("file", await makeJpeg(64, 48), { filename: "a.jpg", contentType: "image/jpeg" })
      .field("com", "counted");
    expect(thread.status).toBe(201);
    const refused = await request(t.app)
      .post("/api/v1/boards/t/threads")
      .attach("file", Buffer.from("not an image at all"), { filename: "a.jpg", contentType: "image/jpeg" })
      .field("com", "refused");
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    for (let i = 0; i < 2; i++) expect((await request(t.app).get(`/t/thread/${thread.body.no}.json`)).status).toBe(200);
    const unsigned = await request(t.app)
      .post("/ap/inbox")
      .set("Content-Type", "application/activity+json")
      .send(JSON.stringify({ type: "Create", id: "https://peer.test/a/1", actor: "https://peer.test/u/x" }));
    expect(unsigned.status).toBe(401);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta("atoll_posts_created_total", { origin: "local" })).toBe(1);
    expect(delta("atoll_uploads_total", { kind: "image" })).toBe(1);
    expect(delta("atoll_uploads_refused_total")).toBe(1);
    expect(delta("atoll_render_cache_lookups_total", { result: "miss" })).toBe(1);
    expect(delta("atoll_render_cache_lookups_total", { result: "hit" })).toBe(1);
    expect(delta("atoll_inbox_activities_refused_total", { reason: "signature" })).toBe(1);
  });

  it("keeps each instance's series in its own registry", async () => {
    const other = await startTestInstance({ METRICS_TOKEN });
    try {
      const route = { route: "/livez-never" };
      expect(sample(await scrape(other), "atoll_http_requests_total", route)).toBe(0);
      for (let i = 0; i < 3; i++) await request(t.app).get("/boards.json");
      const json = { route: "/boards.json" };
      const mine = sample(await scrape(), "atoll_http_requests_total", json);
      expect(mine).toBeGreaterThanOrEqual(3);
      expect(sample(await scrape(other), "atoll_http_requests_total", json)).toBe(0);
      expect(t.services.metrics?.registry).not.toBe(other.services.metrics?.registry);
    } finally {
      await other.stop();
    }
  });

  it("counts the inbox POSTs answered ahead of the app under their inbox's pattern", async () => {
    const served = await startTestInstance({ METRICS_TOKEN }, { listen: true });
    try {
      const route = { method: "POST", route: "/ap/inbox", status: "401" };
      const before = sample(await scrape(served), "atoll_http_requests_total", route);
      const res = await fetch(`${served.url}/ap/inbox?x=1`, {
        method: "POST",
        headers: { "Content-Type": "application/activity+json" },
        body: JSON.stringify({ type: "Create", id: "https://peer.test/a/2", actor: "https://peer.test/u/x" }),
      });
      await res.arrayBuffer();
      expect(res.status).toBe(401);
      const text = await scrape(served);
      expect(sample(text, "atoll_http_requests_total", route) - before).toBe(1);
      expect(sample(text, "atoll_inbox_activities_refused_total", { reason: "signature" })).toBe(1);
    } finally {
      await served.stop();
    }
  });

  it("writes one access log line per request, without the client's address", async () => {
    lines.length = 0;
    await request(t.app)
      .get("/t/catalog.json?x=1")
      .set("User-Agent", `probe/1.0 ${"z".repeat(400)}`);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "request");
    expect(logged).toHaveLength(1);
    const line = logged[0]!;
    expect(Object.keys(line).sort()).toEqual(
      ["client", "level", "method", "ms", "msg", "path", "route", "status", "time", "ua", "bytes"].sort(),
    );
    expect(line).toMatchObject({ method: "GET", route: "/:board/catalog.json", path: "/t/catalog.json", status: 200 });
    expect(String(line["ua"]).length).toBe(200);
    expect(line["client"]).toMatch(/^[0-9a-f]{16}$/);
    const text = lines.join("\n");
    expect(text).not.toMatch(/127\.0\.0\.1|::ffff|::1\b/);
  });

  it("counts and logs cached reads answered ahead of Express like any other request", async () => {
    const served = await startTestInstance(
      { METRICS_TOKEN, PUBLIC_URL: "http://atoll.test" },
      { listen: true, logger: createLogger("info", (l) => lines.push(l)) },
    );
    try {
      await served.services.boards.create({ uri: "t", title: "Text", settings: { requireImageForThread: false } });
      const op = await served.services.posting.createThread({ board: "t", comment: "cached", ip: "192.0.2.1" });
      const route = { method: "GET", route: "/:board/thread/:no", status: "200" };
      const hits = { result: "hit" };
      const before = await scrape(served);
      lines.length = 0;
      // The first read renders through Express; the second is the cached one the fast path sends.
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${served.url}/t/thread/${op.no}`, { headers: { "User-Agent": "probe/2" } });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const after = await scrape(served);
      expect(
        sample(after, "atoll_http_requests_total", route) - sample(before, "atoll_http_requests_total", route),
      ).toBe(2);
      expect(
        sample(after, "atoll_render_cache_lookups_total", hits) -
          sample(before, "atoll_render_cache_lookups_total", hits),
      ).toBeGreaterThanOrEqual(1);
      const logged = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l["msg"] === "request" && l["route"] === "/:board/thread/:no");
      expect(logged).toHaveLength(2);
      for (const line of logged) {
        expect(line).toMatchObject({ ua: "probe/2", status: 200 });
        expect(line["client"]).toMatch(/^[0-9a-f]{16}$/);
      }
    } finally {
      await served.stop();
    }
  });
});
