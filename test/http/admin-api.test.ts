import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../server/cli/main.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const TOKEN = "x".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("admin API", () => {
  let now = Date.UTC(2025, 5, 1, 12);
  let instance: TestInstance;

  beforeEach(async () => {
    now = Date.UTC(2025, 5, 1, 12);
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN }, { clock: () => now });
  });

  afterEach(async () => {
    await instance.stop();
  });

  const api = () => request(instance.app);

  it("refuses requests without a valid bearer token", async () => {
    const none = await api().get("/api/v1/admin/boards");
    expect(none.status).toBe(401);
    expect(none.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(none.body).toMatchObject({ status: 401, type: "urn:atoll:problem:unauthorized" });

    const wrong = await api()
      .get("/api/v1/admin/boards")
      .set("Authorization", `Bearer ${"y".repeat(32)}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toMatch(/^Bearer/);

    const basic = await api()
      .post("/api/v1/admin/boards")
      .set("Authorization", "Basic Zm9vOmJhcg==")
      .send({ uri: "b", title: "B" });
    expect(basic.status).toBe(401);
    expect(await instance.services.store.boards.get("b")).toBeNull();

    // Unknown admin paths are not revealed to anonymous callers either.
    expect((await api().get("/api/v1/admin/whatever")).status).toBe(401);
  });

  it("creates, lists, reads, updates and deletes boards", async () => {
    const created = await api()
      .post("/api/v1/admin/boards")
      .set(auth)
      .send({ uri: "tech", title: "Technology", description: "Computers", settings: { bumpLimit: 250, sfw: false } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ uri: "tech", title: "Technology", description: "Computers" });
    expect(created.body.settings).toMatchObject({ bumpLimit: 250, sfw: false, maxThreads: 150 });
    expect(created.headers["cache-control"]).toBe("no-store");

    const list = await api().get("/api/v1/admin/boards").set(auth);
    expect(list.status).toBe(200);
    expect(list.body.map((b: { uri: string }) => b.uri)).toEqual(["tech"]);

    const one = await api().get("/api/v1/admin/boards/tech").set(auth);
    expect(one.status).toBe(200);
    expect(one.body.title).toBe("Technology");

    const patched = await api()
      .patch("/api/v1/admin/boards/tech")
      .set(auth)
      .send({ title: "Tech", settings: { threadCooldown: 5 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: "Tech", description: "Computers" });
    expect(patched.body.settings).toMatchObject({ threadCooldown: 5, bumpLimit: 250 });

    // The public read API sees the board.
    const boards = await api().get("/boards.json");
    expect(boards.body.boards.map((b: { board: string }) => b.board)).toContain("tech");

    const del = await api().delete("/api/v1/admin/boards/tech").set(auth);
    expect(del.status).toBe(204);
    expect((await api().get("/api/v1/admin/boards/tech").set(auth)).status).toBe(404);
  });

  it("answers 400 for invalid input, 409 for a taken name and 404 for unknown boards", async () => {
    const badUri = await api().post("/api/v1/admin/boards").set(auth).send({ uri: "Not Valid", title: "X" });
    expect(badUri.status).toBe(400);
    expect(badUri.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);

    const reserved = await api().post("/api/v1/admin/boards").set(auth).send({ uri: "admin", title: "X" });
    expect(reserved.status).toBe(400);

    const noTitle = await api().post("/api/v1/admin/boards").set(auth).send({ uri: "b" });
    expect(noTitle.status).toBe(400);

    const badSettings = await api()
      .post("/api/v1/admin/boards")
      .set(auth)
      .send({ uri: "b", title: "B", settings: { bumpLimit: -1 } });
    expect(badSettings.status).toBe(400);
    expect(badSettings.body.detail).toMatch(/bumpLimit/);

    const unknownSetting = await api()
      .post("/api/v1/admin/boards")
      .set(auth)
      .send({ uri: "b", title: "B", settings: { colour: "red" } });
    expect(unknownSetting.status).toBe(400);

    const malformed = await api()
      .post("/api/v1/admin/boards")
      .set(auth)
      .set("Content-Type", "application/json")
      .send('{"uri": "b",');
    expect(malformed.status).toBe(400);
    expect(malformed.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);

    expect((await api().post("/api/v1/admin/boards").set(auth).send({ uri: "b", title: "B" })).status).toBe(201);
    const dup = await api().post("/api/v1/admin/boards").set(auth).send({ uri: "b", title: "Again" });
    expect(dup.status).toBe(409);

    const badPatch = await api()
      .patch("/api/v1/admin/boards/b")
      .set(auth)
      .send({ settings: { maxFileSize: "big" } });
    expect(badPatch.status).toBe(400);
    expect((await api().patch("/api/v1/admin/boards/b").set(auth).send({ uri: "c" })).status).toBe(400);

    expect((await api().get("/api/v1/admin/boards/nope").set(auth)).status).toBe(404);
    expect((await api().patch("/api/v1/admin/boards/nope").set(auth).send({ title: "N" })).status).toBe(404);
    expect((await api().delete("/api/v1/admin/boards/nope").set(auth)).status).toBe(404);
  });

  it("accepts a token minted with the CLI", async () => {
    const out: string[] = [];
    const code = await runCli(["token", "create", "--label", "ci"], {
      out: (s) => out.push(s),
      err: () => {},
      env: { DATA_DIR: instance.dataDir },
    });
    expect(code).toBe(0);
    const token = out.join("").trim();
    expect(token).toMatch(/^atoll_/);

    const res = await api()
      .post("/api/v1/admin/boards")
      .set("Authorization", `Bearer ${token}`)
      .send({ uri: "cli", title: "CLI" });
    expect(res.status).toBe(201);
    expect((await api().get("/api/v1/admin/boards").set("Authorization", "Bearer atoll_forged")).status).toBe(401);
  });

  it("bans the author of a post: their next post is refused with the reason and expiry, until it expires", async () => {
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    const op = await api().post("/api/v1/boards/b/threads").send({ com: "first" });
    expect(op.status).toBe(201);

    const ban = await api()
      .post("/api/v1/admin/bans")
      .set(auth)
      .send({ board: "b", post: `b/${op.body.no}`, reason: "spam", duration: 3600 });
    expect(ban.status).toBe(201);
    expect(ban.body).toMatchObject({ board: "b", reason: "spam", post: `b/${op.body.no}`, created_by: "api" });
    expect(ban.body.expires_at).toBe(new Date(now + 3600_000).toISOString());

    const refused = await api().post("/api/v1/boards/b/threads").send({ com: "again" });
    expect(refused.status).toBe(403);
    expect(refused.headers["content-type"]).toMatch(/^application\/json; charset=utf-8/);
    expect(refused.body.ban).toMatchObject({ reason: "spam", expires_at: new Date(now + 3600_000).toISOString() });
    expect(refused.body.detail).toMatch(/spam/);

    const listed = await api().get("/api/v1/admin/bans").set(auth);
    expect(listed.body.map((b: { id: string }) => b.id)).toEqual([ban.body.id]);

    now += 3600_000 + 1000;
    const after = await api().post("/api/v1/boards/b/threads").send({ com: "back" });
    expect(after.status).toBe(201);
    expect((await api().get("/api/v1/admin/bans").set(auth)).body).toEqual([]);
  });

  it("lifts bans, and validates ban requests", async () => {
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    const op = await api().post("/api/v1/boards/b/threads").send({ com: "first" });

    const permanent = await api()
      .post("/api/v1/admin/bans")
      .set(auth)
      .send({ post: `b/${op.body.no}`, reason: "everywhere" });
    expect(permanent.status).toBe(201);
    expect(permanent.body).toMatchObject({ board: null, expires_at: null });
    expect((await api().post("/api/v1/boards/b/threads").send({ com: "x" })).body.ban).toMatchObject({
      expires_at: null,
    });

    expect((await api().delete(`/api/v1/admin/bans/${permanent.body.id}`).set(auth)).status).toBe(204);
    expect((await api().delete(`/api/v1/admin/bans/${permanent.body.id}`).set(auth)).status).toBe(404);
    expect((await api().post("/api/v1/boards/b/threads").send({ com: "x" })).status).toBe(201);

    const cases = [
      { post: `b/${op.body.no}` },
      { post: `b/${op.body.no}`, reason: "" },
      { post: "nonsense", reason: "r" },
      { reason: "no target" },
      { post: `b/${op.body.no}`, reason: "r", duration: -5 },
      { post: `b/${op.body.no}`, reason: "r", duration: "1d" },
      { ip_hash: "short", reason: "r" },
      { post: `b/${op.body.no}`, reason: "r", extra: 1 },
    ];
    for (const body of cases) {
      const res = await api().post("/api/v1/admin/bans").set(auth).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api().post("/api/v1/admin/bans").set(auth).send({ post: "b/99999", reason: "r" })).status).toBe(404);
    expect(
      (
        await api()
          .post("/api/v1/admin/bans")
          .set(auth)
          .send({ board: "zz", post: `b/${op.body.no}`, reason: "r" })
      ).status,
    ).toBe(404);
  });

  it("sets thread flags and deletes posts and files", async () => {
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    const op = await api().post("/api/v1/boards/b/threads").send({ com: "thread" });
    const jpeg = await makeJpeg();
    const reply = await api()
      .post(`/api/v1/boards/b/threads/${op.body.no}/replies`)
      .send({ com: "with file", file: { name: "a.jpg", data: jpeg.toString("base64") } });
    expect(reply.status).toBe(201);

    const flags = await api()
      .patch(`/api/v1/admin/boards/b/threads/${op.body.no}`)
      .set(auth)
      .send({ sticky: true, locked: true });
    expect(flags.status).toBe(200);
    expect(flags.body).toMatchObject({ no: op.body.no, sticky: true, locked: true, archived: false });
    const locked = await api().post(`/api/v1/boards/b/threads/${op.body.no}/replies`).send({ com: "late" });
    expect(locked.status).toBe(423);
    expect(
      (await api().patch(`/api/v1/admin/boards/b/threads/${op.body.no}`).set(auth).send({ sticky: "maybe" })).status,
    ).toBe(400);
    expect((await api().patch(`/api/v1/admin/boards/b/threads/${op.body.no}`).set(auth).send({})).status).toBe(400);
    expect(
      (await api().patch(`/api/v1/admin/boards/b/threads/${reply.body.no}`).set(auth).send({ sticky: true })).status,
    ).toBe(404);

    const post = await instance.services.store.posts.getPost("b", reply.body.no);
    const sha = post?.file?.sha256 as string;
    expect(await instance.services.media.has(sha)).toBe(true);
    const fileOnly = await api().delete(`/api/v1/admin/boards/b/posts/${reply.body.no}?file_only=1`).set(auth);
    expect(fileOnly.status).toBe(204);
    const after = await instance.services.store.posts.getPost("b", reply.body.no);
    expect(after).toMatchObject({ file: null, fileDeleted: true });
    expect(await instance.services.media.has(sha)).toBe(false);
    expect((await api().delete(`/api/v1/admin/boards/b/posts/${reply.body.no}?file_only=1`).set(auth)).status).toBe(
      400,
    );

    expect((await api().delete(`/api/v1/admin/boards/b/posts/${op.body.no}`).set(auth)).status).toBe(204);
    expect(await instance.services.store.posts.getThread("b", op.body.no)).toBeNull();
    expect(await instance.services.store.posts.getPost("b", reply.body.no)).toBeNull();
    expect((await api().delete(`/api/v1/admin/boards/b/posts/${op.body.no}`).set(auth)).status).toBe(404);
  });
});
