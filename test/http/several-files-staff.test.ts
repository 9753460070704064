import { createHash } from "node:crypto";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { makeJpeg, makePng, startTestInstance, type TestInstance } from "../support/instance.js";

/* Staff file actions on a post with several files: the inline Mod menu and the media-ban API take one file or all. */

const TOKEN = "e".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("staff actions on one file of several", () => {
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

  async function threeFiles(com: string): Promise<{
    no: number;
    post: Record<string, unknown> & { extra_files: Array<{ tim: number; filename: string; ext: string }> };
  }> {
    const api = request(instance.app);
    const res = await api
      .post("/api/v1/boards/b/threads")
      .field("com", com)
      .attach("file", images[0]!, "one.jpg")
      .attach("file", images[1]!, "two.png")
      .attach("file", images[2]!, "three.jpg");
    expect(res.status).toBe(201);
    const no = res.body.no as number;
    const post = (await api.get(`/b/thread/${no}.json`).expect(200)).body.posts[0];
    return { no, post };
  }

  it("the inline menu chooses a file; deleting and banning the third bans only its hash and leaves two", async () => {
    await instance.services.staff.createUser("mod", "a long enough password", "admin", []);
    const { no, post } = await threeFiles("ban one of three");
    const third = post.extra_files[1]!;
    const { agent } = await signIn(instance.app, "mod", "a long enough password");
    const page = await agent.get(`/b/thread/${no}`).expect(200);
    expect(page.text).toContain('<select name="tim" aria-label="Which file">');
    expect(page.text).toContain(`<option value="${third.tim}">file 3: three.jpg</option>`);

    const res = await agent
      .post("/admin/media-bans/post")
      .type("form")
      .send({
        csrf: csrfOf(page.text),
        back: `/b/thread/${no}`,
        board: "b",
        no: String(no),
        tim: String(third.tim),
        reason: "known bad picture",
      });
    expect(res.status).toBe(303);
    expect(res.headers["location"]).toBe(`/b/thread/${no}`);

    const after = (await request(instance.app).get(`/b/thread/${no}.json`).expect(200)).body.posts[0];
    expect([after.filename, ...after.extra_files.map((f: { filename: string }) => f.filename)]).toEqual(["one", "two"]);
    const bans = await instance.services.store.mediaBans.list();
    const sha = bans.filter((b) => b.kind === "sha256").map((b) => b.hash);
    const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(sha).toHaveLength(1);
    // The ban is of the stored original, so the first two files' originals are not among the banned.
    const kept = await instance.services.store.posts.getPost("b", no);
    expect(sha).not.toContain(kept!.file!.sha256);
    expect(sha).not.toContain(kept!.extraFiles[0]!.sha256);
    expect(sha).not.toContain(digest(images[0]!));
  });

  it("the media-ban API takes a tim; without one it bans and deletes every file; a wrong tim is a 4xx", async () => {
    const api = request(instance.app);
    const { no, post } = await threeFiles("api bans");
    const second = post.extra_files[0]!;
    const unknown = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${no}`, tim: 12345, reason: "x" });
    expect(unknown.status).toBe(404);
    const bad = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${no}`, tim: "abc", reason: "x" });
    expect(bad.status).toBe(400);
    const stray = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ sha256: "a".repeat(64), tim: 5 });
    expect(stray.status).toBe(400);
    expect(await instance.services.store.mediaBans.list()).toHaveLength(0);

    const one = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${no}`, tim: second.tim, reason: "one file" });
    expect(one.status).toBe(201);
    expect(one.body.tim).toBe(second.tim);
    const shaBans = () => instance.services.store.mediaBans.list().then((l) => l.filter((b) => b.kind === "sha256"));
    expect(await shaBans()).toHaveLength(1);
    let json = (await api.get(`/b/thread/${no}.json`).expect(200)).body.posts[0];
    expect(json.extra_files.map((f: { filename: string }) => f.filename)).toEqual(["three"]);

    const all = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${no}`, reason: "the rest" });
    expect(all.status).toBe(201);
    expect(await shaBans()).toHaveLength(3);
    json = (await api.get(`/b/thread/${no}.json`).expect(200)).body.posts[0];
    expect(json.filename).toBeUndefined();
    expect(json.filedeleted).toBe(1);
  });
});
