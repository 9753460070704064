import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../support/admin-session.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

/* Where the pages lead: replies by number, the way back from errors and notices, an empty instance. */

describe("page navigation and notices", () => {
  let instance: TestInstance;
  let op: number;
  let reply: number;

  beforeAll(async () => {
    instance = await startTestInstance();
  });

  afterAll(async () => {
    await instance?.stop();
  });

  it("tells the operator of an empty instance how to create a board", async () => {
    const home = await request(instance.app).get("/");
    expect(home.status).toBe(200);
    expect(home.text).toContain("There are no boards yet.");
    expect(home.text).toContain('npx atoll board create b --title "Random"');
    expect(home.text).toContain('<a href="/admin">admin pages</a>');
    // Once a board exists, the list replaces the advice.
    await instance.services.boards.create({ uri: "b", title: "Random", settings: { maxFileSize: 2 * 1024 * 1024 } });
    const listed = await request(instance.app).get("/");
    expect(listed.text).not.toContain("There are no boards yet.");
    expect(listed.text).toContain('href="/b/"');
    const api = request(instance.app);
    op = (
      await api
        .post("/api/v1/boards/b/threads")
        .field("com", "op")
        .attach("file", await makeJpeg(), "a.jpg")
    ).body.no;
    reply = (await api.post(`/api/v1/boards/b/threads/${op}/replies`).send({ com: "a reply" })).body.no;
    expect(reply).toBeGreaterThan(op);
  });

  it("sends a reply's number in a thread's place to the reply in its thread, and keeps the JSON a 404", async () => {
    const res = await request(instance.app).get(`/b/thread/${reply}`);
    expect(res.status).toBe(302);
    expect(res.headers["location"]).toBe(`/b/thread/${op}#p${reply}`);
    expect((await request(instance.app).get(`/b/thread/${op}`)).status).toBe(200);
    expect((await request(instance.app).get(`/b/thread/${reply}.json`)).status).toBe(404);
    expect((await request(instance.app).get(`/b/thread/${reply + 100}`)).status).toBe(404);
  });

  it("leads back from an error to the board or thread the request was about, never elsewhere", async () => {
    const backOf = (text: string) => /<a href="([^"]*)" data-back>([^<]*)<\/a>/.exec(text)?.slice(1, 3);
    // A missing thread: back to its board.
    const missing = await request(instance.app).get("/b/thread/99999");
    expect(missing.status).toBe(404);
    expect(backOf(missing.text)).toEqual(["/b/", "Back to /b/"]);
    // A refused reply: back to the thread.
    const refused = await request(instance.app).post(`/b/thread/${op}/reply`).field("com", "");
    expect(refused.status).toBe(400);
    expect(backOf(refused.text)).toEqual([`/b/thread/${op}`, "Back to the thread"]);
    // A board that does not exist, or a path that is none: home; a Referer elsewhere changes nothing.
    const nowhere = await request(instance.app).get("/zz/thread/1").set("Referer", "https://evil.example/");
    expect(backOf(nowhere.text)).toEqual(["/", "Go back"]);
    expect(backOf((await request(instance.app).get("//evil.example/b/")).text)?.[0]).toBe("/");
  });

  it("shows the file limit in one unit system in the form and in the error", async () => {
    const page = await request(instance.app).get("/b/");
    expect(page.text).toContain("up to 2 MB each, 4 files at most.");
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 1);
    const refused = await request(instance.app).post("/b/post").field("com", "big").attach("file", big, "big.jpg");
    expect(refused.status).toBe(413);
    expect(refused.text).toContain("A file is larger than 2 MB.");
    const api = await request(instance.app)
      .post("/api/v1/boards/b/threads")
      .field("com", "big")
      .attach("file", big, "big.jpg");
    expect(api.body.detail).toBe("A file is larger than 2 MB.");
    // The board settings take bytes, and say what that is in the same units.
    await instance.services.staff.createUser("boss", "correct horse battery", "admin", []);
    const { agent } = await signIn(instance.app, "boss", "correct horse battery");
    const settings = await agent.get("/admin/boards/b");
    expect(settings.status).toBe(200);
    expect(settings.text).toContain('name="maxFileSize" type="number" min="0" required value="2097152"');
    expect(settings.text).toContain("Now 2 MB (1 MB = 1048576 bytes).");
  });

  it("shows a report's confirmation as a notice within a normal page", async () => {
    const res = await request(instance.app)
      .post("/b/report")
      .type("form")
      .send({ delete: String(reply), reason: "spam" });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<body class="notice-result"/);
    expect(res.text).toContain('<div class="notice" role="status">');
    expect(res.text).toContain('aria-current="page">b</a>');
    expect(res.text).toContain(`Reported No. ${reply}`);
  });

  it("serves the stylesheet and scripts gzipped, with their caching headers", async () => {
    // theme.js is under a kilobyte, below where compressing pays.
    for (const file of ["style.css", "app.js"]) {
      // supertest inflates the body; the headers say what was sent.
      const res = await request(instance.app).get(`/static/${file}`).set("Accept-Encoding", "gzip");
      expect(res.status, file).toBe(200);
      expect(res.headers["content-encoding"], file).toBe("gzip");
      expect(res.headers["vary"], file).toMatch(/Accept-Encoding/i);
      expect(res.headers["cache-control"], file).toBe("public, max-age=86400");
      expect(res.headers["etag"], file).toBeDefined();
      const raw = await request(instance.app).get(`/static/${file}`).set("Accept-Encoding", "identity");
      expect(raw.headers["content-encoding"], file).toBeUndefined();
      expect(Number(raw.headers["content-length"]), file).toBeGreaterThan(1000);
      expect(res.text, file).toBe(raw.text);
    }
  });
});
