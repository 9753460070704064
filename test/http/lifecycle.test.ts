import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/fedify-peer.js";
import { makeJpeg } from "../support/instance.js";
import { exitCode, serverBuilt, runServer as start, waitServing as waitReady } from "../support/server-process.js";

describe.skipIf(!serverBuilt)("the server process (skipped when dist/ is not built: run npm run build)", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("prints its URL, stops cleanly on SIGTERM, and keeps everything across a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "atoll-life-"));
    dirs.push(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const token = "t".repeat(32);
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: url,
      CAPTCHA: "off",
      RATE_LIMIT: "off",
      ADMIN_TOKEN: token,
    };

    const first = start(env);
    await waitReady(url, "/readyz");
    expect(first.output()).toContain(url);
    const live = await fetch(`${url}/livez`);
    expect([live.status, (await live.text()).trim()]).toEqual([200, "ok"]);
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const board = await fetch(`${url}/api/v1/admin/boards`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ uri: "b", title: "Random" }),
    });
    expect(board.status).toBe(201);
    const form = new FormData();
    form.set("com", "survives restarts");
    form.set("file", new Blob([new Uint8Array(await makeJpeg(80, 60))], { type: "image/jpeg" }), "a.jpg");
    const posted = await fetch(`${url}/api/v1/boards/b/threads`, { method: "POST", body: form });
    expect(posted.status).toBe(201);
    const before = (await (await fetch(`${url}/b/thread/1.json`)).json()) as {
      posts: Array<{ tim: number; com: string }>;
    };

    // The process forces itself out with code 1 once 9.5 s of its own have passed: 0 is a clean stop
    // within that, however busy the machine. A process that never exits fails after a minute.
    first.child.kill("SIGTERM");
    expect(await exitCode(first)).toBe(0);

    const second = start(env);
    await waitReady(url);
    const after = (await (await fetch(`${url}/b/thread/1.json`)).json()) as {
      posts: Array<{ tim: number; com: string }>;
    };
    expect(after.posts[0]?.com).toBe("survives restarts");
    expect(after.posts[0]?.tim).toBe(before.posts[0]?.tim);
    expect((await fetch(`${url}/media/b/${after.posts[0]?.tim}.jpg`)).status).toBe(200);
    second.child.kill("SIGINT");
    expect(await exitCode(second)).toBe(0);
  }, 300_000);

  it("refuses a malformed configuration with a message naming the variable", async () => {
    const bad = start({ PORT: "eighty", CAPTCHA: "maybe" });
    expect(await exitCode(bad)).toBe(2);
    expect(bad.output()).toMatch(/PORT/);
    expect(bad.output()).toMatch(/CAPTCHA/);
  }, 120_000);
});
