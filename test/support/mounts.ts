import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Real file systems for the tests about disks: a tmpfs mounted over a directory (read-only, or small
 * enough to fill). Mounting needs root (and a kernel that lets this process mount); where it is not
 * allowed, `mountProblem()` says why, and the tests skip with that reason.
 */
export function mountTmpfs(dir: string, options: string): string | null {
  mkdirSync(dir, { recursive: true });
  const run = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (run.error) return `cannot run mount: ${run.error.message}`;
  if (run.status !== 0) return `mount -t tmpfs refused: ${(run.stderr || run.stdout).trim() || `exit ${run.status}`}`;
  return null;
}

export function unmount(dir: string): void {
  spawnSync("umount", [dir]);
}

/** Why tmpfs mounts cannot be made here, or null when they can (tried once on a scratch directory). */
export function mountProblem(): string | null {
  if (process.platform !== "linux") return `tmpfs mounts are tried on Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  const dir = mkdtempSync(join(tmpdir(), "atoll-mount-probe-"));
  try {
    const problem = mountTmpfs(dir, "size=64k");
    if (problem === null) unmount(dir);
    return problem;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
