import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PostEvent } from "../../server/services/events.js";
import { API_ACTOR } from "../../server/services/staff.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const TOKEN = "x".repeat(32);
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("reports and moderation", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    await instance.services.boards.create({ uri: "g", title: "G", settings: { requireImageForThread: false } });
  });

  afterEach(async () => {
    await instance.stop();
  });

  const api = () => request(instance.app);

  it("goes from a public report to the admin queue, and deleting the post resolves it", async () => {
    const events: PostEvent[] = [];
    instance.services.events.on((e) => events.push(e));
    const op = await api().post("/api/v1/boards/b/threads").send({ com: "thread" });
    const reply = await api().post(`/api/v1/boards/b/threads/${op.body.no}/replies`).send({ com: "rule breaker" });

    const report = await api().post(`/api/v1/boards/b/posts/${reply.body.no}/report`).send({ reason: "off topic" });
    expect(report.status).toBe(202);
    // The same address reporting the same post again adds nothing.
    expect((await api().post(`/api/v1/boards/b/posts/${reply.body.no}/report`).send({ reason: "really" })).status).toBe(
      202,
    );

    const queue = await api().get("/api/v1/admin/reports").set(auth);
    expect(queue.status).toBe(200);
    expect(queue.body).toHaveLength(1);
    expect(queue.body[0]).toMatchObject({ board: "b", post_no: reply.body.no, reason: "off topic", resolved: false });
    expect(queue.body[0].post).toMatchObject({ no: reply.body.no, comment: "rule breaker", thread_no: op.body.no });
    expect(queue.body[0]).not.toHaveProperty("ip_hash");

    const del = await api().delete(`/api/v1/admin/boards/b/posts/${reply.body.no}`).set(auth);
    expect(del.status).toBe(204);
    expect((await api().get("/api/v1/admin/reports").set(auth)).body).toEqual([]);
    expect(events.some((e) => e.type === "post_deleted" && e.post.no === reply.body.no)).toBe(true);
    const thread = await api().get(`/b/thread/${op.body.no}.json`);
    expect(thread.body.posts.map((p: { no: number }) => p.no)).toEqual([op.body.no]);
  });

  it("dismisses reports and validates them", async () => {
    const op = await api().post("/api/v1/boards/b/threads").send({ com: "thread" });
    expect((await api().post(`/api/v1/boards/b/posts/${op.body.no}/report`).send({ reason: "" })).status).toBe(400);
    expect(
      (
        await api()
          .post(`/api/v1/boards/b/posts/${op.body.no}/report`)
          .send({ reason: "x".repeat(201) })
      ).status,
    ).toBe(400);
    expect((await api().post(`/api/v1/boards/b/posts/${op.body.no}/report`).send({ reason: 5 })).status).toBe(400);
    expect((await api().post("/api/v1/boards/b/posts/9999/report").send({ reason: "spam" })).status).toBe(404);
    expect((await api().post("/api/v1/boards/nope/posts/1/report").send({ reason: "spam" })).status).toBe(404);
    const malformed = await api()
      .post(`/api/v1/boards/b/posts/${op.body.no}/report`)
      .set("Content-Type", "application/json")
      .send("{");
    expect(malformed.status).toBe(400);

    // A plain HTML form is sent back to the post.
    const form = await api()
      .post(`/api/v1/boards/b/posts/${op.body.no}/report`)
      .set("Accept", "text/html")
      .type("form")
      .send({ reason: "spam" });
    expect(form.status).toBe(303);
    expect(form.headers["location"]).toBe(instance.services.urls.thread("b", op.body.no));

    const [report] = (await api().get("/api/v1/admin/reports").set(auth)).body;
    expect(report.reason).toBe("spam");
    expect((await api().post(`/api/v1/admin/reports/${report.id}/resolve`).set(auth)).status).toBe(204);
    expect((await api().get("/api/v1/admin/reports").set(auth)).body).toEqual([]);
    expect((await api().post("/api/v1/admin/reports/unknown/resolve").set(auth)).status).toBe(404);
    // The post is still there.
    expect(await instance.services.store.posts.getPost("b", op.body.no)).not.toBeNull();
  });

  it("scopes board roles to their boards", async () => {
    const m = instance.services.moderation;
    const volunteer = { username: "vol", role: "board_volunteer" as const, boards: ["b"] };
    const owner = { username: "own", role: "board_owner" as const, boards: ["g"] };
    const globalMod = { username: "gm", role: "global_mod" as const, boards: [] };
    const onB = await api().post("/api/v1/boards/b/threads").send({ com: "on b" });
    const onG = await api().post("/api/v1/boards/g/threads").send({ com: "on g" });
    await api().post(`/api/v1/boards/b/posts/${onB.body.no}/report`).send({ reason: "b report" });
    await api().post(`/api/v1/boards/g/posts/${onG.body.no}/report`).send({ reason: "g report" });

    expect((await m.listReports(volunteer)).map((r) => r.board)).toEqual(["b"]);
    expect((await m.listReports(owner)).map((r) => r.board)).toEqual(["g"]);
    expect((await m.listReports(globalMod)).map((r) => r.board).sort()).toEqual(["b", "g"]);

    const gReport = (await m.listReports(owner))[0]!;
    await expect(m.resolveReport(volunteer, gReport.id)).rejects.toMatchObject({ kind: "forbidden" });
    await expect(m.deletePost(volunteer, "g", onG.body.no)).rejects.toMatchObject({ kind: "forbidden" });
    await expect(m.setThreadFlags(volunteer, "g", onG.body.no, { sticky: true })).rejects.toMatchObject({
      kind: "forbidden",
    });
    await expect(m.ban(volunteer, { board: "g", post: `g/${onG.body.no}`, reason: "r" })).rejects.toMatchObject({
      kind: "forbidden",
    });
    // A board ban from a post elsewhere, or a ban on every board, is not theirs to place.
    await expect(m.ban(volunteer, { board: "b", post: `g/${onG.body.no}`, reason: "r" })).rejects.toMatchObject({
      kind: "forbidden",
    });
    await expect(m.ban(volunteer, { board: null, post: `b/${onB.body.no}`, reason: "r" })).rejects.toMatchObject({
      kind: "forbidden",
    });

    const ban = await m.ban(volunteer, { board: "b", post: `b/${onB.body.no}`, reason: "r", durationSeconds: 60 });
    expect(ban.createdBy).toBe("vol");
    const global = await m.ban(globalMod, { board: null, post: `g/${onG.body.no}`, reason: "everywhere" });
    expect((await m.listBans(volunteer)).map((b) => b.id)).toEqual([ban.id]);
    expect((await m.listBans(globalMod)).map((b) => b.id).sort()).toEqual([ban.id, global.id].sort());
    await expect(m.unban(volunteer, global.id)).rejects.toMatchObject({ kind: "forbidden" });
    await expect(m.unban(owner, ban.id)).rejects.toMatchObject({ kind: "forbidden" });

    const flags = await m.setThreadFlags(volunteer, "b", onB.body.no, { locked: true });
    expect(flags.locked).toBe(true);
    await m.deletePost(volunteer, "b", onB.body.no);
    expect(await instance.services.store.posts.getPost("b", onB.body.no)).toBeNull();
    await m.deletePost(API_ACTOR, "g", onG.body.no);
    expect(await m.listReports(globalMod)).toEqual([]);
  });
});
