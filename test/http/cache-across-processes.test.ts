import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/fedify-peer.js";
import { waitFor } from "../support/loopback.js";
import { type Answer, type Call, requestFrom } from "../support/processes.js";
import { type ServerProcess, serverBuilt, startServer } from "../support/server-process.js";

/*
 * Two web processes on one DATA_DIR, each with its own render cache. What one process changes is
 * seen at once through the other's cached pages and JSON (their versions come from the store), and
 * a ban made through one holds on the other at once. (The list of boards itself is kept for two
 * seconds per process.)
 */

const TOKEN = "c".repeat(32);
const POSTER = "127.0.0.53";
const OTHER = "127.0.0.54";

describe.skipIf(!serverBuilt)("render cache and bans across processes (needs dist/: npm run build)", () => {
  let dataDir: string;
  const processes: ServerProcess[] = [];
  let a: string;
  let b: string;
  let threadNo: number;

  const call = (from: string, base: string, path: string, c: Call = {}): Promise<Answer> =>
    requestFrom(from, `${base}${path}`, c);
  const post = (from: string, base: string, path: string, body: unknown) =>
    call(from, base, path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  /** The views of the thread a reader may hold cached: page, catalog, thread JSON, catalog JSON, index. */
  const views = () => [`/c/thread/${threadNo}`, "/c/catalog", `/c/thread/${threadNo}.json`, "/c/catalog.json", "/c/"];
  const read = async (base: string, path: string) => {
    const res = await call(OTHER, base, path, {
      headers: { accept: "text/html,application/json;q=0.9,*/*;q=0.8", "accept-encoding": "identity" },
    });
    expect(res.status, `${path} ${res.text.replace(/\s+/g, " ").slice(0, 1500)}`).toBe(200);
    return res.text;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-cache-"));
    const host = "127.0.0.50";
    const port = await freePort(host);
    const env = { DATA_DIR: dataDir, PUBLIC_URL: `http://${host}:${port}`, ADMIN_TOKEN: TOKEN, ATOLL_ROLE: "web" };
    processes.push(await startServer({ ...env, PORT: String(port) }, host));
    processes.push(await startServer(env, "127.0.0.51"));
    [a, b] = processes.map((p) => p.url) as [string, string];
    const board = await call(OTHER, a, "/api/v1/admin/boards", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ uri: "c", title: "Cached", settings: { requireImageForThread: false } }),
    });
    expect(board.status).toBe(201);
    const op = await post(POSTER, a, "/api/v1/boards/c/threads", { com: "the opening post" });
    expect(op.status).toBe(201);
    threadNo = (op.json as { no: number }).no;
    // B learns of a new board within its board list's life (two seconds), not at once.
    await waitFor(
      "the other process to know the board",
      async () => (await call(OTHER, b, "/c/catalog.json")).status === 200,
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) await p.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("shows a reply posted through one process at once in the other's cached pages and JSON", async () => {
    // Each view is rendered and cached by B, then served from its cache.
    const cached = new Map<string, string>();
    for (const path of views()) {
      const first = await read(b, path);
      expect(await read(b, path)).toBe(first);
      expect(first).not.toContain("a reply through the other process");
      cached.set(path, first);
    }
    const reply = await post(POSTER, a, `/api/v1/boards/c/threads/${threadNo}/replies`, {
      com: "a reply through the other process",
    });
    expect(reply.status).toBe(201);
    // No wait: the very next read of every view through B is built again.
    for (const path of views()) expect(await read(b, path), path).not.toBe(cached.get(path));
    for (const path of [`/c/thread/${threadNo}`, `/c/thread/${threadNo}.json`, "/c/"]) {
      expect(await read(b, path), path).toContain("a reply through the other process");
    }
    const catalog = JSON.parse(await read(b, "/c/catalog.json")) as Array<{
      threads: Array<{ no: number; replies: number }>;
    }>;
    expect(catalog.flatMap((p) => p.threads).find((t) => t.no === threadNo)?.replies).toBe(1);
  });

  it("refuses at once on one process a poster banned through the other", async () => {
    const reply = await post(POSTER, b, `/api/v1/boards/c/threads/${threadNo}/replies`, { com: "before the ban" });
    expect(reply.status).toBe(201);
    const no = (reply.json as { no: number }).no;
    const ban = await call(OTHER, a, "/api/v1/admin/bans", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ board: "c", post: `c/${no}`, reason: "spam", duration: 3600 }),
    });
    expect(ban.status).toBe(201);
    const refused = await post(POSTER, b, `/api/v1/boards/c/threads/${threadNo}/replies`, { com: "after the ban" });
    expect(refused.status).toBe(403);
    const other = await post(OTHER, b, `/api/v1/boards/c/threads/${threadNo}/replies`, { com: "someone else" });
    expect(other.status).toBe(201);
  });
});
