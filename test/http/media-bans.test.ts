import { createHash } from "node:crypto";
import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/* Media bans through the admin API, and banned files refused at upload with nothing written. */

const TOKEN = "m".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function mediaCount(instance: TestInstance): Promise<number> {
  let n = 0;
  for await (const _ of instance.services.media.list()) n++;
  return n;
}

describe("media bans", () => {
  let instance: TestInstance;
  let jpeg: Buffer;

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B" });
    jpeg = await makeJpeg(160, 120);
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("validates what it is given and answers in the admin API's error shape", async () => {
    const api = request(instance.app);
    const post = (body: unknown) =>
      api
        .post("/api/v1/admin/media_bans")
        .set(auth)
        .send(body as object);
    const cases: Array<[unknown, string]> = [
      [{}, "exactly one of"],
      [{ sha256: "abc" }, "sha256: 64 hexadecimal digits"],
      [{ sha256: "g".repeat(64) }, "sha256: 64 hexadecimal digits"],
      [{ sha256: "a".repeat(64), pdq: "b".repeat(64) }, "exactly one of"],
      [{ sha256: "a".repeat(64), distance: 10 }, "distance: only for a pdq ban"],
      [{ pdq: "a".repeat(64), distance: 65 }, "distance: a whole number"],
      [{ pdq: "a".repeat(64), distance: 1.5 }, "distance: a whole number"],
      [{ sha256: "a".repeat(64), reason: 5 }, "reason: text"],
      [{ sha256: "a".repeat(64), colour: "red" }, 'Unknown member "colour"'],
      [{ post: "nonsense" }, 'post: written "board/number"'],
      [{ post: "b/1", sha256: "a".repeat(64) }, "exactly one of"],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ type: "urn:atoll:problem:invalid", status: 400 });
      expect(res.body.error).toContain(message);
    }
    expect((await post({ post: "b/999" })).status).toBe(404);
    expect((await api.get("/api/v1/admin/media_bans")).status).toBe(401);
    expect(await instance.services.store.mediaBans.list()).toEqual([]);
  });

  it("adds, lists, exports and lifts bans; the same hash twice is a conflict", async () => {
    const api = request(instance.app);
    const exact = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ sha256: "A".repeat(64), reason: "known bad" });
    expect(exact.status).toBe(201);
    expect(exact.body).toMatchObject({
      kind: "sha256",
      hash: "a".repeat(64),
      distance: null,
      reason: "known bad",
      source: "local",
      created_by: "api",
    });
    const perceptual = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ pdq: "c".repeat(64) });
    expect(perceptual.body).toMatchObject({ kind: "pdq", distance: 31, reason: "" });
    const near = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ pdq: "d".repeat(64), distance: 10 });
    expect(near.body.distance).toBe(10);

    const again = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ sha256: "a".repeat(64) });
    expect(again.status).toBe(409);
    expect(again.body.media_ban_id).toBe(exact.body.id);

    const list = await api.get("/api/v1/admin/media_bans").set(auth);
    expect(list.body.map((b: { kind: string }) => b.kind).sort()).toEqual(["pdq", "pdq", "sha256"]);
    const exported = await api.get("/api/v1/admin/media_bans/export").set(auth);
    expect(exported.headers["content-type"]).toMatch(/^text\/plain/);
    expect(exported.text.split("\n").sort()).toEqual(
      ["", `sha256 ${"a".repeat(64)}`, `pdq ${"c".repeat(64)} 31`, `pdq ${"d".repeat(64)} 10`].sort(),
    );

    expect((await api.delete(`/api/v1/admin/media_bans/${exact.body.id}`).set(auth)).status).toBe(204);
    const gone = await api.delete(`/api/v1/admin/media_bans/${exact.body.id}`).set(auth);
    expect(gone.status).toBe(404);
    expect(gone.body.type).toBe("urn:atoll:problem:not-found");
    expect((await api.get("/api/v1/admin/media_bans/export").set(auth)).text).not.toContain("sha256");
  });

  it("refuses a banned upload through the posting API and the web form, writing nothing", async () => {
    const api = request(instance.app);
    await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ sha256: sha256(jpeg) })
      .expect(201);

    const viaApi = await api.post("/api/v1/boards/b/threads").field("com", "look").attach("file", jpeg, "a.jpg");
    expect(viaApi.status).toBe(403);
    expect(viaApi.body).toMatchObject({
      type: "urn:atoll:problem:forbidden",
      detail: "This file is not allowed here.",
      error: "This file is not allowed here.",
    });
    const asJson = await api
      .post("/api/v1/boards/b/threads")
      .send({ com: "look", file: { name: "a.jpg", data: jpeg.toString("base64") } });
    expect(asJson.status).toBe(403);

    const viaForm = await api.post("/b/post").field("com", "look").attach("file", jpeg, "a.jpg");
    expect(viaForm.status).toBe(403);
    expect(viaForm.headers["content-type"]).toMatch(/^text\/html/);
    expect(viaForm.text).toContain("This file is not allowed here.");
    // Which list matched is never said.
    expect(JSON.stringify(viaApi.body)).not.toMatch(/sha256|hash|ban/i);

    const s = instance.services.store;
    expect(await s.posts.countPosts()).toBe(0);
    expect(await mediaCount(instance)).toBe(0);
    expect(await s.announcements.list(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    expect(await s.federation.deliveries.countPending()).toBe(0);

    // Another image still posts.
    const other = await makeJpeg(161, 120);
    expect((await api.post("/api/v1/boards/b/threads").attach("file", other, "b.jpg")).status).toBe(201);
  });

  it("deletes and bans a post's file in one action; the same bytes are refused afterwards", async () => {
    const api = request(instance.app);
    const op = await api.post("/api/v1/boards/b/threads").field("com", "bad").attach("file", jpeg, "a.jpg");
    expect(op.status).toBe(201);
    const posted = await instance.services.store.posts.getPost("b", op.body.no);
    expect((await api.post(`/api/v1/boards/b/posts/${op.body.no}/report`).send({ reason: "bad file" })).status).toBe(
      202,
    );

    // The file's removal goes out as a moderator's file deletion does (federation listens to this event).
    const events: string[] = [];
    instance.services.events.on((e) => events.push(e.type));
    const res = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${op.body.no}`, reason: "known bad image" });
    expect(events).toContain("file_deleted");
    expect(res.status).toBe(201);
    expect(res.body.file_deleted).toBe(true);
    expect(res.body.bans).toEqual([
      expect.objectContaining({ kind: "sha256", hash: posted?.file?.sha256 }),
      expect.objectContaining({ kind: "pdq", distance: 31 }),
    ]);

    const after = await instance.services.store.posts.getPost("b", op.body.no);
    expect(after?.file).toBeNull();
    expect(after?.fileDeleted).toBe(true);
    expect(await mediaCount(instance)).toBe(0);
    expect(await instance.services.store.reports.listOpen(["b"])).toEqual([]);
    const log = await instance.services.store.modLog.list("b", { limit: 10 });
    expect(log.map((e) => [e.action, e.postNo, e.reason])).toEqual([["delete_file", op.body.no, "known bad image"]]);
    expect(JSON.stringify(log)).not.toContain(posted?.file?.sha256 ?? "-");

    // The bytes uploaded before: the ban holds the kept original's digest, which the upload re-encodes to.
    const again = await api.post(`/api/v1/boards/b/threads/${op.body.no}/replies`).attach("file", jpeg, "again.jpg");
    expect(again.status).toBe(403);
    expect(again.body.detail).toBe("This file is not allowed here.");
    expect(await instance.services.store.posts.countPosts()).toBe(1);

    const twice = await api
      .post("/api/v1/admin/media_bans")
      .set(auth)
      .send({ post: `b/${op.body.no}` });
    expect(twice.status).toBe(400);
    expect(twice.body.error).toBe("This post has no file.");
  });
});
