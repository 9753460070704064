import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const PASSWORD = "correct horse battery";

/* The staff pages of media bans: "Delete and ban this file" from the reports queue, the list, lifting. */

describe("media ban pages", () => {
  let instance: TestInstance;
  let jpeg: Buffer;
  let no: number;

  beforeEach(async () => {
    instance = await startTestInstance();
    await instance.services.boards.create({ uri: "b", title: "B" });
    await instance.services.staff.createUser("boss", PASSWORD, "admin", []);
    await instance.services.staff.createUser("helper", PASSWORD, "board_volunteer", ["b"]);
    jpeg = await makeJpeg(100, 80);
    const api = request(instance.app);
    no = (await api.post("/api/v1/boards/b/threads").field("com", "bad").attach("file", jpeg, "a.jpg")).body.no;
    expect((await api.post(`/api/v1/boards/b/posts/${no}/report`).send({ reason: "bad file" })).status).toBe(202);
  });

  afterEach(async () => {
    await instance.stop();
  });

  it("deletes and bans a file from the reports queue, lists the ban and lifts it", async () => {
    const { agent } = await signIn(instance.app, "boss", PASSWORD);
    const dash = await agent.get("/admin");
    expect(dash.text).toContain("Delete and ban this file");
    expect(dash.text).toContain('href="/admin/media-bans"');
    const csrf = csrfOf(dash.text);

    const done = await agent
      .post("/admin/media-bans/post")
      .type("form")
      .send({ csrf, back: "/admin", board: "b", no: String(no) });
    expect(done.status).toBe(303);
    expect(done.headers["location"]).toBe("/admin?ok=file_banned");
    expect((await instance.services.store.posts.getPost("b", no))?.fileDeleted).toBe(true);
    expect((await agent.get("/admin")).text).toContain("No open reports.");
    const again = await request(instance.app)
      .post(`/api/v1/boards/b/threads/${no}/replies`)
      .attach("file", jpeg, "a.jpg");
    expect(again.status).toBe(403);

    const list = await agent.get("/admin/media-bans");
    expect(list.status).toBe(200);
    // The file's digest and its likeness.
    const bans = await instance.services.store.mediaBans.list();
    expect(bans.map((b) => b.kind).sort()).toEqual(["pdq", "sha256"]);
    for (const ban of bans) {
      expect(list.text).toContain(ban.hash);
      const lifted = await agent
        .post(`/admin/media-bans/${ban.id}/lift`)
        .type("form")
        .send({ csrf, back: "/admin/media-bans" });
      expect(lifted.status).toBe(303);
    }
    expect(await instance.services.store.mediaBans.list()).toEqual([]);

    const added = await agent
      .post("/admin/media-bans")
      .type("form")
      .send({
        csrf,
        back: "/admin/media-bans",
        kind: "pdq",
        hash: "e".repeat(64),
        distance: "12",
        reason: "look-alike",
      });
    expect(added.status).toBe(303);
    expect(await instance.services.store.mediaBans.list()).toEqual([
      expect.objectContaining({ kind: "pdq", hash: "e".repeat(64), distance: 12, createdBy: "boss" }),
    ]);
    const bad = await agent
      .post("/admin/media-bans")
      .type("form")
      .send({ csrf, back: "/admin/media-bans", kind: "sha256", hash: "xyz" });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("sha256: 64 hexadecimal digits");
  });

  it("lets a board volunteer delete and ban a file on their board, but not manage the list", async () => {
    const { agent } = await signIn(instance.app, "helper", PASSWORD);
    const dash = await agent.get("/admin");
    expect(dash.text).not.toContain('href="/admin/media-bans"');
    const csrf = csrfOf(dash.text);
    expect((await agent.get("/admin/media-bans")).status).toBe(403);
    const done = await agent
      .post("/admin/media-bans/post")
      .type("form")
      .send({ csrf, back: "/admin", board: "b", no: String(no) });
    expect(done.status).toBe(303);
    expect((await instance.services.store.mediaBans.list()).map((b) => b.kind).sort()).toEqual(["pdq", "sha256"]);
  });
});
