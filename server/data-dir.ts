import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { access, mkdir, stat, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** DATA_DIR (or a folder in it) cannot be used: the message names the path and why. */
export class DataDirError extends Error {
  override readonly name = "DataDirError";
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case "EROFS":
      return "it is on a read-only file system";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is a file, not a directory";
    case "EEXIST":
      return "it exists and is not a directory";
    case "ENOSPC":
    case "EDQUOT":
      return "the disk is full";
    default:
      return e instanceof Error ? e.message : String(err);
  }
}

/** Creates `path` when missing and proves it writable by writing and removing a file in it. */
async function writableDir(path: string, label: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
    if (!(await stat(path)).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "EEXIST" });
  } catch (err) {
    throw new DataDirError(`${label} ${path} cannot be created: ${why(err)}.`);
  }
  const probe = join(path, `.write-check-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await writeFile(probe, "");
  } catch (err) {
    throw new DataDirError(`${label} ${path} is not writable: ${why(err)}.`);
  }
  await unlink(probe).catch(() => {});
}

/**
 * Checks before anything is opened that DATA_DIR and DATA_DIR/media exist (creating them) and take
 * writes, and, for SQLite, that an existing database file does too; so a server that cannot store a
 * post stops at once with the path and the cause instead of failing later or on every upload.
 */
export async function checkDataDir(dataDir: string, opts: { sqlite: boolean }): Promise<void> {
  const root = resolve(dataDir);
  await writableDir(root, "DATA_DIR");
  await writableDir(join(root, "media"), "DATA_DIR/media");
  if (!opts.sqlite) return;
  const db = join(root, "atoll.db");
  try {
    await access(db, fsConstants.W_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new DataDirError(`The database ${db} is not writable: ${why(err)}.`);
  }
}
