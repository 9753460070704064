import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const TOKEN = "t".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

/* The public moderation log: every staff action with its public reason, staff shown by role only. */

describe("public moderation log", () => {
  let instance: TestInstance;
  let op: number;
  let reply: number;

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    const api = request(instance.app);
    op = (await api.post("/api/v1/boards/b/threads").send({ com: "a thread" })).body.no;
    reply = (await api.post(`/api/v1/boards/b/threads/${op}/replies`).send({ com: "spam spam" })).body.no;
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("records deletions, thread flags and bans with their reasons, in JSON and on the page", async () => {
    const api = request(instance.app);
    const del = await api.delete(`/api/v1/admin/boards/b/posts/${reply}`).set(auth).send({ reason: "Rule 3: spam" });
    expect(del.status).toBe(204);
    const lock = await api
      .patch(`/api/v1/admin/boards/b/threads/${op}?reason=${encodeURIComponent("Derailed")}`)
      .set(auth)
      .send({ locked: true, sticky: true });
    expect(lock.status).toBe(200);
    // Setting a flag that is already set changes nothing and is not logged.
    expect((await api.patch(`/api/v1/admin/boards/b/threads/${op}`).set(auth).send({ locked: true })).status).toBe(200);
    const ban = await api
      .post("/api/v1/admin/bans")
      .set(auth)
      .send({ ip_hash: "abcdefgh12", board: "b", reason: "flood" });
    expect(ban.status).toBeLessThan(300);

    const json = await api.get("/b/log.json");
    expect(json.status).toBe(200);
    const actions = json.body.entries.map((e: { action: string; post: number | null; reason: string }) => [
      e.action,
      e.post,
      e.reason,
    ]);
    expect(actions).toHaveLength(4);
    expect(actions).toContainEqual(["delete", reply, "Rule 3: spam"]);
    expect(actions).toContainEqual(["lock", op, "Derailed"]);
    expect(actions).toContainEqual(["sticky", op, "Derailed"]);
    expect(actions[0]).toEqual(["ban", null, "flood"]);
    expect(new Set(json.body.entries.map((e: { by: string }) => e.by))).toEqual(new Set(["Administrator"]));
    expect(JSON.stringify(json.body)).not.toContain('"api"');
    expect(json.body.next).toBeNull();

    const page = await api.get("/b/log");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.text).toContain("Rule 3: spam");
    expect(page.text).toContain("Closed a thread");
    expect(page.text).toContain(`No. ${reply}`);
  });

  it("answers a missing board with 404 and a bad reason or cursor with 400, writing nothing", async () => {
    const api = request(instance.app);
    expect((await api.get("/zz/log.json")).status).toBe(404);
    expect((await api.get("/zz/log")).status).toBe(404);
    expect((await api.get("/b/log.json?before=soon")).status).toBe(400);
    const long = await api
      .delete(`/api/v1/admin/boards/b/posts/${reply}`)
      .set(auth)
      .send({ reason: "x".repeat(501) });
    expect(long.status).toBe(400);
    expect(JSON.stringify(long.body)).toContain("at most 500 characters");
    expect((await api.get(`/b/thread/${op}.json`)).status).toBeLessThan(300);
    expect((await api.get("/b/log.json")).body.entries).toEqual([]);
  });
});
