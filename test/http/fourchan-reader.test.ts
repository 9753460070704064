import { createHash } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/** Waits until the clock is in a later second than `ms`, so a change after it moves a date in seconds. */
async function nextSecond(ms = Date.now()): Promise<void> {
  const wait = 1000 - (ms % 1000) + 20 + Math.max(0, ms - Date.now());
  await new Promise((resolve) => setTimeout(resolve, wait));
}

type Json = Record<string, unknown>;
type Page = { page: number; threads: Json[] };

/**
 * Reads the board the way a 4chan API client does (4chan/4chan-API's documentation): boards.json,
 * threads.json and the catalog by page, thread JSON post by post, files by `tim`, and a thread
 * watcher's If-Modified-Since loop.
 */
describe("a 4chan API reader", () => {
  let t: TestInstance;
  let jpeg: Buffer;
  const api = () => request(t.app);

  const reply = async (thread: number, fields: Record<string, string>, file?: Buffer) => {
    let req = api().post(`/api/v1/boards/b/threads/${thread}/replies`);
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    if (file) req = req.attach("file", file, { filename: "photo.jpg", contentType: "image/jpeg" });
    const res = await req;
    expect(res.status).toBe(201);
    return res.body.no as number;
  };

  const threadEntry = async (no: number): Promise<Json> => {
    const res = await api().get("/b/threads.json");
    expect(res.status).toBe(200);
    const entry = (res.body as Page[]).flatMap((p) => p.threads).find((e) => e["no"] === no);
    expect(entry).toBeDefined();
    return entry!;
  };

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://atoll.test" });
    await t.services.boards.create({
      uri: "b",
      title: "Random",
      description: "Anything goes",
      settings: { maxThreads: 25, threadsPerPage: 10, bumpLimit: 3 },
    });
    await t.services.boards.create({ uri: "t", title: "Text", settings: { requireImageForThread: false } });
    await t.services.boards.create({ uri: "big", title: "Big", settings: { maxThreads: 400, threadsPerPage: 15 } });
    jpeg = await makeJpeg(640, 480);
  });
  afterAll(() => t.stop());

  it("lists boards with 4chan's fields, `pages` being the board's capacity", async () => {
    const res = await api().get("/boards.json");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    const b = (res.body.boards as Json[]).find((x) => x["board"] === "b");
    expect(b).toEqual({
      board: "b",
      title: "Random",
      ws_board: 1,
      per_page: 10,
      pages: 3,
      max_filesize: expect.any(Number),
      max_webm_filesize: expect.any(Number),
      max_comment_chars: expect.any(Number),
      max_webm_duration: expect.any(Number),
      bump_limit: 3,
      image_limit: expect.any(Number),
      cooldowns: { threads: expect.any(Number), replies: expect.any(Number), images: expect.any(Number) },
      meta_description: "Anything goes",
      spoilers: 1,
      is_archived: 1,
    });
    // an empty board with the default settings: 150 threads at 10 a page
    const text = (res.body.boards as Json[]).find((x) => x["board"] === "t");
    expect(text?.["pages"]).toBe(15);
    // however many that makes: every live thread is on one of them
    const big = (res.body.boards as Json[]).find((x) => x["board"] === "big");
    expect(big?.["pages"]).toBe(27);
  });

  it("serves threads, the catalog and thread JSON with the documented fields and types", async () => {
    const before = Date.now();
    const op = await api()
      .post("/api/v1/boards/b/threads")
      .field("sub", "Reader thread")
      .field("com", "hello readers")
      .attach("file", jpeg, { filename: "holiday.photo.jpg", contentType: "image/jpeg" });
    expect(op.status).toBe(201);
    const no = op.body.no as number;
    const r1 = await reply(no, { com: "first" }, jpeg);
    const r2 = await reply(no, { com: "second" }, jpeg);

    const entry = await threadEntry(no);
    expect(Object.keys(entry).sort()).toEqual(["last_modified", "no", "replies"]);
    expect(entry["replies"]).toBe(2);
    expect(String(entry["last_modified"])).toMatch(/^[0-9]{10}$/);

    const pages = (await api().get("/b/threads.json")).body as Page[];
    expect(pages[0]?.page).toBe(1);

    const catalog = (await api().get("/b/catalog.json")).body as Page[];
    const listed = catalog.flatMap((p) => p.threads).find((x) => x["no"] === no);
    expect(listed).toMatchObject({ no, resto: 0, sub: "Reader thread", replies: 2, images: 2 });
    expect(listed?.["last_modified"]).toBe(entry["last_modified"]);
    expect(((listed?.["last_replies"] ?? []) as Json[]).map((p) => p["no"])).toEqual([r1, r2]);

    const thread = await api().get(`/b/thread/${no}.json`);
    expect(thread.status).toBe(200);
    const posts = thread.body.posts as Json[];
    expect(posts.map((p) => p["no"])).toEqual([no, r1, r2]);
    const tims = new Set<number>();
    for (const p of posts) {
      expect(String(p["tim"])).toMatch(/^[0-9]{13}$/);
      expect(p["tim"] as number).toBeGreaterThanOrEqual(before);
      expect(p["tim"] as number).toBeLessThan(Date.now() + 1000);
      tims.add(p["tim"] as number);
      expect(String(p["time"])).toMatch(/^[0-9]{10}$/);
      expect(Math.abs((p["time"] as number) - Math.floor((p["tim"] as number) / 1000))).toBeLessThanOrEqual(2);
      expect(p["md5"]).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(p["ext"]).toBe(".jpg");
      expect(p["filename"]).not.toMatch(/\.jpg$/);
      expect(p).toMatchObject({ w: 640, h: 480, fsize: expect.any(Number) });
      expect(p["tn_w"] as number).toBeGreaterThan(0);
      expect(p["tn_w"] as number).toBeLessThanOrEqual(250);
      expect(p["tn_h"] as number).toBeLessThanOrEqual(250);
      expect(p["now"]).toMatch(/^[0-9]{2}\/[0-9]{2}\/[0-9]{2}\([A-Z][a-z]{2}\)[0-9]{2}:[0-9]{2}:[0-9]{2}$/);
    }
    expect(tims.size).toBe(3);
    const [first, ...rest] = posts;
    expect(first).toMatchObject({ resto: 0, replies: 2, images: 2, filename: "holiday.photo", sub: "Reader thread" });
    expect(first?.["last_modified"]).toBe(entry["last_modified"]);
    for (const p of rest) {
      expect(p["resto"]).toBe(no);
      expect(p).not.toHaveProperty("replies");
      expect(p).not.toHaveProperty("images");
    }

    // the file and its thumbnail, by tim, with the md5 the post names
    const file = await api().get(`/media/b/${first?.["tim"]}.jpg`);
    expect(file.status).toBe(200);
    expect(file.headers["content-type"]).toBe("image/jpeg");
    expect(createHash("md5").update(file.body).digest("base64")).toBe(first?.["md5"]);
    expect(file.body.length).toBe(first?.["fsize"]);
    const thumb = await api().get(`/media/b/${first?.["tim"]}s.jpg`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers["content-type"]).toBe("image/jpeg");
  });

  it("moves last_modified for a sage reply and one past the bump limit, as a watcher needs", async () => {
    const op = await api().post("/api/v1/boards/b/threads").field("com", "watch me").attach("file", jpeg, {
      filename: "w.jpg",
      contentType: "image/jpeg",
    });
    const no = op.body.no as number;
    const other = await api().post("/api/v1/boards/b/threads").field("com", "newer").attach("file", jpeg, {
      filename: "n.jpg",
      contentType: "image/jpeg",
    });
    await nextSecond();

    // the watcher's first reads, then its conditional ones
    const list = await api().get("/b/threads.json");
    const listDate = list.headers["last-modified"] as string;
    expect(Date.parse(listDate)).toBeGreaterThan(0);
    expect(list.headers["etag"]).toMatch(/^"/);
    expect((await api().get("/b/threads.json").set("If-Modified-Since", listDate)).status).toBe(304);
    const thread = await api().get(`/b/thread/${no}.json`);
    const threadDate = thread.headers["last-modified"] as string;
    expect((await api().get(`/b/thread/${no}.json`).set("If-Modified-Since", threadDate)).status).toBe(304);
    expect((await api().get(`/b/thread/${no}.json`).set("If-None-Match", String(thread.headers["etag"]))).status).toBe(
      304,
    );
    const seen = (await threadEntry(no))["last_modified"] as number;

    const sage = await reply(no, { com: "quiet", email: "sage" });
    const moved = await threadEntry(no);
    expect(moved["last_modified"] as number).toBeGreaterThan(seen);
    expect(moved["replies"]).toBe(1);
    // the sage reply did not bump: the newer thread still comes first
    const order = ((await api().get("/b/threads.json")).body as Page[]).flatMap((p) => p.threads).map((e) => e["no"]);
    expect(order.indexOf(other.body.no)).toBeLessThan(order.indexOf(no));
    const relist = await api().get("/b/threads.json").set("If-Modified-Since", listDate);
    expect(relist.status).toBe(200);
    const refetch = await api().get(`/b/thread/${no}.json`).set("If-Modified-Since", threadDate);
    expect(refetch.status).toBe(200);
    expect((refetch.body.posts as Json[]).map((p) => p["no"])).toContain(sage);

    // bumpLimit is 3: two more replies reach it, the next is past it
    await reply(no, { com: "two" });
    await reply(no, { com: "three" });
    await nextSecond();
    const atLimit = await threadEntry(no);
    const dated = (await api().get(`/b/thread/${no}.json`)).headers["last-modified"] as string;
    const past = await reply(no, { com: "past the limit" });
    const after = await threadEntry(no);
    expect(after["last_modified"] as number).toBeGreaterThan(atLimit["last_modified"] as number);
    const op2 = ((await api().get(`/b/thread/${no}.json`)).body.posts as Json[])[0];
    expect(op2).toMatchObject({ bumplimit: 1, replies: 4 });
    const again = await api().get(`/b/thread/${no}.json`).set("If-Modified-Since", dated);
    expect(again.status).toBe(200);
    expect((again.body.posts as Json[]).map((p) => p["no"])).toContain(past);
  });

  it("moves last_modified for a deletion, sticky, lock and archiving", async () => {
    const op = await api().post("/api/v1/boards/b/threads").field("com", "flags").attach("file", jpeg, {
      filename: "f.jpg",
      contentType: "image/jpeg",
    });
    const no = op.body.no as number;
    const gone = await reply(no, { com: "to delete", password: "pw" });
    const changes: Array<() => Promise<unknown>> = [
      async () => {
        const res = await api().delete(`/api/v1/boards/b/posts/${gone}`).send({ password: "pw" });
        expect(res.status).toBe(204);
      },
      () => t.services.store.posts.setThreadFlags("b", no, { sticky: true }),
      () => t.services.store.posts.setThreadFlags("b", no, { locked: true }),
    ];
    for (const change of changes) {
      await nextSecond();
      const before = (await threadEntry(no))["last_modified"] as number;
      const page = await api().get(`/b/thread/${no}`);
      await change();
      expect((await threadEntry(no))["last_modified"] as number).toBeGreaterThan(before);
      const conditional = await api()
        .get(`/b/thread/${no}`)
        .set("If-Modified-Since", String(page.headers["last-modified"]));
      expect(conditional.status).toBe(200);
    }
    await nextSecond();
    const archive = await api().get("/b/archive.json");
    await t.services.store.posts.setThreadFlags("b", no, { archived: true });
    const after = await api().get("/b/archive.json").set("If-Modified-Since", String(archive.headers["last-modified"]));
    expect(after.status).toBe(200);
    expect(after.body).toContain(no);
    const json = await api().get(`/b/thread/${no}.json`);
    expect(json.body.posts[0]).toMatchObject({ archived: 1, closed: 1, sticky: 1 });
    expect(json.body.posts[0].last_modified).toBeGreaterThanOrEqual(json.body.posts[0].archived_on);
  });

  it("dates every page and JSON document and answers conditional requests with 304", async () => {
    const op = await api().post("/api/v1/boards/b/threads").field("com", "dated").attach("file", jpeg, {
      filename: "d.jpg",
      contentType: "image/jpeg",
    });
    const no = op.body.no as number;
    await nextSecond();
    const paths = [
      "/",
      "/boards.json",
      "/b/",
      "/b/catalog",
      "/b/archive",
      `/b/thread/${no}`,
      "/b/catalog.json",
      "/b/threads.json",
      "/b/1.json",
      "/b/archive.json",
      `/b/thread/${no}.json`,
      "/b/index.rss",
      `/b/thread/${no}.rss`,
    ];
    for (const path of paths) {
      const res = await api().get(path);
      expect(res.status, path).toBe(200);
      const modified = res.headers["last-modified"] as string | undefined;
      expect(modified, path).toMatch(/GMT$/);
      expect(Date.parse(modified!), path).toBeLessThanOrEqual(Date.now());
      expect(res.headers["etag"], path).toMatch(/^"/);
      expect((await api().get(path).set("If-Modified-Since", modified!)).status, path).toBe(304);
      expect((await api().get(path).set("If-None-Match", String(res.headers["etag"]))).status, path).toBe(304);
      expect((await api().get(path).set("If-None-Match", `W/${res.headers["etag"]}`)).status, path).toBe(304);
      // an older date, or another tag, gets the document
      const older = new Date(Date.parse(modified!) - 1000).toUTCString();
      expect((await api().get(path).set("If-Modified-Since", older)).status, path).toBe(200);
      const otherTag = api().get(path).set("If-None-Match", '"other"').set("If-Modified-Since", modified!);
      expect((await otherTag).status, path).toBe(200);
    }
  });
});
