import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { domainBlock } from "../support/domain-rules.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import {
  BAD,
  type FourchanPost,
  type Pages,
  QUIET,
  reader,
  seedBoards,
  setRules,
  threadNos,
} from "../support/visibility-boards.js";

/*
 * What readers see of posts from a limited (silenced) server: left out of listings and the JSON API
 * unless the reader opts in, and still there by direct link.
 * Real app, real SQLite store, remote posts stored as the inbox stores them.
 */

const block = domainBlock;

describe("what readers see of posts from limited and suspended servers", () => {
  let t: TestInstance;
  let now = Date.UTC(2030, 0, 1);
  const clock = () => now;
  let get: (path: string, cookie?: string) => request.Test;
  // Thread and post numbers on /b/.
  let alpha: number;
  let quietReplyInAlpha: number;
  let quietThread: number;
  let quietThreadQuietReply: number;
  let quietArchived: number;

  beforeAll(async () => {
    t = await startTestInstance({}, { clock });
    get = reader(t);
    ({ alpha, quietReplyInAlpha, quietThread, quietThreadQuietReply, quietArchived } = await seedBoards(t, () => {
      now += 1000;
    }));
  });

  afterAll(async () => {
    await t?.stop();
  });

  afterEach(() => setRules(t));

  describe("a limited (silenced) server", () => {
    // The suspension too, so that the last replies of the index include the limited one.
    const silence = () => setRules(t, { blocks: [block(QUIET, "silence"), block(BAD, "suspend")] });

    it("is left out of listings, with a toggle to show it", async () => {
      silence();
      const index = await get("/b/");
      expect(index.text).not.toContain("QUIET-OP");
      expect(index.text).not.toContain("QUIET-REPLY-IN-ALPHA");
      expect(index.text).toContain("FINE-OP");
      // The index shows the last five replies it may: the limited one is not among them.
      expect(index.text).toContain("ALPHA-R2.");
      expect(index.text).toContain('<form class="limited-toggle" method="post" action="/b/limited">');
      expect(index.text).toContain('name="return" value="/b/"');
      expect(index.text).toContain('name="show" value="1"');
      expect(index.text).toContain("Show posts from limited servers");

      const catalog = await get("/b/catalog?sort=replies");
      expect(catalog.text).not.toContain("QUIET-OP");
      expect(catalog.text).toContain('name="return" value="/b/catalog?sort=replies"');

      const archive = await get("/b/archive");
      expect(archive.text).not.toContain("QUIET-ARCHIVED");
      expect(archive.text).toContain("LOCAL-ARCHIVED");
    });

    it("shows for a reader who opts in by query or by cookie", async () => {
      silence();
      for (const [path, cookie] of [
        ["/b/?show_limited=1", undefined],
        ["/b/", "show_limited=1"],
      ] as const) {
        const index = await get(path, cookie);
        expect(index.text).toContain("QUIET-OP");
        expect(index.text).toContain("QUIET-REPLY-IN-ALPHA");
        expect(index.text).toContain('class="badge badge-limited"');
        expect(index.text).toContain("Hide posts from limited servers");
        expect(index.text).toContain('name="show" value="0"');
      }
      expect((await get("/b/catalog", "show_limited=1")).text).toContain("QUIET-OP");
      expect((await get("/b/archive?show_limited=1")).text).toContain("QUIET-ARCHIVED");
      // The query wins over the cookie, either way.
      expect((await get("/b/?show_limited=0", "show_limited=1")).text).not.toContain("QUIET-OP");
      // The opted-in variant is never served to a reader who has not opted in.
      expect((await get("/b/")).text).not.toContain("QUIET-OP");
      // Junk is no opt-in.
      expect((await get("/b/?show_limited=%3Cx%3E", "show_limited=maybe")).text).not.toContain("QUIET-OP");
    });

    it("is left out of the JSON API unless the reader opts in", async () => {
      silence();
      for (const [suffix, cookie, shown] of [
        ["", undefined, false],
        ["?show_limited=1", undefined, true],
        ["", "show_limited=1", true],
      ] as const) {
        const threads = threadNos((await get(`/b/threads.json${suffix}`, cookie)).body as Pages);
        expect(threads.includes(quietThread)).toBe(shown);
        const catalog = (await get(`/b/catalog.json${suffix}`, cookie)).body as Pages;
        expect(threadNos(catalog).includes(quietThread)).toBe(shown);
        const alphaEntry = catalog.flatMap((p) => p.threads).find((e) => e.no === alpha);
        expect((alphaEntry?.last_replies ?? []).some((r) => r.no === quietReplyInAlpha)).toBe(shown);
        const page = (await get(`/b/1.json${suffix}`, cookie)).body as { threads: Array<{ posts: FourchanPost[] }> };
        expect(page.threads.some((th) => th.posts[0]?.no === quietThread)).toBe(shown);
        const json = await get(`/b/thread/${quietThread}.json${suffix}`, cookie);
        expect(json.status).toBe(shown ? 200 : 404);
        const alphaJson = (await get(`/b/thread/${alpha}.json${suffix}`, cookie)).body as { posts: FourchanPost[] };
        expect(alphaJson.posts.some((x) => x.no === quietReplyInAlpha)).toBe(shown);
        const archive = (await get(`/b/archive.json${suffix}`, cookie)).body as number[];
        expect(archive.includes(quietArchived)).toBe(shown);
      }
    });

    it("opens its thread by direct link, with a notice, and its replies only with the opt-in", async () => {
      silence();
      const page = await get(`/b/thread/${quietThread}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain("QUIET-OP");
      expect(page.text).toContain('class="notice notice-limited"');
      expect(page.text).toContain("QUIET-THREAD-LOCAL-REPLY");
      expect(page.text).not.toContain("QUIET-THREAD-QUIET-REPLY");
      expect(page.text).toContain('name="return" value="/b/thread/');
      const opted = await get(`/b/thread/${quietThread}`, "show_limited=1");
      expect(opted.text).toContain("QUIET-THREAD-QUIET-REPLY");
      expect(opted.text).toContain(`id="p${quietThreadQuietReply}"`);

      const alphaPage = await get(`/b/thread/${alpha}`);
      expect(alphaPage.text).not.toContain("QUIET-REPLY-IN-ALPHA");
      expect(alphaPage.text).not.toContain("notice-limited");
      expect((await get(`/b/thread/${alpha}?show_limited=1`)).text).toContain("QUIET-REPLY-IN-ALPHA");
      // A link to a limited post still leads to its thread.
      expect((await get(`/b/post/${quietReplyInAlpha}`)).status).toBe(302);
    });

    it("is switched on and off by the pages' toggle, without JavaScript", async () => {
      silence();
      const agent = request.agent(t.app);
      const on = await agent.post("/b/limited").type("form").send({ show: "1", return: "/b/catalog" });
      expect(on.status).toBe(303);
      expect(on.headers.location).toBe("/b/catalog");
      const cookies = ([] as string[]).concat((on.headers["set-cookie"] as unknown as string[] | undefined) ?? []);
      const set = cookies.find((c) => c.startsWith("show_limited=1"));
      expect(set).toMatch(/HttpOnly/i);
      expect(set).toMatch(/SameSite=Lax/i);
      expect(set).toMatch(/Path=\//);
      expect((await agent.get("/b/catalog")).text).toContain("QUIET-OP");
      expect((await agent.get("/b/threads.json")).body).toSatisfy((p: Pages) => threadNos(p).includes(quietThread));

      const off = await agent
        .post("/b/limited")
        .type("form")
        .send({ show: "0", return: `/b/thread/${alpha}` });
      expect(off.status).toBe(303);
      expect(off.headers.location).toBe(`/b/thread/${alpha}`);
      expect((await agent.get("/b/catalog")).text).not.toContain("QUIET-OP");

      // It only ever sends the reader back to a page of the same board.
      for (const target of [
        "https://elsewhere.example/",
        "//elsewhere.example/b/",
        "/c/",
        "/b/../admin",
        "/b/thread/x",
      ]) {
        const res = await request(t.app).post("/b/limited").type("form").send({ show: "1", return: target });
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe("/b/");
      }
      expect((await request(t.app).post("/b/limited").type("form").send({ show: "perhaps" })).status).toBe(400);
      expect((await request(t.app).post("/nope/limited").type("form").send({ show: "1" })).status).toBe(404);
      const crossSite = await request(t.app)
        .post("/b/limited")
        .set("Origin", "https://evil.example")
        .type("form")
        .send({ show: "1" });
      expect(crossSite.status).toBe(403);
    });
  });
});
