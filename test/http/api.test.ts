import { readdir } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, makePng, startTestInstance, type TestInstance } from "../support/instance.js";

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(e.name);
    }
  };
  await walk(dir);
  return out;
}

/** Mastodon's API paths answer errors as JSON with `error`; the 4chan read API with problem documents. */
function expectProblem(res: request.Response, status: number, detail?: RegExp) {
  expect(res.status).toBe(status);
  const mastodonPath = /^\/api\/v[12]\//.test((res as unknown as { req: { path: string } }).req.path);
  expect(res.headers["content-type"]).toBe(
    mastodonPath ? "application/json; charset=utf-8" : "application/problem+json; charset=utf-8",
  );
  expect(res.body).toMatchObject({
    status,
    title: expect.any(String),
    detail: expect.any(String),
    type: expect.any(String),
  });
  expect(res.body.error).toBe(mastodonPath ? res.body.detail : undefined);
  if (detail) expect(res.body.detail).toMatch(detail);
}

describe("posting and the 4chan-shaped read API", () => {
  let t: TestInstance;
  let jpeg: Buffer;

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://atoll.test" });
    await t.services.boards.create({ uri: "b", title: "Random", description: "Anything goes" });
    await t.services.boards.create({
      uri: "t",
      title: "Text",
      settings: { requireImageForThread: false, posterIds: true },
    });
    jpeg = await makeJpeg(640, 480);
  });
  afterAll(() => t.stop());

  it("creates a thread with an image and serves it in every read shape", async () => {
    const res = await request(t.app)
      .post("/api/v1/boards/b/threads")
      .field("sub", "First thread")
      .field("name", "tester#secret")
      .field("com", ">implying\nhello world")
      .attach("file", jpeg, { filename: "holiday photo.jpg", contentType: "image/jpeg" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ no: 1, url: "http://atoll.test/b/thread/1", ap_id: "http://atoll.test/b/thread/1" });

    const reply = await request(t.app)
      .post("/api/v1/boards/b/threads/1/replies")
      .send({ com: ">>1\nnice", email: "sage" });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ no: 2, url: "http://atoll.test/b/thread/1#p2", ap_id: "http://atoll.test/b/post/2" });

    const thread = await request(t.app).get("/b/thread/1.json");
    expect(thread.status).toBe(200);
    const [op, r] = thread.body.posts;
    expect(op).toMatchObject({
      no: 1,
      resto: 0,
      sub: "First thread",
      name: "tester",
      trip: expect.stringMatching(/^!.{10}$/),
      filename: "holiday photo",
      ext: ".jpg",
      w: 640,
      h: 480,
      replies: 1,
      images: 0,
      semantic_url: "first-thread",
      ap_id: "http://atoll.test/b/thread/1",
    });
    expect(op.com).toBe('<span class="quote">&gt;implying</span><br>hello world');
    expect(op.tn_w).toBeLessThanOrEqual(250);
    expect(op.tn_h).toBeLessThanOrEqual(250);
    expect(op.md5).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(typeof op.tim).toBe("number");
    expect(op.now).toMatch(/^\d\d\/\d\d\/\d\d\(\w{3}\)\d\d:\d\d:\d\d$/);
    expect(r).toMatchObject({ no: 2, resto: 1, name: "Anonymous" });
    expect(r.com).toContain('class="quotelink"');

    // The file and thumbnail are served under MEDIA_URL's path with 4chan's names.
    const file = await request(t.app).get(`/media/b/${op.tim}.jpg`);
    expect(file.status).toBe(200);
    expect(file.headers["content-type"]).toBe("image/jpeg");
    expect(file.headers["x-content-type-options"]).toBe("nosniff");
    expect(file.headers["content-security-policy"]).toContain("sandbox");
    expect(Number(file.headers["content-length"])).toBe(op.fsize);
    const md5 = (await import("node:crypto")).createHash("md5").update(file.body).digest("base64");
    expect(md5).toBe(op.md5);
    const thumb = await request(t.app).get(`/media/b/${op.tim}s.jpg`);
    expect(thumb.status).toBe(200);
    const meta = await sharp(thumb.body).metadata();
    expect([meta.width, meta.height]).toEqual([op.tn_w, op.tn_h]);
    expect((await request(t.app).get(`/media/b/${op.tim}.png`)).status).toBe(404);
    expect((await request(t.app).get(`/media/b/../../etc/passwd`)).status).toBe(404);

    const boards = await request(t.app).get("/boards.json");
    expect(boards.body.boards.map((x: { board: string }) => x.board)).toEqual(["b", "t"]);
    expect(boards.body.boards[0]).toMatchObject({
      board: "b",
      title: "Random",
      bump_limit: 300,
      per_page: 10,
      ws_board: 1,
    });

    const catalog = await request(t.app).get("/b/catalog.json");
    expect(catalog.body[0].page).toBe(1);
    expect(catalog.body[0].threads[0]).toMatchObject({ no: 1, replies: 1, last_replies: [{ no: 2 }] });

    const threads = await request(t.app).get("/b/threads.json");
    expect(threads.body).toEqual([{ page: 1, threads: [{ no: 1, last_modified: expect.any(Number), replies: 1 }] }]);

    const page = await request(t.app).get("/b/1.json");
    expect(page.body.threads[0].posts.map((p: { no: number }) => p.no)).toEqual([1, 2]);
    expect(page.body.threads[0].posts[0]).toMatchObject({ omitted_posts: 0, omitted_images: 0 });
  });

  it("sage does not bump; a normal reply does", async () => {
    const a = await request(t.app).post("/api/v1/boards/t/threads").send({ com: "thread a" });
    const b = await request(t.app).post("/api/v1/boards/t/threads").send({ com: "thread b" });
    expect([a.status, b.status]).toEqual([201, 201]);
    const order = async () =>
      (await request(t.app).get("/t/threads.json")).body[0].threads.map((x: { no: number }) => x.no) as number[];
    expect(await order()).toEqual([b.body.no, a.body.no]);
    await new Promise((r) => setTimeout(r, 5));
    await request(t.app).post(`/api/v1/boards/t/threads/${a.body.no}/replies`).send({ com: "sage", email: "sage" });
    expect(await order()).toEqual([b.body.no, a.body.no]);
    await request(t.app).post(`/api/v1/boards/t/threads/${a.body.no}/replies`).send({ com: "bump" });
    expect(await order()).toEqual([a.body.no, b.body.no]);
    // Poster IDs are on for /t/: the same address gets one ID within a thread.
    const posts = (await request(t.app).get(`/t/thread/${a.body.no}.json`)).body.posts;
    expect(posts[0].id).toMatch(/^[A-Za-z0-9+/]{8}$/);
    expect(new Set(posts.map((p: { id: string }) => p.id)).size).toBe(1);
  });

  it("re-renders cached JSON exactly when the thread changes", async () => {
    const created = await request(t.app).post("/api/v1/boards/t/threads").send({ com: "cache me" });
    const url = `/t/thread/${created.body.no}.json`;
    const first = await request(t.app).get(url);
    const second = await request(t.app).get(url).set("If-None-Match", String(first.headers["etag"]));
    expect(second.status).toBe(304);
    await request(t.app).post(`/api/v1/boards/t/threads/${created.body.no}/replies`).send({ com: "changed" });
    const third = await request(t.app).get(url).set("If-None-Match", String(first.headers["etag"]));
    expect(third.status).toBe(200);
    expect(third.body.posts).toHaveLength(2);
    const gz = await request(t.app).get(url).set("Accept-Encoding", "gzip");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gz.body.posts).toHaveLength(2);
  });

  it("deletes a post with its password, and only with it", async () => {
    const created = await request(t.app).post("/api/v1/boards/t/threads").send({ com: "mine", password: "hunter22" });
    const wrong = await request(t.app).delete(`/api/v1/boards/t/posts/${created.body.no}`).send({ password: "nope" });
    expectProblem(wrong, 403, /password/i);
    const ok = await request(t.app).delete(`/api/v1/boards/t/posts/${created.body.no}`).send({ password: "hunter22" });
    expect(ok.status).toBe(204);
    expect((await request(t.app).get(`/t/thread/${created.body.no}.json`)).status).toBe(404);
  });

  describe("bad input always gets a clear 4xx", () => {
    it("missing fields", async () => {
      expectProblem(await request(t.app).post("/api/v1/boards/b/threads").send({ com: "no image" }), 400, /image/);
      expectProblem(await request(t.app).post("/api/v1/boards/t/threads").send({}), 400, /comment/);
      expectProblem(
        await request(t.app)
          .post("/api/v1/boards/t/threads")
          .send({ com: "42", name: { x: 1 } }),
        400,
        /name/,
      );
    });

    it("an address nothing answers is 404 Not found, for JSON clients and browsers alike", async () => {
      const res = await request(t.app).post("/api/v1/nothing-here").send({});
      expectProblem(res, 404, /nothing at this address/);
      expect(res.body).toMatchObject({ type: "urn:atoll:problem:not-found", title: "Not found" });
      const page = await request(t.app).get("/nothing-here").set("accept", "text/html");
      expect(page.status).toBe(404);
      expect(page.headers["content-type"]).toMatch(/^text\/html/);
    });

    it("unknown boards and threads", async () => {
      expectProblem(await request(t.app).post("/api/v1/boards/nope/threads").send({ com: "x" }), 404, /nope/);
      expectProblem(await request(t.app).post("/api/v1/boards/t/threads/99999/replies").send({ com: "x" }), 404);
      expectProblem(await request(t.app).post("/api/v1/boards/t/threads/abc/replies").send({ com: "x" }), 404);
      expectProblem(await request(t.app).get("/nope/catalog.json"), 404);
      expectProblem(await request(t.app).get("/t/thread/123456.json"), 404);
      expectProblem(await request(t.app).get("/t/99.json"), 404);
    });

    it("oversize bodies and files", async () => {
      const big = "x".repeat(5000);
      expectProblem(await request(t.app).post("/api/v1/boards/t/threads").send({ com: big }), 400, /longer than/);
      await t.services.boards.update("t", { settings: { maxFileSize: 4096 } });
      const res = await request(t.app).post("/api/v1/boards/t/threads").attach("file", jpeg, "big.jpg");
      expectProblem(res, 413, /larger/);
      await t.services.boards.update("t", { settings: { maxFileSize: 8 * 1024 * 1024 } });
    });

    it("wrong and lying file types, broken images and pixel bombs", async () => {
      const text = Buffer.from("just some text, not an image at all");
      expectProblem(
        await request(t.app)
          .post("/api/v1/boards/b/threads")
          .attach("file", text, { filename: "a.png", contentType: "image/png" }),
        415,
      );
      const lying = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.alloc(200, 7),
      ]);
      expectProblem(await request(t.app).post("/api/v1/boards/b/threads").attach("file", lying, "lie.png"), 422);
      const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
      expectProblem(await request(t.app).post("/api/v1/boards/b/threads").attach("file", truncated, "cut.jpg"), 422);
      const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: "#fff" } })
        .png({ compressionLevel: 9 })
        .toBuffer();
      expectProblem(
        await request(t.app).post("/api/v1/boards/b/threads").attach("file", bomb, "bomb.png"),
        422,
        /pixel|large|dimension/i,
      );
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
      expectProblem(
        await request(t.app)
          .post("/api/v1/boards/b/threads")
          .attach("file", svg, { filename: "x.jpg", contentType: "image/jpeg" }),
        415,
      );
    });

    it("path-like file names are shown as text and never used as paths", async () => {
      const png = await makePng();
      const res = await request(t.app)
        .post("/api/v1/boards/b/threads")
        .attach("file", png, "../../../etc/<i>passwd&.png");
      expect(res.status).toBe(201);
      const op = (await request(t.app).get(`/b/thread/${res.body.no}.json`)).body.posts[0];
      expect(op.filename).toBe("<i>passwd&");
      const names = await listFiles(join(t.dataDir, "media"));
      expect(names.every((n) => /^[0-9a-f]{64}$/.test(n))).toBe(true);
    });

    it("a file name in UTF-8 arrives whole, as browsers send it", async () => {
      const png = await makePng();
      const res = await request(t.app).post("/api/v1/boards/b/threads").attach("file", png, "日本語の写真.png");
      expect(res.status).toBe(201);
      const op = (await request(t.app).get(`/b/thread/${res.body.no}.json`)).body.posts[0];
      expect(op.filename).toBe("日本語の写真");
    });

    it("locked and archived threads", async () => {
      const thread = await request(t.app).post("/api/v1/boards/t/threads").send({ com: "to lock" });
      await t.services.store.posts.setThreadFlags("t", thread.body.no, { locked: true });
      expectProblem(
        await request(t.app).post(`/api/v1/boards/t/threads/${thread.body.no}/replies`).send({ com: "x" }),
        423,
        /locked/,
      );
      await t.services.store.posts.setThreadFlags("t", thread.body.no, { locked: false, archived: true });
      expectProblem(
        await request(t.app).post(`/api/v1/boards/t/threads/${thread.body.no}/replies`).send({ com: "x" }),
        423,
        /archived/,
      );
    });

    it("malformed JSON and multipart, and unsupported bodies", async () => {
      const badJson = await request(t.app)
        .post("/api/v1/boards/t/threads")
        .set("Content-Type", "application/json")
        .send('{"com": ');
      expectProblem(badJson, 400, /JSON/);
      const badMultipart = await request(t.app)
        .post("/api/v1/boards/t/threads")
        .set("Content-Type", "multipart/form-data; boundary=XYZ")
        .send('--XYZ\r\nContent-Disposition: form-data; name="com"\r\n\r\nunterminated');
      expectProblem(badMultipart, 400, /malformed/);
      let five = request(t.app).post("/api/v1/boards/t/threads");
      for (const name of ["a", "b", "c", "d", "e"]) five = five.attach("file", jpeg, `${name}.jpg`);
      expectProblem(await five, 400, /at most 4 files/);
      expectProblem(
        await request(t.app).post("/api/v1/boards/t/threads").set("Content-Type", "text/plain").send("hi"),
        415,
      );
      const b64 = await request(t.app).post("/api/v1/boards/t/threads").send({ file: "not base64!!" });
      expectProblem(b64, 400, /base64/);
    });

    it("cross-site form posts are refused", async () => {
      const res = await request(t.app)
        .post("/api/v1/boards/t/threads")
        .set("Origin", "https://evil.example")
        .send({ com: "csrf" });
      expectProblem(res, 403, /Cross-site/);
    });
  });

  it("a failed post leaves no file and skips no number", async () => {
    const before = new Set(await listFiles(join(t.dataDir, "media")));
    const thread = await request(t.app).post("/api/v1/boards/t/threads").send({ com: "image limit" });
    await t.services.boards.update("t", { settings: { imageLimit: 0 } });
    const refused = await request(t.app)
      .post(`/api/v1/boards/t/threads/${thread.body.no}/replies`)
      .attach("file", await makeJpeg(33, 17), "new.jpg");
    expectProblem(refused, 403, /image limit/);
    await t.services.boards.update("t", { settings: { imageLimit: 150 } });
    const after = new Set(await listFiles(join(t.dataDir, "media")));
    expect(after).toEqual(before);
    const next = await request(t.app).post(`/api/v1/boards/t/threads/${thread.body.no}/replies`).send({ com: "next" });
    expect(next.body.no).toBe(thread.body.no + 1);
  });
});

describe("captcha and rate limits", () => {
  let t: TestInstance;
  let now = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    t = await startTestInstance({ CAPTCHA: "on", RATE_LIMIT: "on" }, { clock: () => now });
    await t.services.boards.create({ uri: "q", title: "Q", settings: { requireImageForThread: false } });
  });
  afterAll(() => t.stop());

  const solve = async () => {
    const c = await request(t.app).get("/api/v1/captcha");
    expect(c.body.image).toMatch(/^data:image\/png;base64,/);
    return { captcha_id: c.body.id as string, captcha_answer: t.services.captcha.answerOf(c.body.id) ?? "" };
  };

  it("refuses a missing, wrong, reused or expired captcha", async () => {
    expectProblem(await request(t.app).post("/api/v1/boards/q/threads").send({ com: "hi" }), 400, /captcha/i);
    const c = await solve();
    expectProblem(
      await request(t.app)
        .post("/api/v1/boards/q/threads")
        .send({ com: "hi", ...c, captcha_answer: "zzzzzz" }),
      400,
      /wrong/,
    );
    // The id was spent by the wrong answer.
    expectProblem(
      await request(t.app)
        .post("/api/v1/boards/q/threads")
        .send({ com: "hi", ...c }),
      400,
      /already used/,
    );
    const late = await solve();
    now += 11 * 60 * 1000;
    expectProblem(
      await request(t.app)
        .post("/api/v1/boards/q/threads")
        .send({ com: "hi", ...late }),
      400,
      /expired/,
    );
  });

  it("accepts a solved captcha once and enforces the thread cooldown", async () => {
    const ok = await request(t.app)
      .post("/api/v1/boards/q/threads")
      .send({ com: "hello", ...(await solve()) });
    expect(ok.status).toBe(201);
    const again = await request(t.app)
      .post("/api/v1/boards/q/threads")
      .send({ com: "again", ...(await solve()) });
    expectProblem(again, 429, /wait/);
    expect(Number(again.headers["retry-after"])).toBeGreaterThan(0);
    now += 61_000;
    const later = await request(t.app)
      .post("/api/v1/boards/q/threads")
      .send({ com: "later", ...(await solve()) });
    expect(later.status).toBe(201);
  });
});
