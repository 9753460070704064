import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, type Logger } from "../../server/services/logger.js";
import { LIMIT_WINDOW_MS } from "../../server/services/shared-limits.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

describe("/livez and /readyz", () => {
  const started: TestInstance[] = [];
  afterEach(async () => {
    for (const t of started.splice(0)) await t.stop();
  });
  const start = async (env: Record<string, string> = {}, logger?: Logger, listen = false) => {
    const t = await startTestInstance(env, { ...(logger ? { logger } : {}), listen });
    started.push(t);
    return t;
  };

  it("answer ok and ready in plain text, uncached, without authentication", async () => {
    const t = await start();
    const live = await request(t.app).get("/livez");
    expect(live.status).toBe(200);
    expect(live.headers["content-type"]).toMatch(/^text\/plain/);
    expect(live.headers["cache-control"]).toBe("no-store");
    expect(live.text.trim()).toBe("ok");
    const ready = await request(t.app).get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.headers["content-type"]).toMatch(/^text\/plain/);
    expect(ready.text.trim()).toBe("ready");
    expect((await request(t.app).head("/readyz")).status).toBe(200);
  });

  it("are never rate limited, while the pages behind the limiter are", async () => {
    const t = await start({ RATE_LIMIT: "on", RATE_LIMIT_READS: "30" }, undefined, true);
    const status = async (path: string) => {
      const res = await fetch(`${t.url}${path}`);
      await res.arrayBuffer();
      return res.status;
    };
    // Counts start again with each minute: begin early in one, so the few requests below share it.
    const left = LIMIT_WINDOW_MS - (Date.now() % LIMIT_WINDOW_MS);
    if (left < 30_000) await new Promise((r) => setTimeout(r, left + 50));
    // The read limit is 30 a minute per address here: the 31st page is refused.
    let limited = 0;
    for (let i = 0; i < 40 && limited === 0; i++) {
      if ((await status("/boards.json")) === 429) limited = i + 1;
    }
    expect(limited).toBe(31);
    // The address is over its limit now, and the probes still answer every time.
    const statuses = new Map<number, number>();
    for (let i = 0; i < 50; i++) {
      for (const path of ["/livez", "/readyz"]) {
        const code = await status(path);
        statuses.set(code, (statuses.get(code) ?? 0) + 1);
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 100 });
    expect(await status("/boards.json")).toBe(429);
  }, 120_000);

  it("readiness fails with 503 once the store is closed, while liveness holds", async () => {
    const lines: string[] = [];
    const t = await start(
      {},
      createLogger("warn", (l) => lines.push(l)),
    );
    await t.services.store.close();
    const ready = await request(t.app).get("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.headers["content-type"]).toMatch(/^text\/plain/);
    expect(ready.text).toContain("not ready");
    expect((await request(t.app).get("/livez")).status).toBe(200);
    // Told once, not on every probe.
    expect((await request(t.app).get("/readyz")).status).toBe(503);
    expect(lines.filter((l) => l.includes("not ready"))).toHaveLength(1);
  });
});
