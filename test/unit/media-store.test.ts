import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buffer } from "node:stream/consumers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FsMediaStore } from "../../storage/media/fs-media-store.js";
import { ABANDONED_AFTER_MS, localHost, tempName } from "../../storage/media/temp-files.js";

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const a of iterable) out.push(a);
  return out;
}

/** Every file under `dir`, relative to it. */
function walk(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), root) : [relative(root, join(dir, e.name))],
  );
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

// What every media store does (reads, spans, absent blobs, deletion, listing) is in
// test/contract/media-store.contract.ts, run on this store too; here is what is the file system's own.
describe("FsMediaStore", () => {
  let dir: string;
  let media: FsMediaStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atoll-media-"));
    media = new FsMediaStore(join(dir, "media"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("stores a blob under its sha256 and reads it back with its size", async () => {
    const data = Buffer.from("a small image, or close enough");
    const address = await media.put(data);
    expect(address).toBe(sha(data));
    expect(statSync(join(dir, "media", address.slice(0, 2), address.slice(2, 4), address)).isFile()).toBe(true);
    expect(await media.has(address)).toBe(true);
    const blob = await media.open(address);
    expect(blob?.size).toBe(data.length);
    expect(await buffer(blob!.stream)).toEqual(data);
  });

  it("is idempotent: putting the same bytes again keeps one file", async () => {
    const data = Buffer.from("same bytes");
    const first = await media.put(data);
    const again = await Promise.all([media.put(data), media.put(Buffer.from(data)), media.put(data)]);
    expect(again).toEqual([first, first, first]);
    expect(walk(join(dir, "media"))).toEqual([join(first.slice(0, 2), first.slice(2, 4), first)]);
  });

  it("leaves no temp files behind", async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => media.put(Buffer.from(`blob ${i % 7}`))));
    const files = walk(join(dir, "media"));
    expect(files).toHaveLength(7);
    expect(files.every((f) => /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(f))).toBe(true);
  });

  it("refuses anything but 64 lowercase hex digits before touching the file system", async () => {
    const outside = join(dir, "secret");
    writeFileSync(outside, "do not read");
    const bad = [
      "../secret",
      "../../secret",
      `${"a".repeat(63)}/`,
      "A".repeat(64),
      "g".repeat(64),
      "a".repeat(63),
      "a".repeat(65),
      "",
      `${"a".repeat(64)}\0`,
      { toString: () => "a".repeat(64) },
    ];
    for (const address of bad) {
      await expect(media.open(address as string)).rejects.toMatchObject({ name: "DomainError", kind: "invalid" });
      await expect(media.has(address as string)).rejects.toMatchObject({ kind: "invalid" });
      await expect(media.delete(address as string)).rejects.toMatchObject({ kind: "invalid" });
    }
    expect(statSync(outside).isFile()).toBe(true);
  });

  it("lists every stored address and ignores temp files and strays", async () => {
    expect(await collect(media.list())).toEqual([]);
    const addresses = await Promise.all(["one", "two", "three"].map((s) => media.put(Buffer.from(s))));
    const a = addresses[0]!;
    const folder = join(dir, "media", a.slice(0, 2), a.slice(2, 4));
    writeFileSync(join(folder, `.tmp-${a}-abc`), "half written");
    writeFileSync(join(folder, "notes.txt"), "stray");
    // a valid-looking name in the wrong folder is not a blob of this store
    writeFileSync(join(folder, "f".repeat(64)), "misplaced");
    await mkdir(join(dir, "media", "zz"), { recursive: true });
    expect((await collect(media.list())).sort()).toEqual([...addresses].sort());
  });

  it("runs two stores on two directories side by side", async () => {
    const other = new FsMediaStore(join(dir, "other"));
    const address = await media.put(Buffer.from("only here"));
    expect(await other.has(address)).toBe(false);
    expect(await collect(other.list())).toEqual([]);
  });
});

describe("FsMediaStore temp files of interrupted writes", () => {
  let dir: string;
  let media: FsMediaStore;
  let folder: string;
  const host = localHost();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "atoll-media-temp-"));
    media = new FsMediaStore(join(dir, "media"));
    folder = join(dir, "media", "ab", "cd");
    await mkdir(folder, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A temp file as a writer names it, last written `ageMs` ago. */
  const temp = (name: string, ageMs = 0) => {
    writeFileSync(join(folder, name), "half written");
    const at = new Date(Date.now() - ageMs);
    utimesSync(join(folder, name), at, at);
    return name;
  };

  /** The id of a process that ran on this machine and has exited. */
  const deadPid = () => {
    const run = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    return Number(run.stdout);
  };

  it("names each temp file after its writer's machine and process", async () => {
    expect(tempName()).toMatch(new RegExp(`^\\.tmp-${host.replace(/\./g, "\\.")}-${process.pid}-[0-9a-f]{12}$`));
    expect(tempName()).not.toBe(tempName());
    await media.put(Buffer.from("whole"));
    expect(walk(join(dir, "media")).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("removes those of dead writers and old ones, and keeps those live writers are writing", async () => {
    const live = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    try {
      const gone = [
        temp(tempName(host, deadPid())),
        // This process's id, but not a file it is writing: a previous process had the same id.
        temp(tempName(host, process.pid)),
        temp(tempName("elsewhere.example", 4242), ABANDONED_AFTER_MS + 60_000),
        temp(tempName(host, live.pid!), ABANDONED_AFTER_MS + 60_000),
        temp(".tmp-0123abcd-legacy", ABANDONED_AFTER_MS + 60_000),
      ];
      const kept = [
        temp(tempName(host, live.pid!)),
        // Another machine's writer on a shared volume cannot be asked: only age counts.
        temp(tempName("elsewhere.example", 4242)),
        temp(".tmp-0123abcd-legacy-recent"),
      ];
      expect(await media.removeAbandonedTemps()).toBe(gone.length);
      expect(readdirSync(folder).sort()).toEqual(kept.sort());
      expect(await media.removeAbandonedTemps()).toBe(0);
    } finally {
      live.kill();
    }
  });

  it("leaves blobs and other files alone", async () => {
    const a = await media.put(Buffer.from("kept"));
    writeFileSync(join(folder, "stray.txt"), "");
    temp(tempName(host, deadPid()));
    expect(await media.removeAbandonedTemps()).toBe(1);
    expect(await collect(media.list())).toEqual([a]);
    expect(readdirSync(folder)).toEqual(["stray.txt"]);
  });
});
