import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DomainError } from "../../server/domain/errors.js";
import { toProblem } from "../../server/http/problem.js";
import { renderErrorPage } from "../../server/http/web/error-page.js";
import { html } from "../../server/http/web/html.js";
import { layout } from "../../server/http/web/layout.js";
import { makeJpeg, makePng, startTestInstance, type TestInstance } from "../support/instance.js";

/* The HTML pages readers see: boards, threads, files, escaping, errors, caching, archives, about pages. */

describe("web pages", () => {
  let instance: TestInstance;
  let jpeg: Buffer;

  beforeAll(async () => {
    instance = await startTestInstance();
    jpeg = await makeJpeg(320, 240);
    await instance.services.boards.create({ uri: "b", title: "Random", description: "Anything at all" });
    await instance.services.boards.create({ uri: "w", title: "Walls & <Stuff>", settings: { sfw: false } });
  });

  afterAll(async () => {
    await instance?.stop();
  });

  /** Posts a thread through the HTML form; returns its number. */
  async function newThread(fields: Record<string, string>, agent = request(instance.app)): Promise<number> {
    let req = agent.post("/b/post");
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    const res = await req.attach("file", jpeg, "photo.jpg");
    expect(res.status).toBe(303);
    const m = /^\/b\/thread\/(\d+)$/.exec(res.headers.location ?? "");
    expect(m).not.toBeNull();
    return Number(m?.[1]);
  }

  it("lists the boards on the home page", async () => {
    const res = await request(instance.app).get("/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.text).toContain('href="/b/"');
    expect(res.text).toContain("Random");
    expect(res.text).toContain("Anything at all");
    // Board titles are text, escaped like everything else.
    expect(res.text).toContain("Walls &amp; &lt;Stuff&gt;");
    expect(res.text).toContain("NSFW");
    expect(res.text).toContain('<meta name="viewport"');
    expect(res.text).toContain('src="/static/app.js');
  });

  it("creates a thread from the HTML form and shows it on the board index", async () => {
    const no = await newThread({ sub: "Form thread", com: "Posted from a form" });
    const index = await request(instance.app).get("/b/");
    expect(index.status).toBe(200);
    expect(index.text).toContain("Form thread");
    expect(index.text).toContain(`id="p${no}"`);
    expect(index.text).toContain(`href="/b/thread/${no}">Reply</a>`);
    expect(index.text).toContain('action="/b/post"');
    expect(index.text).toContain('enctype="multipart/form-data"');
  });

  it("shows replies, backlinks and greentext on the thread page", async () => {
    const op = await newThread({ sub: "Backlinks", com: "OP text" });
    const reply = await request(instance.app)
      .post(`/b/thread/${op}/reply`)
      .field("com", `>>${op}\n>be me\nnormal line`)
      .expect(303);
    const m = new RegExp(`^/b/thread/${op}#p(\\d+)$`).exec(reply.headers.location ?? "");
    expect(m).not.toBeNull();
    const replyNo = Number(m?.[1]);
    const page = await request(instance.app).get(`/b/thread/${op}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`id="p${replyNo}"`);
    expect(page.text).toContain(`class="quotelink backlink" href="/b/thread/${op}#p${replyNo}">&gt;&gt;${replyNo}</a>`);
    expect(page.text).toContain('<span class="quote">&gt;be me</span>');
    expect(page.text).toContain(`action="/b/thread/${op}/reply"`);
    // The reply's ActivityPub id sends browsers to its anchor.
    const redirect = await request(instance.app).get(`/b/post/${replyNo}`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe(`/b/thread/${op}#p${replyNo}`);
  });

  it("renders files: info line, thumbnail from MEDIA_URL, spoiler placeholder", async () => {
    const op = await newThread({ sub: "Catalog thread", com: "With an image" });
    const catalog = await request(instance.app).get("/b/catalog");
    expect(catalog.status).toBe(200);
    const media = instance.services.config.mediaUrl;
    const thumb = new RegExp(
      `<img src="${media.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/b/\\d+s\\.jpg" width="\\d+" height="\\d+"`,
    );
    expect(catalog.text).toMatch(thumb);
    expect(catalog.text).toContain(`href="/b/thread/${op}"`);
    expect(catalog.text).toContain("R: <b>0</b>");

    const thread = await request(instance.app).get(`/b/thread/${op}`);
    expect(thread.text).toMatch(
      /File: <a href="[^"]+\/b\/\d+\.jpg"[^>]*>photo\.jpg<\/a> <span class="file-meta">\(\d+ (KB|B), 320x240\)<\/span>/,
    );
    expect(thread.text).toContain('loading="lazy"');

    await request(instance.app)
      .post(`/b/thread/${op}/reply`)
      .field("com", "hidden picture")
      .field("spoiler", "on")
      .attach("file", await makePng(40, 40), "secret.png")
      .expect(303);
    const again = await request(instance.app).get(`/b/thread/${op}`);
    expect(again.text).toContain('src="/static/spoiler.svg"');

    const sorted = await request(instance.app).get("/b/catalog?sort=replies");
    expect(sorted.status).toBe(200);
    expect(sorted.text).toContain('<strong aria-current="true">Reply count</strong>');
  });

  it("escapes user HTML everywhere", async () => {
    const op = await newThread({ sub: "<b>bold</b>", name: "<i>name</i>", com: "<script>alert(1)</script>" });
    for (const path of [`/b/thread/${op}`, "/b/", "/b/catalog"]) {
      const res = await request(instance.app).get(path);
      expect(res.text).not.toContain("<script>alert(1)</script>");
      expect(res.text).not.toContain("<b>bold</b>");
      expect(res.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(res.text).toContain("&lt;b&gt;bold&lt;/b&gt;");
    }
    const thread = await request(instance.app).get(`/b/thread/${op}`);
    expect(thread.text).toContain("&lt;i&gt;name&lt;/i&gt;");
    // No inline script or handler anywhere: the CSP allows none.
    expect(thread.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(thread.text).not.toMatch(/\son[a-z]+=/i);
  });

  it("answers unknown boards, threads and pages with a 404 page", async () => {
    for (const path of ["/nope/", "/b/thread/999999", "/b/thread/abc", "/b/post/999999", "/b/99", "/nope/catalog"]) {
      const res = await request(instance.app).get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers["content-type"], path).toMatch(/^text\/html/);
      expect(res.text, path).toContain("404");
    }
    const res = await request(instance.app).get("/b/thread/999999");
    expect(res.text).toContain("Thread /b/999999 does not exist.");
  });

  it("redirects page 1 and the board without its slash", async () => {
    expect((await request(instance.app).get("/b/1")).headers.location).toBe("/b/");
    const bare = await request(instance.app).get("/b");
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe("/b/");
  });

  it("serves pages from the cache until what they show changes", async () => {
    const op = await newThread({ sub: "Cached", com: "cache me" });
    const other = await newThread({ sub: "Other", com: "another thread" });
    const first = await request(instance.app).get(`/b/thread/${op}`);
    const second = await request(instance.app).get(`/b/thread/${op}`);
    expect(first.headers.etag).toBeTruthy();
    expect(second.headers.etag).toBe(first.headers.etag);
    const notModified = await request(instance.app)
      .get(`/b/thread/${op}`)
      .set("If-None-Match", String(first.headers.etag));
    expect(notModified.status).toBe(304);

    // A reply in another thread leaves this thread's page alone, but changes the index.
    const indexBefore = await request(instance.app).get("/b/");
    await request(instance.app).post(`/b/thread/${other}/reply`).field("com", "elsewhere").expect(303);
    expect((await request(instance.app).get(`/b/thread/${op}`)).headers.etag).toBe(first.headers.etag);
    expect((await request(instance.app).get("/b/")).headers.etag).not.toBe(indexBefore.headers.etag);

    await request(instance.app).post(`/b/thread/${op}/reply`).field("com", "new reply").expect(303);
    const after = await request(instance.app).get(`/b/thread/${op}`);
    expect(after.headers.etag).not.toBe(first.headers.etag);
    expect(after.text).toContain("new reply");
  });

  it("shows thread status and the archive", async () => {
    const op = await newThread({ sub: "Pinned", com: "sticky and closed" });
    await instance.services.store.posts.setThreadFlags("b", op, { sticky: true, locked: true });
    const page = await request(instance.app).get(`/b/thread/${op}`);
    expect(page.text).toContain("This thread is closed");
    expect(page.text).toContain("pinned to the top");
    expect(page.text).not.toContain(`action="/b/thread/${op}/reply"`);

    const old = await newThread({ sub: "Old news", com: "archive me" });
    await instance.services.store.posts.setThreadFlags("b", old, { archived: true });
    const archived = await request(instance.app).get(`/b/thread/${old}`);
    expect(archived.text).toContain("This thread is archived");
    const archive = await request(instance.app).get("/b/archive");
    expect(archive.status).toBe(200);
    expect(archive.text).toContain("Old news");
    expect(archive.text).toContain(`href="/b/thread/${old}"`);
  });

  it("files reports from the report form", async () => {
    const op = await newThread({ sub: "Reported", com: "bad post" });
    const res = await request(instance.app).post("/b/report").type("form").send(`delete=${op}&reason=spam`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("Report sent");
    const reports = await instance.services.store.reports.listOpen(null);
    expect(reports.some((r) => r.board === "b" && r.postNo === op && r.reason === "spam")).toBe(true);

    const noReason = await request(instance.app).post("/b/report").type("form").send(`delete=${op}&reason=`);
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain("A report needs a reason.");

    // The form offers a category, kept with the report; one outside the set is a readable 400.
    expect((await request(instance.app).get(`/b/thread/${op}`)).text).toContain('<option value="illegal">');
    const other = await newThread({ sub: "Reported again", com: "worse post" });
    const kind = await request(instance.app)
      .post("/b/report")
      .type("form")
      .send(`delete=${other}&reason=law&category=illegal`);
    expect(kind.status).toBe(200);
    const filed = (await instance.services.store.reports.listOpen(null)).find((r) => r.postNo === other);
    expect(filed).toMatchObject({ reason: "law", category: "illegal" });
    const wrong = await request(instance.app)
      .post("/b/report")
      .type("form")
      .send(`delete=${other}&reason=x&category=rude`);
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("category: one of spam, illegal, rule, other.");
  });

  it("serves the about and moderation pages", async () => {
    const about = await request(instance.app).get("/about");
    expect(about.status).toBe(200);
    expect(about.text).toContain("/boards.json");
    expect(about.text).toContain('href="/about/moderation"');
    const moderation = await request(instance.app).get("/about/moderation");
    expect(moderation.status).toBe(200);
    expect(moderation.text).toContain('id="reports"');
    expect(moderation.text).toContain('id="bans"');
    expect(moderation.text).toContain("Board volunteers");
  });

  it("paginates the index", async () => {
    await instance.services.boards.create({ uri: "p", title: "Pages", settings: { threadsPerPage: 2 } });
    for (let i = 0; i < 5; i++) {
      await instance.services.posting.createThread({
        board: "p",
        comment: `thread ${i}`,
        file: { buffer: jpeg, originalName: "x.jpg" },
        ip: "10.9.9.9",
      });
    }
    const first = await request(instance.app).get("/p/");
    expect(first.text).toContain('href="/p/2"');
    expect(first.text).toContain('href="/p/3"');
    const third = await request(instance.app).get("/p/3");
    expect(third.status).toBe(200);
    expect(third.text).toContain("thread 0");
    expect((await request(instance.app).get("/p/4")).status).toBe(404);
  });

  it("cuts threads short on the index and colours poster IDs", async () => {
    await instance.services.boards.create({ uri: "id", title: "With IDs", settings: { posterIds: true } });
    const op = await instance.services.posting.createThread({
      board: "id",
      comment: "long thread",
      file: { buffer: jpeg, originalName: "x.jpg" },
      ip: "10.2.0.1",
    });
    for (let i = 0; i < 8; i++) {
      await instance.services.posting.createReply({
        board: "id",
        threadNo: op.no,
        comment: `reply ${i}`,
        ip: `10.2.0.${i + 2}`,
        ...(i < 2 ? { file: { buffer: await makePng(20 + i, 20), originalName: "p.png" } } : {}),
      });
    }
    const index = await request(instance.app).get("/id/");
    expect(index.text).toContain("3 replies and 2 images omitted.");
    expect(index.text).not.toContain("reply 2<");
    expect(index.text).toContain("reply 7");
    expect(index.text).toMatch(/<span class="poster-id hue-\d{1,2}" title="[^"]*">ID: [A-Za-z0-9+/]{8}<\/span>/);
    const thread = await request(instance.app).get(`/id/thread/${op.no}`);
    expect(thread.text).toContain("reply 2");
    expect(thread.text).toContain("8 replies · 2 images");
  });

  it("links a fediverse author's actor, and only over http(s)", async () => {
    const op = await newThread({ sub: "Federated", com: "from afar" });
    const base = {
      createdAt: Date.now(),
      trip: null,
      capcode: null,
      subject: null,
      quotes: [],
      posterId: null,
      sage: false,
      file: null,
      fileDeleted: false,
      ipHash: null,
      passwordHash: null,
    };
    const limits = { bumpLimit: 300, imageLimit: 150 };
    await instance.services.store.posts.createReply(
      "b",
      op,
      {
        ...base,
        name: "Alice",
        comment: "hi from mastodon",
        html: "hi from mastodon",
        apId: "https://mastodon.example/users/alice/statuses/1",
        fediActor: "https://mastodon.example/users/alice",
      },
      limits,
    );
    await instance.services.store.posts.createReply(
      "b",
      op,
      {
        ...base,
        name: "Mallory",
        comment: "sneaky",
        html: "sneaky",
        apId: "https://evil.example/notes/1",
        fediActor: "javascript:alert(1)",
      },
      limits,
    );
    const page = await request(instance.app).get(`/b/thread/${op}`);
    expect(page.text).toContain('href="https://mastodon.example/users/alice"');
    expect(page.text).toContain("@alice@mastodon.example");
    expect(page.text).not.toContain("javascript:");
  });

  it("renders an error page for a ban and never throws", () => {
    const problem = toProblem(
      new DomainError("forbidden", "You are banned", { ban: { reason: "<spam>", expires_at: null, board: "b" } }),
      instance.services.logger,
    );
    const page = renderErrorPage(instance.services, problem);
    expect(page).toContain("You are banned");
    expect(page).toContain("&lt;spam&gt;");
    expect(page).toContain("permanent");
    const odd = renderErrorPage(instance.services, { status: 418, title: "", detail: "", type: "x", ban: 5 });
    expect(odd).toContain("418");
    const broken = {
      get status(): number {
        throw new Error("boom");
      },
    } as never;
    expect(() => renderErrorPage(instance.services, broken)).not.toThrow();
  });

  it("exposes a layout other pages can use", () => {
    const page = layout(instance.services, { title: "Admin <x>", body: html`<p>${"<hi>"}</p>`, bodyClass: "admin" });
    expect(page).toContain("<title>Admin &lt;x&gt; - ");
    expect(page).toContain("<p>&lt;hi&gt;</p>");
    expect(page).toContain('class="admin"');
  });
});
