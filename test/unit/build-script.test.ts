import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { projectRoot } from "../../server/paths.js";

// A dozen Node.js processes per test, which a busy machine starts slowly.
vi.setConfig({ testTimeout: 120_000 });

/**
 * scripts/build.js run for real on a small copy of the project's layout, with a stand-in for the
 * TypeScript compiler that writes the outputs and counts its runs (the real one takes half a minute).
 */
describe("the build script's staleness check", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "atoll-build-"));
    mkdirSync(join(root, "scripts"));
    copyFileSync(join(projectRoot(), "scripts", "build.js"), join(root, "scripts", "build.js"));
    writeFileSync(join(root, "package.json"), '{"type":"module"}\n');
    writeFileSync(join(root, "tsconfig.json"), "{}\n");
    writeFileSync(join(root, "tsconfig.build.json"), "{}\n");
    for (const dir of ["server/cli", "federation", "storage", "bin"]) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, "server", "main.ts"), "export {};\n");
    writeFileSync(join(root, "federation", "index.ts"), "export {};\n");
    const tsc = join(root, "node_modules", "typescript", "bin");
    mkdirSync(tsc, { recursive: true });
    writeFileSync(
      join(tsc, "tsc"),
      `import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
const root = ${JSON.stringify(root)};
appendFileSync(root + "/runs", "x");
if (existsSync(root + "/fail")) process.exit(2);
mkdirSync(root + "/dist/server/cli", { recursive: true });
writeFileSync(root + "/dist/server/main.js", "");
writeFileSync(root + "/dist/server/cli/main.js", "");
`,
    );
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const runs = () => (existsSync(join(root, "runs")) ? readFileSync(join(root, "runs"), "utf8").length : 0);
  const build = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, "scripts", "build.js"), ...args], { encoding: "utf8" });
    return { code: r.status, err: r.stderr };
  };

  it("builds when dist/ is missing, then only when a source changes", () => {
    expect(build("--if-stale")).toMatchObject({ code: 0, err: expect.stringContaining("dist/ is missing") });
    expect(runs()).toBe(1);
    expect(build("--if-stale")).toEqual({ code: 0, err: "" });
    expect(runs()).toBe(1);

    writeFileSync(join(root, "server", "main.ts"), "export const changed = 1;\n");
    expect(build("--if-stale").err).toContain("the sources changed");
    expect(runs()).toBe(2);
    expect(build("--if-stale").code).toBe(0);
    expect(runs()).toBe(2);

    // A new file, a deleted one, the build's settings and the launcher count as well.
    const edits = [
      () => writeFileSync(join(root, "storage", "new.ts"), "export {};\n"),
      () => rmSync(join(root, "federation", "index.ts")),
      () => writeFileSync(join(root, "tsconfig.build.json"), '{"compilerOptions":{}}\n'),
      () => writeFileSync(join(root, "bin", "atoll.js"), "\n"),
      () => writeFileSync(join(root, "package.json"), '{"type":"module","version":"2"}\n'),
    ];
    for (const [i, edit] of edits.entries()) {
      edit();
      expect(build("--if-stale").code).toBe(0);
      expect(runs(), `edit ${i}`).toBe(3 + i);
    }
    // Without --if-stale it always builds.
    expect(build().code).toBe(0);
    expect(runs()).toBe(3 + edits.length);
  });

  it("builds again after a failed build or when an output is gone", () => {
    expect(build("--if-stale").code).toBe(0);
    writeFileSync(join(root, "fail"), "");
    writeFileSync(join(root, "server", "main.ts"), "broken\n");
    expect(build("--if-stale").code).toBe(2);
    rmSync(join(root, "fail"));
    // The failed build left no record: the next check builds, although the sources are as then.
    expect(build("--if-stale").code).toBe(0);
    expect(runs()).toBe(3);
    rmSync(join(root, "dist", "server", "main.js"));
    expect(build("--if-stale").code).toBe(0);
    expect(runs()).toBe(4);
  });
});
