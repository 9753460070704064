import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/services/logger.js";
import { collectOrphanedMedia } from "../../server/services/media-gc.js";
import { WordFilterService } from "../../server/services/word-filters.js";
import { csrfOf, signIn } from "../support/admin-session.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Word filters on local posts: the admin API, each action through the posting API and the web
 * form, board and instance filters, scopes, and the hold queue.
 */

const TOKEN = "word-filters-test-token-0123456789";
const auth = { Authorization: `Bearer ${TOKEN}` };
type Json = Record<string, unknown>;

describe("word filters on local posts", () => {
  let t: TestInstance;
  let op = 0;
  const api = () => request(t.app);
  const addFilter = async (body: Json) => {
    const res = await api().post("/api/v1/admin/filters").set(auth).send(body);
    expect(res.status).toBe(201);
    return res.body as Json;
  };
  const held = async () => (await api().get("/api/v1/admin/held").set(auth)).body as Json[];

  beforeAll(async () => {
    t = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await t.services.boards.create({ uri: "g", title: "Tech", settings: { requireImageForThread: false } });
    op = (await t.services.posting.createThread({ board: "b", comment: "local op", ip: "192.0.2.1" })).no;
  });
  afterAll(() => t?.stop());

  it("creates, lists, changes and removes filters, with an audit trail", async () => {
    const f = await addFilter({ pattern: "tempword", action: "reject" });
    expect(f).toMatchObject({ pattern: "tempword", regex: false, board: null, scope: "both", replacement: null });
    const list = await api().get("/api/v1/admin/filters").set(auth);
    expect(list.body.map((x: Json) => x["id"])).toContain(f["id"]);
    const changed = await api()
      .patch(`/api/v1/admin/filters/${f["id"]}`)
      .set(auth)
      .send({ action: "replace", board: "g" });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      action: "replace",
      replacement: "[filtered]",
      board: "g",
      pattern: "tempword",
    });
    expect((await api().get("/api/v1/admin/filters?board=g").set(auth)).body).toHaveLength(1);
    expect((await api().delete(`/api/v1/admin/filters/${f["id"]}`).set(auth)).status).toBe(200);
    expect((await api().delete(`/api/v1/admin/filters/${f["id"]}`).set(auth)).status).toBe(404);
    const audit = await api().get("/api/v1/admin/filters/audit").set(auth);
    expect(audit.body.slice(0, 3).map((e: Json) => [e["action"], e["filter_id"], e["by"]])).toEqual([
      ["delete", f["id"], "api"],
      ["update", f["id"], "api"],
      ["create", f["id"], "api"],
    ]);
    expect((await api().get("/api/v1/admin/filters").set({ Authorization: "Bearer nope" })).status).toBe(401);
  });

  it("answers 400 with the reason for an invalid or unsupported regex, or bad members", async () => {
    const bad = await api()
      .post("/api/v1/admin/filters")
      .set(auth)
      .send({ pattern: "(a)\\1", regex: true, action: "reject" });
    expect(bad.status).toBe(400);
    expect(bad.body["error"]).toMatch(/RE2 syntax.*invalid escape/);
    const open = await api()
      .post("/api/v1/admin/filters")
      .set(auth)
      .send({ pattern: "[", regex: true, action: "hold" });
    expect(open.status).toBe(400);
    expect(open.body["error"]).toMatch(/missing closing \]/);
    for (const body of [
      { pattern: "x", action: "nuke" },
      { pattern: "x", action: "reject", scope: "mars" },
      { pattern: "", action: "reject" },
      { pattern: "x", action: "reject", board: "nosuchboard" },
      { pattern: "x", action: "reject", colour: "red" },
    ]) {
      expect((await api().post("/api/v1/admin/filters").set(auth).send(body)).status).toBe(400);
    }
    expect((await api().get("/api/v1/admin/filters").set(auth)).body).toEqual([]);
  });

  it("rejects a post through the API with a problem that names no filter, and writes nothing", async () => {
    const f = await addFilter({ pattern: "forbiddenword", action: "reject", scope: "local" });
    const res = await api().post(`/api/v1/boards/b/threads/${op}/replies`).send({ com: "a F0RB1DDENW0RD here" });
    expect(res.status).toBe(403);
    expect(res.body["error"]).toBe("This post contains text that is not allowed here.");
    expect(JSON.stringify(res.body)).not.toContain("forbiddenword");
    const thread = await api().post("/api/v1/boards/b/threads").send({ sub: "forbidden\u200bword", com: "hi" });
    expect(thread.status).toBe(403);
    const named = await api().post("/api/v1/boards/b/threads").send({ name: "ｆｏｒｂｉｄｄｅｎｗｏｒｄ", com: "hi" });
    expect(named.status).toBe(403);
    const file = await api()
      .post("/api/v1/boards/b/threads")
      .field("com", "a picture")
      .attach("file", await makeJpeg(), "forbiddenword.jpg");
    expect(file.status).toBe(403);
    expect((await api().get(`/b/thread/${op}`)).text).not.toContain("F0RB1DDENW0RD");
    await api().delete(`/api/v1/admin/filters/${f["id"]}`).set(auth);
  });

  it("rejects a post from the web form with a readable page", async () => {
    const f = await addFilter({ pattern: "webbad", action: "reject" });
    const res = await api().post(`/b/thread/${op}/reply`).field("com", "so W3BBAD");
    expect(res.status).toBe(403);
    expect(res.type).toBe("text/html");
    expect(res.text).toContain("This post contains text that is not allowed here.");
    await api().delete(`/api/v1/admin/filters/${f["id"]}`).set(auth);
  });

  it("replaces the matched text in the stored post, fields and file name included", async () => {
    const f = await addFilter({ pattern: "darn it", action: "replace", replacement: "[oops]" });
    const re = await addFilter({ pattern: "c[a@]sh\\s*now", regex: true, action: "replace" });
    const res = await api()
      .post("/api/v1/boards/b/threads")
      .field("sub", "DARN IT")
      .field("com", "well, darn   it. Get C@SH NOW!")
      .attach("file", await makeJpeg(), "darn-it.jpg");
    expect(res.status).toBe(201);
    const post = await t.services.store.posts.getPost("b", res.body["no"]);
    expect(post?.subject).toBe("[oops]");
    expect(post?.comment).toBe("well, [oops]. Get [filtered]!");
    expect(post?.html).toContain("[oops]");
    expect(post?.file?.filename).toBe("[oops]");
    for (const x of [f, re]) await api().delete(`/api/v1/admin/filters/${x["id"]}`).set(auth);
  });

  it("screens every file's name of a post with several files, not only the first", async () => {
    await t.services.boards.create({ uri: "m", title: "Many", settings: { maxFiles: 3 } });
    const f = await addFilter({ pattern: "darn it", action: "replace", replacement: "[oops]" });
    const res = await api()
      .post("/api/v1/boards/m/threads")
      .field("com", "three files")
      .attach("file", await makeJpeg(), "fine.jpg")
      .attach("file", await makeJpeg(), "also fine.jpg")
      .attach("file", await makeJpeg(), "darn-it.jpg");
    expect(res.status).toBe(201);
    const post = await t.services.store.posts.getPost("m", res.body["no"]);
    expect([post?.file?.filename, ...(post?.extraFiles ?? []).map((x) => x.filename)]).toEqual([
      "fine",
      "also fine",
      "[oops]",
    ]);
    const reject = await addFilter({ pattern: "secondbad", action: "reject" });
    const count = await t.services.store.posts.countPosts();
    const refused = await api()
      .post("/api/v1/boards/m/threads")
      .field("com", "a bad second name")
      .attach("file", await makeJpeg(), "fine.jpg")
      .attach("file", await makeJpeg(), "secondbad.jpg");
    expect(refused.status).toBe(403);
    expect(await t.services.store.posts.countPosts()).toBe(count);
    for (const x of [f, reject]) await api().delete(`/api/v1/admin/filters/${x["id"]}`).set(auth);
  });

  it("holds a post: not shown, waiting in /api/v1/admin/held with the reason; approve publishes it", async () => {
    const f = await addFilter({ pattern: "checkme", action: "hold" });
    const res = await api()
      .post(`/api/v1/boards/b/threads/${op}/replies`)
      .field("com", "please CHECKME")
      .attach("file", await makeJpeg(40, 30), "held.jpg");
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ held: true });
    const list = await held();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ board: "b", local: true, thread: op, text: "please CHECKME", has_file: true });
    expect(list[0]?.["reason"]).toContain("checkme");
    const page = await api().get(`/b/thread/${op}`);
    expect(page.text).not.toContain("please CHECKME");
    const held0 = await t.services.store.heldPosts.get(list[0]?.["id"] as string);
    // Media garbage collection leaves a held post's file alone.
    await collectOrphanedMedia(
      t.services.store,
      t.services.media,
      createLogger("error", () => {}),
      async () => {},
      0,
    );
    expect(await t.services.media.has(held0!.post.file!.sha256)).toBe(true);
    expect(await t.services.media.has(held0!.post.file!.thumbSha256)).toBe(true);

    const ok = await api()
      .post(`/api/v1/admin/held/${encodeURIComponent(list[0]?.["id"] as string)}/approve`)
      .set(auth);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ outcome: "accepted" });
    expect(await held()).toEqual([]);
    expect((await api().get(`/b/thread/${op}`)).text).toContain("please CHECKME");
    const again = await api()
      .post(`/api/v1/admin/held/${encodeURIComponent(list[0]?.["id"] as string)}/approve`)
      .set(auth);
    expect(again.status).toBe(404);
    await api().delete(`/api/v1/admin/filters/${f["id"]}`).set(auth);
  });

  it("holds a new thread from the web form with a notice page; reject drops it and its file", async () => {
    const f = await addFilter({ pattern: "moderate this", action: "hold", board: "b" });
    const jpeg = await makeJpeg(50, 20);
    const res = await api().post("/b/post").field("com", "moderate  this please").attach("file", jpeg, "x.jpg");
    expect(res.status).toBe(202);
    expect(res.text).toContain("waiting for a moderator");
    const [h] = await held();
    expect(h).toMatchObject({ board: "b", thread: null, has_file: true });
    const stored = await t.services.store.heldPosts.get(h?.["id"] as string);
    const sha = stored!.post.file!.sha256;
    expect(await t.services.media.has(sha)).toBe(true);
    const no = await api()
      .post(`/api/v1/admin/held/${encodeURIComponent(h?.["id"] as string)}/reject`)
      .set(auth);
    expect(no.status).toBe(200);
    expect(await held()).toEqual([]);
    expect(await t.services.media.has(sha)).toBe(false);
    expect((await api().get("/b/catalog.json")).text).not.toContain("moderate  this please");
    // A board filter leaves the other boards alone.
    const elsewhere = await api().post("/api/v1/boards/g/threads").send({ com: "moderate this please" });
    expect(elsewhere.status).toBe(201);
    await api().delete(`/api/v1/admin/filters/${f["id"]}`).set(auth);
  });

  it("leaves local posts alone with a federated-scope filter", async () => {
    const f = await addFilter({ pattern: "remoteonly", action: "reject", scope: "federated" });
    const res = await api().post(`/api/v1/boards/b/threads/${op}/replies`).send({ com: "remoteonly" });
    expect(res.status).toBe(201);
    await api().delete(`/api/v1/admin/filters/${f["id"]}`).set(auth);
  });

  it("lets a board owner manage the board's filters only, and is seen by another process's service", async () => {
    await t.services.staff.createUser("owner", "correct horse battery", "board_owner", ["g"]);
    const owner = { username: "owner", role: "board_owner" as const, boards: ["g"] };
    const mine = await t.services.wordFilters.create(owner, {
      pattern: "gspam",
      action: "reject" as const,
      board: "g",
    });
    await expect(
      t.services.wordFilters.create(owner, { pattern: "x", action: "reject", board: "b" }),
    ).rejects.toMatchObject({
      kind: "forbidden",
    });
    await expect(t.services.wordFilters.create(owner, { pattern: "x", action: "reject" })).rejects.toMatchObject({
      kind: "forbidden",
    });
    await addFilter({ pattern: "instancewide", action: "reject" });
    expect((await t.services.wordFilters.list(owner)).map((f) => f.id)).toEqual([mine.id]);

    // Another process sharing the store: its service recompiles when the version moves.
    const other = new WordFilterService({ store: t.services.store, clock: () => Date.now() });
    const fields = { name: "", subject: "", comment: "gspam", filename: "" };
    expect((await other.check("g", "local", fields)).action).toBe("reject");
    await t.services.wordFilters.remove(owner, mine.id);
    expect((await other.check("g", "local", fields)).action).toBe("pass");
  });

  it("has a staff page where a board owner adds, edits and removes the board's filters and decides held posts", async () => {
    const { agent } = await signIn(t.app, "owner", "correct horse battery");
    const page = await agent.get("/admin/filters");
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("instancewide");
    const csrf = csrfOf(page.text);
    const form = { csrf, back: "/admin/filters", pattern: "pagehold", board: "g", action: "hold", scope: "both" };
    const added = await agent.post("/admin/filters").type("form").send(form);
    expect(added.status).toBe(303);
    const elsewhere = await agent
      .post("/admin/filters")
      .type("form")
      .send({ ...form, board: "b" });
    expect(elsewhere.status).toBe(403);
    const regex = await agent
      .post("/admin/filters")
      .type("form")
      .send({ ...form, pattern: "(", regex: "on" });
    expect(regex.status).toBe(400);
    const [mine] = await t.services.wordFilters.list({ username: "owner", role: "board_owner", boards: ["g"] });
    expect(mine).toMatchObject({ pattern: "pagehold", board: "g", action: "hold", regex: false });

    const res = await api().post("/api/v1/boards/g/threads").send({ com: "pagehold me" });
    expect(res.status).toBe(202);
    const listed = await agent.get("/admin/filters");
    expect(listed.text).toContain("pagehold me");
    const [h] = await t.services.store.heldPosts.list("g");
    const approved = await agent
      .post("/admin/held-posts/approve")
      .type("form")
      .send({ csrf, back: "/admin/filters", id: h?.id });
    expect(approved.status).toBe(303);
    expect((await api().get("/g/catalog.json")).text).toContain("pagehold me");

    const saved = await agent
      .post(`/admin/filters/${mine?.id}`)
      .type("form")
      .send({ ...form, action: "replace", replacement: "" });
    expect(saved.status).toBe(303);
    expect(await t.services.store.wordFilters.get(mine!.id)).toMatchObject({
      action: "replace",
      replacement: "[filtered]",
    });
    const removed = await agent
      .post(`/admin/filters/${mine?.id}/delete`)
      .type("form")
      .send({ csrf, back: "/admin/filters" });
    expect(removed.status).toBe(303);
    expect(await t.services.store.wordFilters.get(mine!.id)).toBeNull();
  });
});
