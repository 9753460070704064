import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PASSWORD = "correct horse battery";
const TOKEN = "t".repeat(32);

/* Banning from a report: the report is dealt with, and the same ban is not placed twice. */

describe("bans placed from reports", () => {
  let instance: TestInstance;
  let reply: number;

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN });
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    await instance.services.staff.createUser("boss", PASSWORD, "admin", []);
    const api = request(instance.app);
    const op = await api.post("/api/v1/boards/b/threads").send({ com: "a thread" });
    reply = (await api.post(`/api/v1/boards/b/threads/${op.body.no}/replies`).send({ com: "spam spam" })).body.no;
    expect((await api.post(`/api/v1/boards/b/posts/${reply}/report`).send({ reason: "spam" })).status).toBeLessThan(
      300,
    );
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("closes the report it was placed from, and says the poster is already banned the second time", async () => {
    const { agent } = await signIn(instance.app, "boss", PASSWORD);
    const dash = await agent.get("/admin");
    expect(dash.text).toContain("1 open report");
    const csrf = csrfOf(dash.text);
    const form = { csrf, back: "/admin", post: `b/${reply}`, reason: "spamming", duration: "86400", board: "b" };

    const first = await agent.post("/admin/bans").type("form").send(form);
    expect(first.status).toBe(303);
    expect(first.headers["location"]).toBe("/admin?ok=banned");
    const after = await agent.get("/admin");
    expect(after.text).toContain("No open reports.");

    const again = await agent.post("/admin/bans").type("form").send(form);
    expect(again.status).toBe(409);
    expect(again.text).toContain("This poster is already banned from /b/");
    expect(await instance.services.store.bans.list()).toHaveLength(1);

    // Another scope is another ban.
    const everywhere = await agent
      .post("/admin/bans")
      .type("form")
      .send({ ...form, board: "" });
    expect(everywhere.status).toBe(303);
    expect(await instance.services.store.bans.list()).toHaveLength(2);
  });

  it("does the same through the admin API", async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const body = { post: `b/${reply}`, board: "b", reason: "spamming", duration: 3600 };
    const first = await request(instance.app).post("/api/v1/admin/bans").set(auth).send(body);
    expect(first.status).toBe(201);
    const reports = await request(instance.app).get("/api/v1/admin/reports").set(auth);
    expect(reports.status).toBe(200);
    expect(reports.body).toEqual([]);
    const again = await request(instance.app).post("/api/v1/admin/bans").set(auth).send(body);
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).toContain("already banned");
    // Once the first is lifted, the same ban may be placed again.
    expect((await request(instance.app).delete(`/api/v1/admin/bans/${first.body.id}`).set(auth)).status).toBe(204);
    expect((await request(instance.app).post("/api/v1/admin/bans").set(auth).send(body)).status).toBe(201);
  });
});
