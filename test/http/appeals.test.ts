import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PASSWORD = "correct horse battery";
const TOKEN = "t".repeat(32);
const POSTER = "203.0.113.7";
const STRANGER = "198.51.100.9";
const auth = { Authorization: `Bearer ${TOKEN}` };

/* Ban appeals: the banned poster appeals once, staff answer, and the poster reads the answer. */

describe("ban appeals", () => {
  let instance: TestInstance;
  let banId: string;

  const post = (ip: string) =>
    request(instance.app).post("/api/v1/boards/b/threads").set("X-Forwarded-For", ip).send({ com: "again" });

  beforeEach(async () => {
    instance = await startTestInstance({ ADMIN_TOKEN: TOKEN, TRUST_PROXY: "on", RATE_LIMIT: "off" });
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    await instance.services.boards.create({ uri: "c", title: "C", settings: { requireImageForThread: false } });
    const op = await post(POSTER);
    expect(op.status).toBe(201);
    const ban = await request(instance.app)
      .post("/api/v1/admin/bans")
      .set(auth)
      .send({ post: `b/${op.body.no}`, board: "b", reason: "flooding" });
    expect(ban.status).toBe(201);
    banId = ban.body.id;
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("carries the ban's id in the problem, takes one appeal, and shows the rejection to the poster", async () => {
    const refused = await post(POSTER);
    expect(refused.status).toBe(403);
    expect(refused.body.ban).toMatchObject({ id: banId, reason: "flooding", board: "b", appeal: null });

    // The page the browser gets carries the appeal form.
    const page = await request(instance.app)
      .post("/b/post")
      .set("X-Forwarded-For", POSTER)
      .set("Accept", "text/html")
      .field("com", "again");
    expect(page.status).toBe(403);
    expect(page.text).toContain('action="/api/v1/appeals"');
    expect(page.text).toContain(`name="ban_id" value="${banId}"`);

    // Someone else cannot appeal it, nor learn that it exists.
    const stranger = await request(instance.app)
      .post("/api/v1/appeals")
      .set("X-Forwarded-For", STRANGER)
      .send({ ban_id: banId, text: "let them go" });
    expect(stranger.status).toBe(404);
    expect((await request(instance.app).get(`/about/bans/${banId}`).set("X-Forwarded-For", STRANGER)).status).toBe(404);

    const empty = await request(instance.app)
      .post("/api/v1/appeals")
      .set("X-Forwarded-For", POSTER)
      .send({ ban_id: banId, text: "  " });
    expect(empty.status).toBe(400);

    const filed = await request(instance.app)
      .post("/api/v1/appeals")
      .set("X-Forwarded-For", POSTER)
      .send({ ban_id: banId, text: "I posted twice by mistake." });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ ban_id: banId, status: "open" });
    const again = await request(instance.app)
      .post("/api/v1/appeals")
      .set("X-Forwarded-For", POSTER)
      .send({ ban_id: banId, text: "Please?" });
    expect(again.status).toBe(409);

    const listed = await request(instance.app).get("/api/v1/admin/appeals").set(auth);
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({
      id: filed.body.id,
      ban_id: banId,
      board: "b",
      ban_reason: "flooding",
      text: "I posted twice by mistake.",
      status: "open",
    });
    expect(listed.body[0]).not.toHaveProperty("ip_hash");

    const noReason = await request(instance.app)
      .post(`/api/v1/admin/appeals/${filed.body.id}/reject`)
      .set(auth)
      .send({});
    expect(noReason.status).toBe(400);
    const rejected = await request(instance.app)
      .post(`/api/v1/admin/appeals/${filed.body.id}/reject`)
      .set(auth)
      .send({ reason: "Twelve threads is not a mistake." });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: "rejected", reason: "Twelve threads is not a mistake." });
    const twice = await request(instance.app)
      .post(`/api/v1/admin/appeals/${filed.body.id}/accept`)
      .set(auth)
      .send({ reason: "changed my mind" });
    expect(twice.status).toBe(409);

    const stillBanned = await post(POSTER);
    expect(stillBanned.status).toBe(403);
    expect(stillBanned.body.ban.appeal).toEqual({ status: "rejected", reason: "Twelve threads is not a mistake." });
    const banPage = await request(instance.app).get(`/about/bans/${banId}`).set("X-Forwarded-For", POSTER);
    expect(banPage.status).toBe(200);
    expect(banPage.text).toContain("Your appeal was rejected");
    expect(banPage.text).toContain("Twelve threads is not a mistake.");
    expect(banPage.text).not.toContain('action="/api/v1/appeals"');
    expect((await request(instance.app).get("/api/v1/admin/appeals").set(auth)).body).toEqual([]);
    expect((await request(instance.app).get("/api/v1/admin/appeals?all=true").set(auth)).body).toHaveLength(1);
  });

  it("lifts the ban on an accepted appeal sent by the form, answered on the staff page", async () => {
    const sent = await request(instance.app)
      .post("/api/v1/appeals")
      .set("X-Forwarded-For", POSTER)
      .set("Accept", "text/html")
      .type("form")
      .send({ ban_id: banId, text: "Sorry." });
    expect(sent.status).toBe(303);
    expect(sent.headers["location"]).toBe(`/about/bans/${banId}`);

    await instance.services.staff.createUser("owner", PASSWORD, "board_owner", ["c"]);
    await instance.services.staff.createUser("boss", PASSWORD, "admin", []);
    // A board owner of another board sees nothing of it.
    const other = await signIn(instance.app, "owner", PASSWORD);
    const otherPage = await other.agent.get("/admin/appeals");
    expect(otherPage.text).toContain("No appeals are waiting.");

    const { agent } = await signIn(instance.app, "boss", PASSWORD);
    const staffPage = await agent.get("/admin/appeals");
    expect(staffPage.status).toBe(200);
    expect(staffPage.text).toContain("Sorry.");
    const appealId = (await instance.services.store.appeals.forBan(banId))?.id ?? "";
    const csrf = csrfOf(staffPage.text);
    const denied = await other.agent
      .post(`/admin/appeals/${appealId}/accept`)
      .type("form")
      .send({ csrf: csrfOf(otherPage.text), back: "/admin/appeals", reason: "ok" });
    expect(denied.status).toBe(404);
    const accepted = await agent
      .post(`/admin/appeals/${appealId}/accept`)
      .type("form")
      .send({ csrf, back: "/admin/appeals", reason: "One more chance." });
    expect(accepted.status).toBe(303);
    expect(accepted.headers["location"]).toBe("/admin/appeals?ok=appeal_accepted");

    expect((await post(POSTER)).status).toBe(201);
    expect(await instance.services.store.bans.list()).toEqual([]);
    const banPage = await request(instance.app).get(`/about/bans/${banId}`).set("X-Forwarded-For", POSTER);
    expect(banPage.status).toBe(200);
    expect(banPage.text).toContain("Your appeal was accepted");
    expect(banPage.text).toContain("One more chance.");
  });
});
