import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** Temp files start with a dot so neither a listing of blobs nor a reader can mistake them for one. */
export const TEMP_PREFIX = ".tmp-";
/**
 * A temp file older than this is abandoned whoever wrote it: writing one blob takes seconds, and a
 * writer on another machine (a shared volume) or a reused process id cannot be asked.
 */
export const ABANDONED_AFTER_MS = 60 * 60 * 1000;

const NAME = /^\.tmp-(.+)-([1-9][0-9]{0,9})-[0-9a-f]{12}$/;

/** This machine's name as temp file names carry it (letters, digits, dots and dashes only). */
export function localHost(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9.-]/g, "_")
      .slice(0, 64) || "localhost"
  );
}

/**
 * A new temp file name naming its writer, `.tmp-<host>-<pid>-<random>`, so that a later start can
 * tell a file whose writer was killed from one a live process (a web process and a worker may share
 * DATA_DIR) is writing now.
 */
export function tempName(host = localHost(), pid = process.pid): string {
  return `${TEMP_PREFIX}${host}-${pid}-${randomBytes(6).toString("hex")}`;
}

/** Whether a process with this id runs on this machine (one of another user's counts). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the temp file `name`, last written `ageMs` ago, was left by a writer that is gone: one on
 * this machine whose process no longer runs (or is this process, which is not writing it), or any
 * older than ABANDONED_AFTER_MS, including names of another form.
 */
export function abandoned(
  name: string,
  ageMs: number,
  self: { host: string; pid: number; writing: ReadonlySet<string> },
): boolean {
  if (ageMs > ABANDONED_AFTER_MS) return true;
  const m = NAME.exec(name);
  if (!m || m[1] !== self.host) return false;
  const pid = Number(m[2]);
  if (pid === self.pid) return !self.writing.has(name);
  return !running(pid);
}
