import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { StorageError } from "../../server/domain/errors.js";
import { toProblem } from "../../server/http/problem.js";
import { createLogger } from "../../server/services/logger.js";
import { FsMediaStore } from "../../storage/media/fs-media-store.js";
import { asStorageFailure as mongoFailure } from "../../storage/mongo/errors.js";
import { CommitGroup } from "../../storage/sqlite/commit-group.js";
import { asStorageFailure as sqliteFailure } from "../../storage/sqlite/errors.js";
import { mountProblem, mountTmpfs, unmount } from "../support/mounts.js";

const root = mkdtempSync(join(tmpdir(), "atoll-full-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a full disk as an error", () => {
  it("is a 507 problem with its own type, telling the client what happened, and logs nothing more", () => {
    const lines: string[] = [];
    const logger = createLogger("debug", (l) => lines.push(l));
    const err = new StorageError("media", "the media storage under /data/media is full (ENOSPC)");
    expect(toProblem(err, logger)).toEqual({
      type: "urn:atoll:problem:insufficient-storage",
      title: "Insufficient storage",
      status: 507,
      detail: "The server's storage is full, so nothing was saved. Please try again later.",
    });
    const forPost = err.withDetail("The post was not saved.");
    expect(forPost).toBeInstanceOf(StorageError);
    expect(forPost.store).toBe("media");
    expect(toProblem(forPost, logger)).toMatchObject({ status: 507, detail: "The post was not saved." });
    expect(lines).toEqual([]);
    // Anything else unknown is still a 500.
    expect(toProblem(new Error("boom"), logger)).toMatchObject({ status: 500, type: "urn:atoll:problem:internal" });
  });

  it("is recognised from SQLite and MongoDB codes, and nothing else is", () => {
    for (const code of ["SQLITE_FULL", "ENOSPC", "EDQUOT"]) {
      const e = Object.assign(new Error("database or disk is full"), { code });
      const mapped = sqliteFailure(e);
      expect(mapped, code).toBeInstanceOf(StorageError);
      expect((mapped as StorageError).store).toBe("database");
      expect((mapped as StorageError).cause).toBe(e);
    }
    for (const code of ["SQLITE_BUSY", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_IOERR_READ"]) {
      const e = Object.assign(new Error("x"), { code });
      expect(sqliteFailure(e)).toBe(e);
    }
    expect(mongoFailure(Object.assign(new Error("x"), { code: 14031 }))).toBeInstanceOf(StorageError);
    expect(mongoFailure(Object.assign(new Error("x"), { codeName: "OutOfDiskSpace" }))).toBeInstanceOf(StorageError);
    const other = Object.assign(new Error("x"), { code: 11000 });
    expect(mongoFailure(other)).toBe(other);
  });

  it("reaches the callers of grouped SQLite commits when the database cannot grow", async () => {
    const db = new Database(join(root, "full.db"));
    try {
      db.pragma("journal_mode = WAL");
      db.exec("CREATE TABLE t (v BLOB)");
      const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
      const group = new CommitGroup(db);
      await group.run(() => insert.run(Buffer.alloc(100)));
      // SQLite answers SQLITE_FULL once the file may not grow, as it does when the disk is full.
      db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true })}`);
      const alone = group.run(() => insert.run(Buffer.alloc(64 * 1024)));
      await expect(alone).rejects.toBeInstanceOf(StorageError);
      const together = [
        group.run(() => insert.run(Buffer.alloc(10))),
        group.run(() => insert.run(Buffer.alloc(64 * 1024))),
      ];
      const outcomes = await Promise.allSettled(together);
      expect(outcomes.map((o) => o.status)).toContain("rejected");
      for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toBeInstanceOf(StorageError);
    } finally {
      db.close();
    }
  });

  const cannotMount = mountProblem();
  it.skipIf(cannotMount !== null)(
    `reaches the media store's callers from a full file system${cannotMount ? ` (skipped: ${cannotMount})` : ""}`,
    async () => {
      const dir = join(root, "tiny");
      expect(mountTmpfs(dir, "size=64k")).toBeNull();
      try {
        const media = new FsMediaStore(dir);
        const err = await media.put(Buffer.alloc(256 * 1024, 7)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StorageError);
        expect((err as StorageError).store).toBe("media");
        expect((err as StorageError).message).toContain("ENOSPC");
        // Nothing of the blob is left: no temp file, no partial blob.
        const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
        expect(files.map((f) => f.name)).toEqual([]);
        // Small blobs still fit.
        expect(await media.put(Buffer.from("small"))).toMatch(/^[0-9a-f]{64}$/);
      } finally {
        unmount(dir);
      }
    },
  );
});
