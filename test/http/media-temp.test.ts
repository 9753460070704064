import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { projectRoot } from "../../server/paths.js";
import { freePort } from "../support/fedify-peer.js";
import { waitFor } from "../support/loopback.js";
import { exitCode, runServer, serverBuilt, waitServing } from "../support/server-process.js";

vi.setConfig({ testTimeout: 120_000 });

const tempFiles = join(projectRoot(), "dist", "storage", "media", "temp-files.js");

/**
 * A process writing a media temp file the way the media store names them, which stops half way
 * (it never finishes): resolves with the process and the file once the first bytes are on disk.
 */
async function writer(folder: string): Promise<{ child: ChildProcess; file: string }> {
  const script = `
    const { tempName } = await import(${JSON.stringify(tempFiles)});
    const { openSync, writeSync } = await import("node:fs");
    const name = tempName();
    const fd = openSync(${JSON.stringify(folder)} + "/" + name, "wx");
    writeSync(fd, Buffer.alloc(4096, 1));
    process.stdout.write(name + "\\n");
    setInterval(() => writeSync(fd, Buffer.alloc(16, 1)), 200);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [chunk] = (await once(child.stdout!, "data")) as [Buffer];
  return { child, file: join(folder, chunk.toString().trim()) };
}

describe.skipIf(!serverBuilt)("temp files of a killed media writer (skipped when dist/ is not built)", () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it("are gone after the next start, while a live writer's file on the same DATA_DIR stays", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "atoll-temps-"));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const folder = join(dataDir, "media", "5e", "ed");
    mkdirSync(folder, { recursive: true });

    const killed = await writer(folder);
    killed.child.kill("SIGKILL");
    await once(killed.child, "exit");
    const live = await writer(folder);
    cleanup.push(() => {
      live.child.kill("SIGKILL");
    });
    expect(existsSync(killed.file)).toBe(true);

    const port = await freePort();
    const server = runServer({ DATA_DIR: dataDir, PORT: String(port), HOST: "127.0.0.1", LOG_LEVEL: "info" });
    cleanup.push(async () => {
      server.child.kill("SIGTERM");
      await exitCode(server);
    });
    await waitServing(`http://127.0.0.1:${port}`, "/readyz");
    await waitFor("the killed writer's temp file to be removed", async () => !existsSync(killed.file), 60_000);
    // The line is written once the sweep is over, and reaches the pipe a moment after the file went.
    await waitFor("the sweep to be logged", async () => server.output().includes("removed temp files"), 60_000);
    expect(server.output()).toMatch(/removed temp files left by interrupted media writes.*"removed":1/);
    expect(existsSync(live.file)).toBe(true);
  });
});
