import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cookieValue, setCookieHeader } from "../support/cookies.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/* Posting and deleting through the HTML forms: errors shown as pages, where posters are sent, passwords. */

describe("web pages", () => {
  let instance: TestInstance;
  let jpeg: Buffer;

  beforeAll(async () => {
    instance = await startTestInstance();
    jpeg = await makeJpeg(320, 240);
    await instance.services.boards.create({ uri: "b", title: "Random", description: "Anything at all" });
  });

  afterAll(async () => {
    await instance?.stop();
  });

  it("shows a form error as an HTML page with its status, not JSON", async () => {
    const res = await request(instance.app).post("/b/post").field("sub", "no image").field("com", "text only");
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.text).toContain("A new thread needs an image.");
    expect(res.text).toContain("<!doctype html>");
  });

  it("sends nonoko posters back to the board", async () => {
    const res = await request(instance.app)
      .post("/b/post")
      .field("com", "bye")
      .field("email", "nonoko")
      .attach("file", jpeg, "a.jpg");
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/b/");
  });

  it("deletes with the remembered password, and refuses a wrong one", async () => {
    const agent = request.agent(instance.app);
    const first = await agent.post("/b/post").field("com", "mine").attach("file", jpeg, "a.jpg");
    expect(first.status).toBe(303);
    const cookie = setCookieHeader(first, "atoll_pw");
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookieValue(first, "atoll_pw")).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const op = Number(/(\d+)$/.exec(first.headers.location ?? "")?.[1]);
    const reply = await agent.post(`/b/thread/${op}/reply`).field("com", "my reply").expect(303);
    // The cookie is reused, not replaced.
    expect(cookieValue(reply, "atoll_pw")).toBeNull();
    const replyNo = Number(/#p(\d+)$/.exec(reply.headers.location ?? "")?.[1]);

    const stranger = await request(instance.app)
      .post("/b/delete")
      .type("form")
      .send({ delete: String(replyNo), password: "guess" });
    expect(stranger.status).toBe(403);
    expect(stranger.headers["content-type"]).toMatch(/^text\/html/);
    expect(stranger.text).toContain("Wrong password");

    const none = await agent.post("/b/delete").type("form").send({ password: "" });
    expect(none.status).toBe(400);

    const ok = await agent.post("/b/delete").type("form").send(`delete=${replyNo}&password=`);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain(`Deleted No. ${replyNo}.`);
    expect(await instance.services.store.posts.getPost("b", replyNo)).toBeNull();

    // Deleting only the OP's file keeps the post and shows "File deleted."
    const fileOnly = await agent.post("/b/delete").type("form").send(`delete=${op}&file_only=on`);
    expect(fileOnly.status).toBe(200);
    const page = await request(instance.app).get(`/b/thread/${op}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("File deleted.");
  });

  it("uses a typed password over the cookie", async () => {
    const res = await request(instance.app)
      .post("/b/post")
      .field("com", "typed")
      .field("password", "hunter22")
      .attach("file", jpeg, "a.jpg");
    expect(res.status).toBe(303);
    expect(cookieValue(res, "atoll_pw")).toBeNull();
    const op = Number(/(\d+)$/.exec(res.headers.location ?? "")?.[1]);
    const del = await request(instance.app).post("/b/delete").type("form").send(`delete=${op}&password=hunter22`);
    expect(del.status).toBe(200);
    expect(await instance.services.store.posts.getThread("b", op)).toBeNull();
  });
});
