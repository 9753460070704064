import { createHash } from "node:crypto";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { makeJpeg, makePng, startTestInstance, type TestInstance } from "../support/instance.js";

/* Several files per post: the form and the API, the board's maxFiles, media bans, reading, deletion. */

const TOKEN = "f".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

async function mediaCount(instance: TestInstance): Promise<number> {
  let n = 0;
  for await (const _ of instance.services.media.list()) n++;
  return n;
}

describe("several files per post", () => {
  let instance: TestInstance;
  let images: Buffer[];

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B", settings: { maxFiles: 3 } });
    images = [await makeJpeg(160, 120), await makePng(), await makeJpeg(90, 200)];
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("takes three images from the web form and shows them all, each in the 4chan JSON", async () => {
    const api = request(instance.app);
    const form = await api
      .post("/b/post")
      .field("com", "three")
      .attach("file", images[0]!, "one.jpg")
      .attach("file", images[1]!, "two.png")
      .attach("file", images[2]!, "three.jpg");
    expect(form.status).toBe(303);
    const no = Number(/(\d+)$/.exec(form.headers.location ?? "")?.[1]);

    const json = await api.get(`/b/thread/${no}.json`).expect(200);
    const op = json.body.posts[0];
    expect(op).toMatchObject({ filename: "one", ext: ".jpg", w: 160, h: 120 });
    expect(op.extra_files).toHaveLength(2);
    expect(op.extra_files.map((f: { filename: string; ext: string }) => f.filename + f.ext)).toEqual([
      "two.png",
      "three.jpg",
    ]);
    for (const f of op.extra_files) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(["tim", "ext", "fsize", "md5", "w", "h", "tn_w", "tn_h"]));
      expect(f.tim).toBeGreaterThan(op.tim);
      expect((await api.get(`/media/b/${f.tim}${f.ext}`)).status).toBe(200);
      expect((await api.get(`/media/b/${f.tim}s.jpg`)).status).toBe(200);
    }
    expect(op.extra_files[1]).toMatchObject({ w: 90, h: 200 });

    const page = await api.get(`/b/thread/${no}`).expect(200);
    expect(page.text).toContain('class="files"');
    expect(page.text.match(/class="file-thumb/g)).toHaveLength(3);
    for (const name of ["one.jpg", "two.png", "three.jpg"]) expect(page.text).toContain(name);
    expect(page.text).toMatch(/<input id="f-file" type="file" name="file"[^>]* multiple/);

    const note = await api.get(`/b/thread/${no}`).set("Accept", "application/activity+json").expect(200);
    const doc = JSON.parse(note.text);
    expect(doc.attachment).toHaveLength(3);
    expect(doc.attachment.map((a: { mediaType: string }) => a.mediaType)).toEqual([
      "image/jpeg",
      "image/png",
      "image/jpeg",
    ]);
  });

  it("takes several files through the posting API, as multipart or as a JSON list", async () => {
    const api = request(instance.app);
    const multipart = await api
      .post("/api/v1/boards/b/threads")
      .field("com", "api")
      .attach("file", images[0]!, "a.jpg")
      .attach("file", images[1]!, "b.png")
      .attach("file", images[2]!, "c.jpg");
    expect(multipart.status).toBe(201);
    const reply = await api.post(`/api/v1/boards/b/threads/${multipart.body.no}/replies`).send({
      com: "json",
      file: images.slice(0, 2).map((b, i) => ({ name: `j${i}.jpg`, data: b.toString("base64") })),
    });
    expect(reply.status).toBe(201);
    const posts = await instance.services.store.posts.getThreadPosts("b", multipart.body.no);
    expect(posts.map((p) => 1 + p.extraFiles.length)).toEqual([3, 2]);
    expect((await instance.services.store.posts.getThread("b", multipart.body.no))?.imageCount).toBe(1);
  });

  it("refuses more than maxFiles with a clear 4xx, writing nothing", async () => {
    const api = request(instance.app);
    const before = await mediaCount(instance);
    let req = api.post("/api/v1/boards/b/threads").field("com", "too many");
    for (let i = 0; i < 4; i++) req = req.attach("file", images[i % 3]!, `f${i}.jpg`);
    const res = await req;
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("at most 3 files");
    const form = await api
      .post("/b/post")
      .field("com", "too many")
      .attach("file", images[0]!, "1.jpg")
      .attach("file", images[1]!, "2.png")
      .attach("file", images[2]!, "3.jpg")
      .attach("file", images[0]!, "4.jpg");
    expect(form.status).toBe(400);
    expect(form.text).toContain("at most 3 files");
    const json = await api.post("/api/v1/boards/b/threads").send({
      com: "too many",
      file: [0, 1, 2, 0].map((i) => images[i]!.toString("base64")),
    });
    expect(json.status).toBe(400);
    expect(await instance.services.store.posts.countPosts()).toBe(0);
    expect(await mediaCount(instance)).toBe(before);
  });

  it("refuses the whole post when its second file is banned or broken, storing none of them", async () => {
    const api = request(instance.app);
    const sha = createHash("sha256").update(images[1]!).digest("hex");
    await api.post("/api/v1/admin/media_bans").set(auth).send({ sha256: sha }).expect(201);
    const banned = await api
      .post("/api/v1/boards/b/threads")
      .field("com", "banned second")
      .attach("file", images[0]!, "fine.jpg")
      .attach("file", images[1]!, "bad.png");
    expect(banned.status).toBe(403);
    const broken = await api
      .post("/api/v1/boards/b/threads")
      .field("com", "broken second")
      .attach("file", images[0]!, "fine.jpg")
      .attach("file", Buffer.from("not an image at all"), "junk.jpg");
    expect(broken.status).toBeGreaterThanOrEqual(400);
    expect(broken.status).toBeLessThan(500);
    expect(broken.body.error).toContain('"junk.jpg"');
    expect(await instance.services.store.posts.countPosts()).toBe(0);
    expect(await mediaCount(instance)).toBe(0);
  });

  it("deletes one file of several by tim; the rest stay and are served", async () => {
    const api = request(instance.app);
    const res = await api
      .post("/api/v1/boards/b/threads")
      .field("com", "delete one")
      .attach("file", images[0]!, "a.jpg")
      .attach("file", images[1]!, "b.png")
      .attach("file", images[2]!, "c.jpg");
    const posts = instance.services.store.posts;
    const post = (await posts.getPost("b", res.body.no))!;
    const middle = post.extraFiles[0]!;
    const { orphans, post: after } = await posts.deleteFile("b", post.no, middle.tim);
    await instance.services.posting.removeBlobs(orphans);
    expect(after?.extraFiles.map((f) => f.tim)).toEqual([post.extraFiles[1]!.tim]);
    expect((await api.get(`/media/b/${middle.tim}${middle.ext}`)).status).toBe(404);
    expect((await api.get(`/media/b/${post.file!.tim}${post.file!.ext}`)).status).toBe(200);
    const json = await api.get(`/b/thread/${post.no}.json`).expect(200);
    expect(json.body.posts[0].extra_files).toHaveLength(1);
    expect(await mediaCount(instance)).toBe(4);
  });
  it("lets staff delete the second of three files from the post's staff page; the JSON keeps the other two", async () => {
    await instance.services.staff.createUser("mod", "a long enough password", "admin", []);
    const api = request(instance.app);
    const res = await api
      .post("/api/v1/boards/b/threads")
      .field("com", "staff removes one")
      .attach("file", images[0]!, "one.jpg")
      .attach("file", images[1]!, "two.png")
      .attach("file", images[2]!, "three.jpg");
    const no = res.body.no as number;
    const before = (await api.get(`/b/thread/${no}.json`).expect(200)).body.posts[0];
    const second = before.extra_files[0];

    const { agent } = await signIn(instance.app, "mod", "a long enough password");
    const page = await agent.get(`/admin/threads?board=b&no=${no}`).expect(200);
    expect(page.text).toContain("Delete file 2 (two.png)");
    expect(page.text).toContain(`name="tim" value="${second.tim}"`);
    const del = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ csrf: csrfOf(page.text), back: "/admin/threads", board: "b", no: String(no), tim: String(second.tim) });
    expect(del.status).toBe(303);
    expect(del.headers["location"]).toContain("ok=file_deleted");

    const after = (await api.get(`/b/thread/${no}.json`).expect(200)).body.posts[0];
    expect([after.filename, ...after.extra_files.map((f: { filename: string }) => f.filename)]).toEqual([
      "one",
      "three",
    ]);
    expect(after.tim).toBe(before.tim);
    expect((await api.get(`/media/b/${second.tim}${second.ext}`)).status).toBe(404);

    // The admin API names a file the same way; a malformed or unknown one is a clear 4xx.
    const bad = await api.delete(`/api/v1/admin/boards/b/posts/${no}?tim=abc`).set(auth);
    expect(bad.status).toBe(400);
    const unknown = await api.delete(`/api/v1/admin/boards/b/posts/${no}?tim=${second.tim}`).set(auth);
    expect(unknown.status).toBe(404);
    const third = after.extra_files[0];
    expect((await api.delete(`/api/v1/admin/boards/b/posts/${no}`).query({ tim: third.tim }).set(auth)).status).toBe(
      204,
    );
    const last = (await api.get(`/b/thread/${no}.json`).expect(200)).body.posts[0];
    expect(last.filename).toBe("one");
    expect(last.extra_files ?? []).toEqual([]);
  });
});
