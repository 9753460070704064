import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { StorageError } from "../../server/domain/errors.js";
import { createLogger } from "../../server/services/logger.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import { mountProblem, mountTmpfs, unmount } from "../support/mounts.js";

vi.setConfig({ testTimeout: 120_000 });

const cannotMount = mountProblem();

/** Writes `path` until the file system refuses: then it is full, to the last page. */
function fill(path: string): void {
  const fd = openSync(path, "w");
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Every file under the media folder: blobs, and temp files should any be left. */
function mediaFiles(dataDir: string): string[] {
  const media = join(dataDir, "media");
  return readdirSync(media, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

function imageForm(com: string, image: Buffer): FormData {
  const form = new FormData();
  form.set("com", com);
  form.set("file", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "photo.jpg");
  return form;
}

describe.skipIf(cannotMount !== null)(
  `a full disk under DATA_DIR${cannotMount === null ? "" : ` (skipped: ${cannotMount})`}`,
  () => {
    let dataDir: string;
    let t: TestInstance;
    const lines: string[] = [];

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "atoll-full-disk-"));
      expect(mountTmpfs(dataDir, "size=24m")).toBeNull();
      t = await startTestInstance({}, { dataDir, listen: true, logger: createLogger("warn", (l) => lines.push(l)) });
      await t.services.boards.create({ uri: "b", title: "Random" });
    });

    afterAll(async () => {
      await t?.stop();
      unmount(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    });

    it("answers 507, leaves no files of the failed posts, serves reads, and posts again once space is free", async () => {
      const first = await fetch(`${t.url}/api/v1/boards/b/threads`, {
        method: "POST",
        body: imageForm("before the disk filled", await makeJpeg(640, 480)),
      });
      expect(first.status).toBe(201);
      const { no: op } = (await first.json()) as { no: number };
      // What the post set going in the background (its announcement) is done before the disk fills.
      await t.federation.publisher?.idle();
      const before = mediaFiles(dataDir);
      expect(before).toHaveLength(2);

      const filler = join(dataDir, "filler");
      fill(filler);

      // An image reply through the API: the media store is full.
      const api = await fetch(`${t.url}/api/v1/boards/b/threads/${op}/replies`, {
        method: "POST",
        body: imageForm("with an image", await makeJpeg(800, 600)),
      });
      expect(api.status).toBe(507);
      expect(api.headers.get("content-type")).toMatch(/^application\/json; charset=utf-8/);
      const problem = (await api.json()) as Record<string, unknown>;
      expect(problem).toMatchObject({
        type: "urn:atoll:problem:insufficient-storage",
        title: "Insufficient storage",
        status: 507,
      });
      expect(problem["detail"]).toMatch(/storage is full.*not saved/);

      // A text reply: nothing for the media store, and the database cannot grow either.
      const text = await fetch(`${t.url}/api/v1/boards/b/threads/${op}/replies`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ com: "only text" }),
      });
      expect(text.status).toBe(507);

      // A new thread from the web form: a readable page.
      const page = await fetch(`${t.url}/b/post`, {
        method: "POST",
        headers: { accept: "text/html" },
        body: imageForm("from the form", await makeJpeg(700, 500)),
      });
      expect(page.status).toBe(507);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await page.text();
      expect(html).toContain("Insufficient storage");
      expect(html).toContain("was not saved");

      // A post from the fediverse fails as our storage failing, not as a refusal to ignore.
      const remote = await t.services.posting
        .createRemote({
          board: "b",
          threadNo: op,
          name: "alice@remote.example",
          subject: null,
          comment: "from afar",
          apId: "https://remote.example/notes/1",
          fediActor: "https://remote.example/users/alice",
          images: [{ buffer: await makeJpeg(900, 700), originalName: "far.jpg" }],
        })
        .catch((e: unknown) => e);
      expect(remote).toBeInstanceOf(StorageError);

      // Nothing of the failed posts is left, temp files included; reads are served as before.
      expect(mediaFiles(dataDir)).toEqual(before);
      for (const path of [`/b/thread/${op}.json`, `/b/thread/${op}`, "/b/catalog.json", "/b/", "/readyz"]) {
        expect((await fetch(`${t.url}${path}`)).status, path).toBe(200);
      }
      const thread = (await (await fetch(`${t.url}/b/thread/${op}.json`)).json()) as {
        posts: Array<{ tim: number }>;
      };
      expect(thread.posts).toHaveLength(1);
      expect((await fetch(`${t.url}/media/b/${thread.posts[0]?.tim}.jpg`)).status).toBe(200);

      // Each failure is logged as an error naming what was full.
      const errors = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["level"] === "error");
      expect(errors.map((e) => e["msg"])).toEqual([
        "post not saved: the media storage is full",
        "post not saved: the database is full",
        "post not saved: the media storage is full",
        "post not saved: the media storage is full",
      ]);

      // Space again: posting works.
      rmSync(filler);
      const again = await fetch(`${t.url}/api/v1/boards/b/threads/${op}/replies`, {
        method: "POST",
        body: imageForm("after space was freed", await makeJpeg(800, 600)),
      });
      expect(again.status).toBe(201);
      const textAgain = await fetch(`${t.url}/api/v1/boards/b/threads/${op}/replies`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ com: "only text, again" }),
      });
      expect(textAgain.status).toBe(201);
      expect(mediaFiles(dataDir)).toHaveLength(4);
    });

    it("removes the thumbnail it stored when the original could not be", async () => {
      const board = await t.services.store.boards.get("b");
      const image = await makeJpeg(1000, 750);
      // The blobs this upload becomes, to fill the disk under the original's folder only.
      const processed = await t.services.images.process(image, { ...board!.settings, op: true });
      const sha = createHash("sha256").update(processed.original).digest("hex");
      const thumb = createHash("sha256").update(processed.thumb).digest("hex");
      const folder = join(dataDir, "media", sha.slice(0, 2), sha.slice(2, 4));
      mkdirSync(folder, { recursive: true });
      expect(mountTmpfs(folder, "size=4k")).toBeNull();
      try {
        fill(join(folder, "filler"));
        const before = mediaFiles(dataDir);
        const res = await fetch(`${t.url}/api/v1/boards/b/threads`, {
          method: "POST",
          body: imageForm("half stored", image),
        });
        expect(res.status).toBe(507);
        // A write still running after the answer would show up a moment later.
        await t.services.posting.drain(10_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(mediaFiles(dataDir)).toEqual(before);
        expect(mediaFiles(dataDir)).not.toContain(thumb);
      } finally {
        unmount(folder);
      }
      const res = await fetch(`${t.url}/api/v1/boards/b/threads`, { method: "POST", body: imageForm("whole", image) });
      expect(res.status).toBe(201);
      expect(mediaFiles(dataDir)).toEqual(expect.arrayContaining([sha, thumb]));
    });
  },
);
