import { createHash } from "node:crypto";
import { type Dirent, constants as fsConstants } from "node:fs";
import { lstat, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { DomainError, isDiskFull, StorageError } from "../../server/domain/errors.js";
import type { MediaStore } from "../../server/domain/ports.js";
import { abandoned, localHost, TEMP_PREFIX, tempName } from "./temp-files.js";

const ADDRESS = /^[0-9a-f]{64}$/;
const FANOUT = /^[0-9a-f]{2}$/;

function checkAddress(sha256: unknown): string {
  if (typeof sha256 !== "string" || !ADDRESS.test(sha256)) {
    throw new DomainError("invalid", "A media address is 64 lowercase hex digits.");
  }
  return sha256;
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === "ENOENT";
}

/** Flushes a directory's entries (a rename or a new child) to disk; some platforms cannot, which is fine. */
async function syncDir(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, fsConstants.O_RDONLY);
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw e;
  } finally {
    await handle?.close();
  }
}

/**
 * Content-addressed blobs on the local file system at `dir/ab/cd/<sha256>`. A blob appears whole or
 * not at all: it is written to a temp file beside its final place, synced, renamed over, and the
 * directory synced, so a crash never leaves a truncated file under a valid address. Paths are only
 * ever built from a validated address. A temp file names its writer (see temp-files.ts), so what a
 * killed writer left is removed by `removeAbandonedTemps` at the next start.
 */
export class FsMediaStore implements MediaStore {
  readonly #host = localHost();
  /** The temp files this process is writing now. */
  readonly #writing = new Set<string>();

  constructor(private readonly dir: string) {}

  private pathOf(sha256: string): { folder: string; file: string } {
    const folder = join(this.dir, sha256.slice(0, 2), sha256.slice(2, 4));
    return { folder, file: join(folder, sha256) };
  }

  /** A full disk or quota is reported as a StorageError, with nothing of the blob left behind. */
  async put(data: Buffer): Promise<string> {
    if (!Buffer.isBuffer(data)) throw new DomainError("invalid", "Media data must be bytes.");
    try {
      return await this.#write(data);
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new StorageError("media", `the media storage under ${this.dir} is full (${code})`, undefined, { cause: e });
    }
  }

  async #write(data: Buffer): Promise<string> {
    const sha256 = createHash("sha256").update(data).digest("hex");
    const { folder, file } = this.pathOf(sha256);
    if (await this.has(sha256)) return sha256;

    const created = await mkdir(folder, { recursive: true });
    if (created !== undefined) {
      // new fan-out folders must themselves be recorded in their parents
      await syncDir(this.dir);
      await syncDir(join(this.dir, sha256.slice(0, 2)));
    }
    const name = tempName(this.#host);
    const temp = join(folder, name);
    this.#writing.add(name);
    try {
      const handle = await open(temp, "wx", 0o644);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      // Identical bytes under one name: a concurrent put of the same blob may win the rename, harmlessly.
      await rename(temp, file);
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    } finally {
      this.#writing.delete(name);
    }
    await syncDir(folder);
    return sha256;
  }

  async open(
    sha256: string,
    span?: (size: number) => { start: number; end: number } | null,
  ): Promise<{ stream: Readable; size: number } | null> {
    const { file } = this.pathOf(checkAddress(sha256));
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, "r");
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    try {
      const { size } = await handle.stat();
      // The stream owns the handle from here and closes it when done or destroyed.
      return { stream: handle.createReadStream(span?.(size) ?? {}), size };
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  async has(sha256: string): Promise<boolean> {
    const { file } = this.pathOf(checkAddress(sha256));
    try {
      return (await stat(file)).isFile();
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async delete(sha256: string): Promise<void> {
    const { file } = this.pathOf(checkAddress(sha256));
    try {
      await unlink(file);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  async *list(): AsyncIterable<string> {
    for (const a of await this.subdirs(this.dir)) {
      for (const b of await this.subdirs(join(this.dir, a))) {
        const prefix = a + b;
        let entries: Dirent[];
        try {
          entries = await readdir(join(this.dir, a, b), { withFileTypes: true });
        } catch (e) {
          if (isMissing(e)) continue;
          throw e;
        }
        for (const entry of entries) {
          if (entry.isFile() && ADDRESS.test(entry.name) && entry.name.startsWith(prefix)) yield entry.name;
        }
      }
    }
  }

  /**
   * Removes the temp files their writers left behind: a process killed while writing a blob leaves
   * one. A file another live process on this machine is writing now is left alone (see `abandoned`).
   * Returns how many were removed.
   */
  async removeAbandonedTemps(now = Date.now()): Promise<number> {
    const self = { host: this.#host, pid: process.pid, writing: this.#writing };
    let removed = 0;
    for (const a of await this.subdirs(this.dir)) {
      for (const b of await this.subdirs(join(this.dir, a))) {
        const folder = join(this.dir, a, b);
        let entries: Dirent[];
        try {
          entries = await readdir(folder, { withFileTypes: true });
        } catch (e) {
          if (isMissing(e)) continue;
          throw e;
        }
        for (const entry of entries) {
          if (!entry.isFile() || !entry.name.startsWith(TEMP_PREFIX)) continue;
          const path = join(folder, entry.name);
          try {
            if (!abandoned(entry.name, now - (await lstat(path)).mtimeMs, self)) continue;
            await unlink(path);
            removed++;
          } catch (e) {
            // Renamed into place or removed by its writer in the meantime.
            if (!isMissing(e)) throw e;
          }
        }
      }
    }
    return removed;
  }

  /** Two-hex-digit fan-out folders under `path` (none when it does not exist yet). */
  private async subdirs(path: string): Promise<string[]> {
    try {
      const entries = await readdir(path, { withFileTypes: true });
      return entries
        .filter((e) => e.isDirectory() && FANOUT.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }
}
