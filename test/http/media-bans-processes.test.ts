import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "../support/instance.js";
import { waitFor } from "../support/loopback.js";
import { SERVER_ENTRY, type ServerProcess, startServer } from "../support/server-process.js";

const TOKEN = "p".repeat(32);

/* A media ban made through one web process holds at once in another on the same DATA_DIR. */
describe.skipIf(!existsSync(SERVER_ENTRY))("media bans across processes on one store (needs dist/)", () => {
  let dataDir: string;
  const processes: ServerProcess[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-media-bans-"));
    const env = { DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN };
    processes.push(await startServer(env, "127.0.0.43"));
    processes.push(await startServer({ ...env, PUBLIC_URL: processes[0]!.url }, "127.0.0.44"));
    const board = await fetch(`${processes[0]!.url}/api/v1/admin/boards`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ uri: "b", title: "Random" }),
    });
    expect(board.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    const codes = await Promise.all(processes.map((p) => p.stop()));
    await rm(dataDir, { recursive: true, force: true });
    expect(codes).toEqual(codes.map(() => 0));
  });

  const upload = async (base: string, image: Buffer) => {
    const form = new FormData();
    form.set("com", "a thread");
    form.set("file", new Blob([image], { type: "image/jpeg" }), "p.jpg");
    return fetch(`${base}/api/v1/boards/b/threads`, { method: "POST", body: form });
  };
  const admin = (base: string, path: string, init: RequestInit = {}) =>
    fetch(`${base}/api/v1/admin/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    });

  it("refuses in the second process a file banned through the first, and takes it again once lifted", async () => {
    const [a, b] = processes as [ServerProcess, ServerProcess];
    const banned = await makeJpeg(90, 70);
    const other = await makeJpeg(91, 70);
    // The second process serves the board and has checked an upload (its bans are loaded) before the ban.
    await waitFor("the board in the second process", async () => (await upload(b.url, other)).status === 201, 20_000);

    const made = await admin(a.url, "media_bans", {
      method: "POST",
      body: JSON.stringify({ sha256: createHash("sha256").update(banned).digest("hex"), reason: "known bad" }),
    });
    expect(made.status).toBe(201);
    const refused = await upload(b.url, banned);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toBe("This file is not allowed here.");

    const { id } = (await made.json()) as { id: string };
    expect((await admin(a.url, `media_bans/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await upload(b.url, banned)).status).toBe(201);
  }, 60_000);
});
