import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/instance.js";
import { SERVER_ENTRY, type ServerProcess, startServer } from "../support/server-process.js";

const TOKEN = "t".repeat(32);
const PER_PROCESS = 8;

/*
 * Two web processes on one DATA_DIR take image replies at the same time: every file gets a tim of
 * its own, 4chan's milliseconds, whichever process stored it.
 */
describe.skipIf(!existsSync(SERVER_ENTRY))("file ids across processes on one store (needs dist/)", () => {
  let dataDir: string;
  const processes: ServerProcess[] = [];
  let jpeg: Buffer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-tim-"));
    const env = { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN };
    // The first creates the database; the second opens it.
    processes.push(await startServer(env, "127.0.0.41"));
    processes.push(await startServer({ ...env, PUBLIC_URL: processes[0]!.url }, "127.0.0.42"));
    const board = await fetch(`${processes[0]!.url}/api/v1/admin/boards`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ uri: "b", title: "Random", settings: { requireImageForThread: false } }),
    });
    expect(board.status).toBe(201);
    jpeg = await makeJpeg(64, 48);
  }, 120_000);

  afterAll(async () => {
    const codes = await Promise.all(processes.map((p) => p.stop()));
    await rm(dataDir, { recursive: true, force: true });
    expect(codes).toEqual(codes.map(() => 0));
  });

  const post = async (base: string, path: string, com: string) => {
    const form = new FormData();
    form.set("com", com);
    form.set("file", new Blob([jpeg], { type: "image/jpeg" }), "p.jpg");
    const res = await fetch(`${base}${path}`, { method: "POST", body: form });
    expect(res.status).toBe(201);
    return ((await res.json()) as { no: number }).no;
  };

  it("gives every file a distinct 13-digit tim", async () => {
    const [a, b] = processes as [ServerProcess, ServerProcess];
    const before = Date.now();
    const op = await post(a.url, "/api/v1/boards/b/threads", "op");
    const path = `/api/v1/boards/b/threads/${op}/replies`;
    await Promise.all(
      Array.from({ length: PER_PROCESS }, (_, i) => [post(a.url, path, `a${i}`), post(b.url, path, `b${i}`)]).flat(),
    );
    // read from the process that made the board: the other sees new boards within two seconds
    const res = await fetch(`${a.url}/b/thread/${op}.json`);
    const thread = (await res.json()) as { posts: Array<{ tim: number }> };
    expect(res.status, JSON.stringify(thread)).toBe(200);
    const tims = thread.posts.map((p) => p.tim);
    expect(tims).toHaveLength(1 + 2 * PER_PROCESS);
    expect(new Set(tims).size).toBe(tims.length);
    for (const tim of tims) {
      expect(String(tim)).toMatch(/^[0-9]{13}$/);
      expect(tim).toBeGreaterThanOrEqual(before);
    }
    // each file is served by its tim from the other process too
    for (const tim of tims.slice(0, 3)) expect((await fetch(`${b.url}/media/b/${tim}s.jpg`)).status).toBe(200);
  });
});
