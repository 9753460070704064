import request from "supertest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { csrfOf, signIn as signInAs } from "../support/admin-session.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const PASSWORD = "correct horse battery";

describe("admin pages", () => {
  let instance: TestInstance;

  beforeEach(async () => {
    instance = await startTestInstance();
    await instance.services.boards.create({ uri: "b", title: "B", settings: { requireImageForThread: false } });
    await instance.services.boards.create({ uri: "g", title: "G", settings: { requireImageForThread: false } });
    await instance.services.staff.createUser("boss", PASSWORD, "admin", []);
    await instance.services.staff.createUser("vol", PASSWORD, "board_volunteer", ["b"]);
  });

  afterEach(async () => {
    await instance.stop();
  });

  const signIn = (username: string, password = PASSWORD) => signInAs(instance.app, username, password);

  it("signs in with the right password only, with a strict httpOnly session cookie", async () => {
    const anon = await request(instance.app).get("/admin");
    expect(anon.status).toBe(200);
    expect(anon.headers["cache-control"]).toBe("no-store");
    expect(anon.text).toContain('action="/admin/login"');

    const wrong = await signIn("boss", "not the password");
    expect(wrong.res.status).toBe(403);
    expect(wrong.res.text).toContain("Wrong username or password");
    expect(String(wrong.res.headers["set-cookie"] ?? "")).not.toContain("atoll_session=");

    const unknown = await signIn("nobody");
    expect(unknown.res.status).toBe(403);

    const { agent, res } = await signIn("boss");
    expect(res.status).toBe(303);
    expect(res.headers["location"]).toBe("/admin");
    const cookie = (res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("atoll_session="));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/;/);
    expect(cookie).not.toMatch(/Secure/);

    const dash = await agent.get("/admin");
    expect(dash.status).toBe(200);
    expect(dash.headers["cache-control"]).toBe("no-store");
    expect(dash.text).toContain("Signed in as <strong>boss</strong>");

    // Without the login form's token, a sign-in is refused.
    const forged = await request(instance.app)
      .post("/admin/login")
      .type("form")
      .send({ username: "boss", password: PASSWORD });
    expect(forged.status).toBe(403);
  });

  it("marks the session cookie Secure when the public URL is https", async () => {
    const https = await startTestInstance({ PUBLIC_URL: "https://atoll.example" });
    try {
      await https.services.staff.createUser("boss", PASSWORD, "admin", []);
      // Secure cookies are not sent back over plain HTTP, so the test carries the login cookie itself.
      const form = await request(https.app).get("/admin");
      const loginCookie = (form.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("atoll_login="));
      expect(loginCookie).toMatch(/; Secure/);
      const res = await request(https.app)
        .post("/admin/login")
        .set("Cookie", String(loginCookie?.split(";")[0]))
        .type("form")
        .send({ csrf: csrfOf(form.text), username: "boss", password: PASSWORD });
      expect(res.status).toBe(303);
      const cookie = (res.headers["set-cookie"] as unknown as string[]).find((c) => c.startsWith("atoll_session="));
      expect(cookie).toMatch(/; Secure/);
    } finally {
      await https.stop();
    }
  });

  it("rate-limits sign-in attempts per name and address", async () => {
    const agent = request.agent(instance.app);
    const csrf = csrfOf((await agent.get("/admin")).text);
    for (let i = 0; i < 10; i++) {
      const r = await agent
        .post("/admin/login")
        .type("form")
        .send({ csrf, username: "boss", password: `guess number ${i}` });
      expect(r.status).toBe(403);
    }
    const blocked = await agent.post("/admin/login").type("form").send({ csrf, username: "boss", password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.headers["retry-after"]).toBeDefined();
    // Another account from the same address is not locked out.
    const other = await agent.post("/admin/login").type("form").send({ csrf, username: "vol", password: PASSWORD });
    expect(other.status).toBe(303);
  });

  it("shows the reports queue and acts on it with CSRF-checked forms", async () => {
    const api = request(instance.app);
    const op = await api.post("/api/v1/boards/b/threads").send({ com: "a thread" });
    const reply = await api.post(`/api/v1/boards/b/threads/${op.body.no}/replies`).send({ com: "<b>nasty</b> words" });
    await api.post(`/api/v1/boards/b/posts/${reply.body.no}/report`).send({ reason: "breaks <rule> 1" });

    const { agent } = await signIn("boss");
    const dash = await agent.get("/admin");
    expect(dash.text).toContain("breaks &lt;rule&gt; 1");
    expect(dash.text).toContain("&lt;b&gt;nasty&lt;/b&gt; words");
    expect(dash.text).not.toContain("<b>nasty</b>");
    const csrf = csrfOf(dash.text);

    const noToken = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ board: "b", no: String(reply.body.no) });
    expect(noToken.status).toBe(403);
    const badToken = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ csrf: "x", board: "b", no: String(reply.body.no) });
    expect(badToken.status).toBe(403);
    expect(await instance.services.store.posts.getPost("b", reply.body.no)).not.toBeNull();

    const ban = await agent
      .post("/admin/bans")
      .type("form")
      .send({ csrf, back: "/admin", post: `b/${reply.body.no}`, reason: "spamming", duration: "86400", board: "b" });
    expect(ban.status).toBe(303);
    expect(ban.headers["location"]).toBe("/admin?ok=banned");
    const refused = await api.post(`/api/v1/boards/b/threads/${op.body.no}/replies`).send({ com: "again" });
    expect(refused.status).toBe(403);
    expect(refused.body.ban.reason).toBe("spamming");

    const del = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ csrf, back: "/admin", board: "b", no: String(reply.body.no) });
    expect(del.status).toBe(303);
    expect(del.headers["location"]).toBe("/admin?ok=deleted");
    expect(await instance.services.store.posts.getPost("b", reply.body.no)).toBeNull();
    const after = await agent.get("/admin?ok=deleted");
    expect(after.text).toContain("Post deleted.");
    expect(after.text).toContain("No open reports");

    const bans = await agent.get("/admin/bans");
    expect(bans.text).toContain("spamming");
    const banId = (await instance.services.moderation.listBans({ username: "boss", role: "admin", boards: [] }))[0]!.id;
    const lift = await agent.post(`/admin/bans/${banId}/lift`).type("form").send({ csrf, back: "/admin/bans" });
    expect(lift.status).toBe(303);
    expect(lift.headers["location"]).toBe("/admin/bans?ok=lifted");
    expect((await api.post(`/api/v1/boards/b/threads/${op.body.no}/replies`).send({ com: "forgiven" })).status).toBe(
      201,
    );

    // An outside `back` is never followed.
    const flags = await agent
      .post("/admin/threads/flags")
      .type("form")
      .send({ csrf, back: "https://evil.example/", board: "b", no: String(op.body.no), sticky: "1" });
    expect(flags.headers["location"]).toBe("/admin?ok=thread_saved");
    expect((await instance.services.store.posts.getThread("b", op.body.no))?.sticky).toBe(true);

    const lookup = await agent.get(`/admin/threads?board=b&no=${op.body.no}`);
    expect(lookup.status).toBe(200);
    expect(lookup.text).toContain("a thread");
    expect(lookup.text).toMatch(/name="sticky" value="1" checked/);
  });

  it("lets admins manage boards, staff and tokens; the token is shown once", async () => {
    const { agent } = await signIn("boss");
    const csrf = csrfOf((await agent.get("/admin/boards")).text);

    const board = await agent
      .post("/admin/boards")
      .type("form")
      .send({ csrf, uri: "tech", title: "Technology", description: "" });
    expect(board.status).toBe(303);
    expect((await instance.services.store.boards.get("tech"))?.settings.sfw).toBe(false);
    const badBoard = await agent.post("/admin/boards").type("form").send({ csrf, uri: "Bad Name", title: "X" });
    expect(badBoard.status).toBe(400);

    const settingsPage = await agent.get("/admin/boards/tech");
    expect(settingsPage.status).toBe(200);
    const form: Record<string, string | string[]> = {
      csrf,
      title: "Tech",
      description: "Computers",
      defaultName: "Anon",
      bumpLimit: "200",
      maxThreads: "100",
      imageLimit: "100",
      threadsPerPage: "15",
      maxFileSize: "1048576",
      maxFiles: "3",
      maxVideoDuration: "300",
      maxCommentLength: "2000",
      threadCooldown: "30",
      replyCooldown: "5",
      sfw: "1",
      allowedTypes: ["image/png", "image/jpeg"],
    };
    const saved = await agent.post("/admin/boards/tech/settings").type("form").send(form);
    expect(saved.status).toBe(303);
    const tech = await instance.services.store.boards.get("tech");
    expect(tech).toMatchObject({ title: "Tech", description: "Computers" });
    expect(tech?.settings).toMatchObject({
      bumpLimit: 200,
      threadsPerPage: 15,
      sfw: true,
      forcedAnon: false,
      defaultName: "Anon",
    });
    expect(tech?.settings.allowedTypes.sort()).toEqual(["image/jpeg", "image/png"]);

    const delNoConfirm = await agent.post("/admin/boards/tech/delete").type("form").send({ csrf });
    expect(delNoConfirm.status).toBe(400);
    expect((await agent.post("/admin/boards/tech/delete").type("form").send({ csrf, confirm: "yes" })).status).toBe(
      303,
    );
    expect(await instance.services.store.boards.get("tech")).toBeNull();

    const user = await agent
      .post("/admin/users")
      .type("form")
      .send({ csrf, username: "owner", password: "another long password", role: "board_owner", boards: ["b", "g"] });
    expect(user.status).toBe(303);
    expect(await instance.services.store.users.get("owner")).toMatchObject({ role: "board_owner", boards: ["b", "g"] });
    const users = await agent.get("/admin/users");
    expect(users.text).toContain("owner");
    expect(users.text).not.toContain("argon2");
    expect((await agent.post("/admin/users/boss/delete").type("form").send({ csrf })).status).toBe(400);
    expect((await agent.post("/admin/users/owner/delete").type("form").send({ csrf })).status).toBe(303);
    expect(await instance.services.store.users.get("owner")).toBeNull();

    const minted = await agent.post("/admin/tokens").type("form").send({ csrf, label: "blocklist sync" });
    expect(minted.status).toBe(200);
    expect(minted.headers["cache-control"]).toBe("no-store");
    const token = /<code class="admin-token">([^<]+)<\/code>/.exec(minted.text)?.[1] as string;
    expect(token).toMatch(/^atoll_/);
    expect(await instance.services.staff.verifyBearer(token)).toBe(true);
    const tokens = await agent.get("/admin/tokens");
    expect(tokens.text).toContain("blocklist sync");
    expect(tokens.text).not.toContain(token);
    const id = (await instance.services.staff.listTokens())[0]?.id as string;
    expect((await agent.post(`/admin/tokens/${id}/delete`).type("form").send({ csrf })).status).toBe(303);
    expect(await instance.services.staff.verifyBearer(token)).toBe(false);
  });

  it("keeps board volunteers to their boards and away from instance management", async () => {
    const api = request(instance.app);
    const onG = await api.post("/api/v1/boards/g/threads").send({ com: "on g" });
    const onB = await api.post("/api/v1/boards/b/threads").send({ com: "on b" });
    await api.post(`/api/v1/boards/g/posts/${onG.body.no}/report`).send({ reason: "g report" });
    await api.post(`/api/v1/boards/b/posts/${onB.body.no}/report`).send({ reason: "b report" });

    const { agent, res } = await signIn("vol");
    expect(res.status).toBe(303);
    const dash = await agent.get("/admin");
    expect(dash.text).toContain("b report");
    expect(dash.text).not.toContain("g report");
    expect(dash.text).not.toContain('href="/admin/users"');
    const csrf = csrfOf(dash.text);

    expect((await agent.get("/admin/users")).status).toBe(403);
    expect((await agent.get("/admin/tokens")).status).toBe(403);
    expect((await agent.get("/admin/boards")).status).toBe(403);
    expect((await agent.get("/admin/boards/b")).status).toBe(403);
    expect((await agent.post("/admin/tokens").type("form").send({ csrf, label: "mine" })).status).toBe(403);
    expect((await agent.post("/admin/boards").type("form").send({ csrf, uri: "new", title: "New" })).status).toBe(403);
    expect(await instance.services.store.boards.get("new")).toBeNull();

    const other = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ csrf, board: "g", no: String(onG.body.no) });
    expect(other.status).toBe(403);
    expect(await instance.services.store.posts.getPost("g", onG.body.no)).not.toBeNull();
    const own = await agent
      .post("/admin/posts/delete")
      .type("form")
      .send({ csrf, board: "b", no: String(onB.body.no) });
    expect(own.status).toBe(303);
    expect(await instance.services.store.posts.getPost("b", onB.body.no)).toBeNull();
  });

  it("lets a board owner add and take off its board's volunteers, and nothing more", async () => {
    await instance.services.staff.createUser("owner", PASSWORD, "board_owner", ["b"]);
    await instance.services.staff.createUser("gvol", PASSWORD, "board_volunteer", ["g"]);
    await instance.services.staff.createUser("mod", PASSWORD, "global_mod", []);
    const { agent } = await signIn("owner");
    const page = await agent.get("/admin/boards/b");
    expect(page.status).toBe(200);
    expect(page.text).toContain('<section id="volunteers">');
    expect(page.text).toContain("<td>vol</td>");
    const csrf = csrfOf(page.text);
    const add = (body: Record<string, string>, board = "b") =>
      agent
        .post(`/admin/boards/${board}/volunteers`)
        .type("form")
        .send({ csrf, ...body });

    // A new volunteer account for /b/, which can sign in and moderate /b/ only.
    expect((await add({ username: "newvol", password: "a long enough password" })).status).toBe(303);
    expect(await instance.services.store.users.get("newvol")).toMatchObject({
      role: "board_volunteer",
      boards: ["b"],
    });
    expect((await signIn("newvol", "a long enough password")).res.status).toBe(303);
    // An existing volunteer of another board gains /b/ too.
    expect((await add({ username: "gvol" })).status).toBe(303);
    expect((await instance.services.store.users.get("gvol"))?.boards).toEqual(["g", "b"]);
    // Not: a new account without a password, another role's account, another board's volunteers.
    expect((await add({ username: "nopass" })).status).toBe(400);
    expect(await instance.services.store.users.get("nopass")).toBeNull();
    const mod = await add({ username: "mod" });
    expect(mod.status).toBe(409);
    expect((await instance.services.store.users.get("mod"))?.role).toBe("global_mod");
    expect((await add({ username: "sneaky", password: "a long enough password" }, "g")).status).toBe(403);
    expect(await instance.services.store.users.get("sneaky")).toBeNull();

    // Taking one off: off /b/ only when it has other boards, the account gone when it had only /b/.
    const remove = (who: string, board = "b") =>
      agent.post(`/admin/boards/${board}/volunteers/${who}/remove`).type("form").send({ csrf });
    expect((await remove("gvol")).status).toBe(303);
    expect((await instance.services.store.users.get("gvol"))?.boards).toEqual(["g"]);
    expect((await remove("newvol")).status).toBe(303);
    expect(await instance.services.store.users.get("newvol")).toBeNull();
    expect((await remove("gvol", "g")).status).toBe(403);
    expect((await remove("mod")).status).toBe(404);
    expect((await instance.services.store.users.get("mod"))?.role).toBe("global_mod");

    // Without the form token, nothing happens.
    const forged = await agent
      .post("/admin/boards/b/volunteers")
      .type("form")
      .send({ username: "forged", password: "a long enough password" });
    expect(forged.status).toBe(403);
    expect(await instance.services.store.users.get("forged")).toBeNull();
  });

  it("signs out: the session no longer works", async () => {
    const { agent } = await signIn("boss");
    const dash = await agent.get("/admin");
    const csrf = csrfOf(dash.text);
    const cookie = (await agent.get("/admin")).request.cookies;
    expect(cookie).toContain("atoll_session=");

    const out = await agent.post("/admin/logout").type("form").send({ csrf });
    expect(out.status).toBe(303);
    const after = await agent.get("/admin");
    expect(after.text).toContain('action="/admin/login"');

    // Replaying the old cookie does not sign anyone in.
    const replay = await request(instance.app).get("/admin/bans").set("Cookie", String(cookie));
    expect(replay.status).toBe(303);
    expect(replay.headers["location"]).toBe("/admin");
  });
});
