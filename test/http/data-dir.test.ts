import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { freePort } from "../support/fedify-peer.js";
import { mountProblem, mountTmpfs, unmount } from "../support/mounts.js";
import { exitCode, runServer, serverBuilt } from "../support/server-process.js";

const cannotMount = serverBuilt ? mountProblem() : null;
// Each test starts a real process, which a busy machine makes slow.
vi.setConfig({ testTimeout: 120_000 });

describe.skipIf(!serverBuilt)("an unusable DATA_DIR (skipped when dist/ is not built: run npm run build)", () => {
  const dirs: string[] = [];
  const mounts: string[] = [];
  afterEach(async () => {
    for (const m of mounts.splice(0).reverse()) unmount(m);
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  const scratch = async () => {
    const dir = await mkdtemp(join(tmpdir(), "atoll-datadir-"));
    dirs.push(dir);
    return dir;
  };

  /** The server's exit code and what it printed, started on `dataDir`. */
  const run = async (dataDir: string) => {
    const p = runServer({ DATA_DIR: dataDir, PORT: String(await freePort()), HOST: "127.0.0.1" });
    return { code: await exitCode(p), output: p.output() };
  };

  it("stops with exit code 2 when DATA_DIR cannot be created because its parent is a file", async () => {
    const file = join(await scratch(), "not-a-dir");
    writeFileSync(file, "");
    const dataDir = join(file, "data");
    const { code, output } = await run(dataDir);
    expect(code).toBe(2);
    expect(output).toContain(`DATA_DIR ${dataDir} cannot be created`);
    expect(output).toContain("a part of the path is a file");
    expect(output).not.toMatch(/unable to open database file|at .*\.js:\d+/);
  });

  it("stops with exit code 2 when DATA_DIR/media is a file", async () => {
    const dataDir = await scratch();
    writeFileSync(join(dataDir, "media"), "");
    const { code, output } = await run(dataDir);
    expect(code).toBe(2);
    expect(output).toContain(`DATA_DIR/media ${join(dataDir, "media")} cannot be created`);
  });

  describe.skipIf(cannotMount !== null)(
    `on read-only mounts${cannotMount === null ? "" : ` (skipped: ${cannotMount})`}`,
    () => {
      it("stops with exit code 2, naming DATA_DIR and saying it is not writable", async () => {
        const dataDir = join(await scratch(), "ro");
        expect(mountTmpfs(dataDir, "ro,size=1m")).toBeNull();
        mounts.push(dataDir);
        const { code, output } = await run(dataDir);
        expect(code).toBe(2);
        expect(output).toContain(`DATA_DIR ${dataDir} is not writable: it is on a read-only file system`);
      });

      it("stops with exit code 2 when only DATA_DIR/media is read-only", async () => {
        const dataDir = await scratch();
        const media = join(dataDir, "media");
        mkdirSync(media);
        expect(mountTmpfs(media, "ro,size=1m")).toBeNull();
        mounts.push(media);
        const { code, output } = await run(dataDir);
        expect(code).toBe(2);
        expect(output).toContain(`DATA_DIR/media ${media} is not writable`);
      });
    },
  );
});
