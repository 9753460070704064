import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csrfOf, signIn } from "../support/admin-session.js";
import { InboxScene } from "../support/inbox-scene.js";

/*
 * A board where only staff start threads (Lemmy's postingRestrictedToMods): the setting, the Group,
 * and each way a thread arrives (web form, API, federation, staff page); replies stay open.
 */

const TOKEN = "staff-only-threads-token-0123456789";
const PASSWORD = "correct horse battery";
const scene = new InboxScene({ env: { ADMIN_TOKEN: TOKEN } });
const auth = { Authorization: `Bearer ${TOKEN}` };

describe("boards where only staff start threads", () => {
  beforeAll(async () => {
    await scene.start();
    await scene.t.services.staff.createUser("owner", PASSWORD, "board_owner", ["b"]);
    await scene.t.services.staff.createUser("other", PASSWORD, "board_volunteer", ["pics"]);
  });
  afterAll(() => scene.stop());

  const api = () => request(scene.t.app);

  it("is a board setting, shown on the Group as postingRestrictedToMods", async () => {
    const before = await api().get("/ap/boards/b").set("Accept", "application/activity+json");
    expect(before.body["postingRestrictedToMods"]).toBe(false);
    const bad = await api()
      .patch("/api/v1/admin/boards/b")
      .set(auth)
      .send({ settings: { postingRestrictedToMods: "yes" } });
    expect(bad.status).toBe(400);
    const res = await api()
      .patch("/api/v1/admin/boards/b")
      .set(auth)
      .send({ settings: { postingRestrictedToMods: true } });
    expect(res.status).toBe(200);
    const group = await api().get("/ap/boards/b").set("Accept", "application/activity+json");
    expect(group.body["postingRestrictedToMods"]).toBe(true);
    expect(group.body["@context"][2]["postingRestrictedToMods"]).toBe("lemmy:postingRestrictedToMods");
  });

  it("refuses a new thread from the web form with a readable page, and the board says so", async () => {
    const page = await api().get("/b/");
    expect(page.text).toContain("Only staff start threads on /b/");
    expect(page.text).not.toContain('action="/b/post"');
    const res = await api().post("/b/post").field("com", "a thread from the street");
    expect(res.status).toBe(403);
    expect(res.type).toBe("text/html");
    expect(res.text).toContain("Only staff start threads on /b/");
    const reply = await api().post(`/b/thread/${scene.op}/reply`).field("com", "a reply is fine");
    expect(reply.status).toBe(303);
  });

  it("refuses a new thread by the API with a problem, takes replies, and an admin token's thread", async () => {
    const res = await api().post("/api/v1/boards/b/threads").send({ com: "hello" });
    expect(res.status).toBe(403);
    // /api/v1 answers in Mastodon's error shape: `error`, beside the problem's members.
    expect(res.body["error"]).toContain("Only staff start threads");
    expect(res.body["status"]).toBe(403);
    const reply = await api().post(`/api/v1/boards/b/threads/${scene.op}/replies`).send({ com: "replying" });
    expect(reply.status).toBe(201);
    const forged = await api()
      .post("/api/v1/boards/b/threads")
      .set({ Authorization: "Bearer not-a-token" })
      .send({ com: "hello" });
    expect(forged.status).toBe(401);
    const staff = await api().post("/api/v1/boards/b/threads").set(auth).send({ com: "staff announcement" });
    expect(staff.status).toBe(201);
    const other = await api().post("/api/v1/boards/pics/threads").send({ com: "needs an image still" });
    expect(other.status).toBe(400);
  });

  it("refuses a federated new thread with a Reject and takes a federated reply", async () => {
    const { alice, peer } = scene;
    const note = scene.note(alice);
    const create = scene.create(alice, note);
    const res = await scene.send(create, alice);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ type: "urn:atoll:inbox:rejected", title: "Rejected" });
    expect(String(res.body["detail"])).toContain("Only staff start threads");
    expect(await scene.postByApId(String(note["id"]))).toBeNull();
    const reject = await peer.waitFor((r) => r.body["type"] === "Reject" && r.body["inReplyTo"] === note["id"]);
    expect(reject.body).toMatchObject({ actor: scene.boardId, object: { id: create["id"], type: "Create" } });
    expect(String(reject.headers["signature"])).toContain(`keyId="${scene.boardId}#main-key"`);

    const replyNote = scene.note(alice, { inReplyTo: `${scene.t.url}/b/thread/${scene.op}` });
    const replied = await scene.send(scene.create(alice, replyNote), alice);
    expect(replied.body["title"]).toBe("Accepted");
    expect(await scene.postByApId(String(replyNote["id"]))).not.toBeNull();
  });

  it("lets signed-in staff of the board start a thread from the staff pages, and no one else", async () => {
    const { agent } = await signIn(scene.t.app, "owner", PASSWORD);
    const settings = await agent.get("/admin/boards/b");
    expect(settings.text).toContain('name="postingRestrictedToMods" value="1" checked');
    const form = await agent.get("/admin/boards/b/thread");
    expect(form.status).toBe(200);
    const csrf = csrfOf(form.text);
    const noToken = await agent.post("/admin/boards/b/thread").field("com", "no token");
    expect(noToken.status).toBe(403);
    const res = await agent.post("/admin/boards/b/thread").field("csrf", csrf).field("com", "rules of the board");
    expect(res.status).toBe(303);
    const no = Number(/\/b\/thread\/([0-9]+)/.exec(String(res.headers["location"]))?.[1]);
    expect((await scene.t.services.store.posts.getPost("b", no))?.comment).toBe("rules of the board");

    const { agent: stranger } = await signIn(scene.t.app, "other", PASSWORD);
    const strangerForm = await stranger.get("/admin/boards/b/thread");
    expect(strangerForm.status).toBe(403);
    const anon = await request(scene.t.app).post("/admin/boards/b/thread").field("com", "x");
    expect(anon.status).toBe(303);
    expect(anon.headers["location"]).toBe("/admin");
  });
});
