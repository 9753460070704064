import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { makeJpeg } from "../support/instance.js";

const root = projectRoot();
const entry = join(root, "dist", "server", "main.js");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitReady(url: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if ((await fetch(`${url}/boards.json`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready`);
}

describe.skipIf(!existsSync(entry))("the server process (skipped when dist/ is not built: run npm run build)", () => {
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
    await waitReady(url);
    expect(first.output()).toContain(url);
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

    const t0 = Date.now();
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);

    const second = start(env);
    await waitReady(url);
    const after = (await (await fetch(`${url}/b/thread/1.json`)).json()) as {
      posts: Array<{ tim: number; com: string }>;
    };
    expect(after.posts[0]?.com).toBe("survives restarts");
    expect(after.posts[0]?.tim).toBe(before.posts[0]?.tim);
    expect((await fetch(`${url}/media/b/${after.posts[0]?.tim}.jpg`)).status).toBe(200);
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("refuses a malformed configuration with a message naming the variable", async () => {
    const bad = start({ PORT: "eighty", CAPTCHA: "maybe" });
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/PORT/);
    expect(bad.output()).toMatch(/CAPTCHA/);
  });
});
