#!/usr/bin/env node
/*
 * Builds dist/ from the TypeScript sources and records what it built from, so that `npm start`,
 * `npm test` and `npm run bench` (`--if-stale`) build only when the sources changed since.
 *
 *   node scripts/build.js             build now
 *   node scripts/build.js --if-stale  build only when dist/ is missing or older than the sources
 *
 * The record (dist/.build-stamp) is a digest of the contents and names of every file the build
 * reads, so an edit, a new file, a deleted one or a checkout of other sources all count, whatever
 * their times; it is removed before a build and written only after one that succeeded.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stamp = join(root, "dist", ".build-stamp");
/** What the build reads: the compiled folders, the command's launcher, and the build's settings. */
const SOURCE_DIRS = ["server", "federation", "storage", "bin", join("test", "bench"), join("test", "support")];
/** What must exist for a build to count as present. */
const OUTPUTS = [join("dist", "server", "main.js"), join("dist", "server", "cli", "main.js")];

function sourceFiles() {
  const files = readdirSync(root).filter((name) => name === "package.json" || /^tsconfig.*\.json$/.test(name));
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch (err) {
      if (err.code === "ENOENT") return;
      throw err;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules") walk(path);
      } else if (entry.isFile()) files.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return files.map((f) => f.split(sep).join("/")).sort();
}

function digest() {
  const hash = createHash("sha256");
  for (const file of sourceFiles()) {
    hash.update(`${file}\0`);
    hash.update(
      createHash("sha256")
        .update(readFileSync(join(root, file)))
        .digest(),
    );
  }
  return hash.digest("hex");
}

function built(current) {
  if (!OUTPUTS.every((f) => existsSync(join(root, f)))) return false;
  try {
    return readFileSync(stamp, "utf8").trim() === current;
  } catch {
    return false;
  }
}

function tsc() {
  const local = join(root, "node_modules", "typescript", "bin", "tsc");
  const [command, args] = existsSync(local) ? [process.execPath, [local]] : ["tsc", []];
  const run = spawnSync(command, [...args, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
  if (run.error) {
    process.stderr.write(`build: could not run the TypeScript compiler: ${run.error.message}\n`);
    return 1;
  }
  return run.status ?? 1;
}

const ifStale = process.argv.includes("--if-stale");
const before = digest();
if (ifStale && built(before)) process.exit(0);
if (ifStale) {
  const why = existsSync(join(root, "dist")) ? "the sources changed since the last build" : "dist/ is missing";
  process.stderr.write(`Building (${why})...\n`);
}
rmSync(stamp, { force: true });
const status = tsc();
if (status !== 0) process.exit(status);
// The digest taken before compiling: a file edited during the build makes the next check build again.
writeFileSync(stamp, `${before}\n`);
