import request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BoardDomainRule, DomainAllow, DomainBlock } from "../../server/domain/domain-policy.js";
import { domainBlock } from "../support/domain-rules.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * What readers see of posts from servers the domain rules limit: suspended servers' posts are gone
 * from every page and every JSON answer, limited (silenced) servers' posts are left out of listings
 * and the JSON API unless the reader opts in, and nothing changes for local posts, noop rules or
 * servers without a rule. Real app, real SQLite store, remote posts stored as the inbox stores them.
 */

const BAD = "bad.example";
const QUIET = "quiet.example";
const FINE = "fine.example";

const block = domainBlock;

function boardRule(board: string, domain: string, severity: "silence" | "suspend"): BoardDomainRule {
  return { id: `rule-${board}-${domain}`, board, domain, severity, rejectMedia: false, comment: "", createdAt: 0 };
}

function allow(domain: string): DomainAllow {
  return { id: `allow-${domain}`, domain, comment: "", createdAt: 0 };
}

/** Puts rules in force on an instance, as the moderation service does after a change. */
function setRules(
  t: TestInstance,
  rules: { blocks?: DomainBlock[]; boardRules?: BoardDomainRule[]; allows?: DomainAllow[] } = {},
): void {
  const { policy } = t.services;
  policy.replace(
    policy.compile({ blocks: rules.blocks ?? [], allows: rules.allows ?? [], boardRules: rules.boardRules ?? [] }),
  );
}

/** Posting helpers on one instance, with a clock that moves a second per post so bump order is clear. */
function poster(t: TestInstance, tick: () => void) {
  let seq = 0;
  return {
    async local(board: string, threadNo: number | null, text: string): Promise<number> {
      tick();
      const input = { board, comment: text, ip: "198.51.100.7" };
      const post =
        threadNo === null
          ? await t.services.posting.createThread(input)
          : await t.services.posting.createReply({ ...input, threadNo });
      return post.no;
    },
    async remote(board: string, threadNo: number | null, domain: string, text: string): Promise<number> {
      tick();
      const { post } = await t.services.posting.createRemote({
        board,
        threadNo,
        name: `someone@${domain}`,
        subject: null,
        comment: text,
        html: `<p>${text}</p>`,
        apId: `https://${domain}/notes/${++seq}`,
        fediActor: `https://${domain}/users/someone`,
      });
      return post.no;
    },
  };
}

interface FourchanPost {
  no: number;
  replies?: number;
  last_replies?: FourchanPost[];
}
type Pages = Array<{ page: number; threads: FourchanPost[] }>;

const threadNos = (pages: Pages) => pages.flatMap((p) => p.threads.map((t) => t.no));
const threadCount = (page: string) => (page.match(/<div class="thread" id="t\d+"/g) ?? []).length;

describe("what readers see of posts from limited and suspended servers", () => {
  let t: TestInstance;
  let now = Date.UTC(2030, 0, 1);
  const clock = () => now;
  let get: (path: string, cookie?: string) => request.Test;
  // Thread and post numbers on /b/.
  let alpha: number;
  const alphaReplies: number[] = [];
  let quietReplyInAlpha: number;
  const badRepliesInAlpha: number[] = [];
  let badThread: number;
  let badThreadLocalReply: number;
  let quietThread: number;
  let quietThreadQuietReply: number;
  let fineThread: number;
  let cFineThread: number;
  let badArchived: number;
  let quietArchived: number;
  let localArchived: number;

  beforeAll(async () => {
    t = await startTestInstance({}, { clock });
    get = (path, cookie) => {
      const req = request(t.app).get(path);
      return cookie ? req.set("Cookie", cookie) : req;
    };
    const settings = { requireImageForThread: false };
    await t.services.boards.create({ uri: "b", title: "Random", settings });
    await t.services.boards.create({ uri: "c", title: "Other", settings });
    await t.services.boards.create({ uri: "p", title: "Pages", settings: { ...settings, threadsPerPage: 3 } });
    const p = poster(t, () => {
      now += 1000;
    });

    // Archived threads first, so the live ones stay on top of the archive's order.
    badArchived = await p.remote("b", null, BAD, "BAD-ARCHIVED");
    quietArchived = await p.remote("b", null, QUIET, "QUIET-ARCHIVED");
    localArchived = await p.local("b", null, "LOCAL-ARCHIVED");
    for (const no of [badArchived, quietArchived, localArchived])
      await t.services.store.posts.setThreadFlags("b", no, { archived: true });

    badThread = await p.remote("b", null, BAD, "BAD-OP");
    badThreadLocalReply = await p.local("b", badThread, "BAD-THREAD-LOCAL-REPLY");
    quietThread = await p.remote("b", null, QUIET, "QUIET-OP");
    await p.local("b", quietThread, "QUIET-THREAD-LOCAL-REPLY");
    quietThreadQuietReply = await p.remote("b", quietThread, QUIET, "QUIET-THREAD-QUIET-REPLY");
    fineThread = await p.remote("b", null, FINE, "FINE-OP");
    // A local thread whose last replies, the ones an index page shows, come from limited servers.
    alpha = await p.local("b", null, "ALPHA-OP");
    for (let i = 1; i <= 6; i++) alphaReplies.push(await p.local("b", alpha, `ALPHA-R${i}.`));
    quietReplyInAlpha = await p.remote("b", alpha, QUIET, "QUIET-REPLY-IN-ALPHA");
    for (let i = 1; i <= 5; i++) badRepliesInAlpha.push(await p.remote("b", alpha, BAD, `BAD-REPLY-${i}.`));

    cFineThread = await p.remote("c", null, FINE, "C-FINE-OP");

    // /p/: eleven threads, four of them from the server that gets suspended.
    for (let i = 1; i <= 11; i++) {
      if (i % 3 === 2) await p.remote("p", null, BAD, `P-BAD-${i}.`);
      else await p.local("p", null, `P-LOCAL-${i}.`);
    }
  });

  afterAll(async () => {
    await t?.stop();
  });

  afterEach(() => setRules(t));

  it("shows every post while no rule applies", async () => {
    const index = await get("/b/");
    for (const text of ["BAD-OP", "QUIET-OP", "FINE-OP", "ALPHA-OP", "BAD-REPLY-5."])
      expect(index.text).toContain(text);
    expect(index.text).not.toContain("limited-toggle");
    const threads = (await get("/b/threads.json")).body as Pages;
    expect(threadNos(threads)).toEqual(expect.arrayContaining([badThread, quietThread, fineThread, alpha]));
    expect((await get(`/b/thread/${badThread}`)).status).toBe(200);
  });

  describe("a suspended server", () => {
    const suspend = () => setRules(t, { blocks: [block(BAD, "suspend")] });

    it("is left out of the index, catalog, archive and thread pages", async () => {
      suspend();
      const index = await get("/b/");
      expect(index.status).toBe(200);
      expect(index.text).not.toContain("BAD-OP");
      expect(index.text).not.toContain("BAD-THREAD-LOCAL-REPLY");
      expect(index.text).not.toContain("BAD-REPLY-");
      expect(index.text).toContain("ALPHA-OP");
      // The index still shows five replies under the thread: the last five it is allowed to show.
      for (const r of ["ALPHA-R3.", "ALPHA-R4.", "ALPHA-R5.", "ALPHA-R6.", "QUIET-REPLY-IN-ALPHA"])
        expect(index.text).toContain(r);
      expect(index.text).not.toContain("ALPHA-R2.");

      const catalog = await get("/b/catalog");
      expect(catalog.text).not.toContain("BAD-OP");
      expect(catalog.text).toContain("ALPHA-OP");

      const archive = await get("/b/archive");
      expect(archive.text).not.toContain("BAD-ARCHIVED");
      expect(archive.text).toContain("LOCAL-ARCHIVED");

      const thread = await get(`/b/thread/${alpha}`);
      expect(thread.status).toBe(200);
      expect(thread.text).toContain("ALPHA-R1.");
      expect(thread.text).not.toContain("BAD-REPLY-");
      for (const no of badRepliesInAlpha) expect(thread.text).not.toContain(`id="p${no}"`);
    });

    it("answers its threads, and links to its posts, with 404", async () => {
      suspend();
      const page = await get(`/b/thread/${badThread}`);
      expect(page.status).toBe(404);
      expect(page.text).not.toContain("BAD-OP");
      expect((await get(`/b/thread/${badArchived}`)).status).toBe(404);
      expect((await get(`/b/thread/${badThread}.json`)).status).toBe(404);
      expect((await get(`/b/post/${badRepliesInAlpha[0]}`)).status).toBe(404);
      // A local reply in its thread goes with the thread.
      const local = await get(`/b/post/${badThreadLocalReply}`);
      expect(local.status).toBe(302);
      expect((await get(local.headers.location ?? "")).status).toBe(404);
    });

    it("is left out of every JSON answer, with the stored counts kept", async () => {
      suspend();
      const threads = (await get("/b/threads.json")).body as Pages;
      expect(threadNos(threads)).not.toContain(badThread);
      expect(threadNos(threads)).toEqual(expect.arrayContaining([quietThread, fineThread, alpha]));

      const catalog = (await get("/b/catalog.json")).body as Pages;
      expect(threadNos(catalog)).not.toContain(badThread);
      const alphaEntry = catalog.flatMap((p) => p.threads).find((e) => e.no === alpha);
      const shown = (alphaEntry?.last_replies ?? []).map((r) => r.no);
      expect(shown).toEqual([...alphaReplies.slice(2), quietReplyInAlpha]);
      // The counts are the stored ones: 6 local, 1 limited and 5 suspended replies.
      expect(alphaEntry?.replies).toBe(12);

      const page = (await get("/b/1.json")).body as { threads: Array<{ posts: FourchanPost[] }> };
      const ops = page.threads.map((th) => th.posts[0]?.no);
      expect(ops).not.toContain(badThread);
      const alphaOnPage = page.threads.find((th) => th.posts[0]?.no === alpha);
      expect(alphaOnPage?.posts.slice(1).map((x) => x.no)).toEqual([...alphaReplies.slice(2), quietReplyInAlpha]);

      const thread = (await get(`/b/thread/${alpha}.json`)).body as { posts: FourchanPost[] };
      const nos = thread.posts.map((x) => x.no);
      expect(nos).toEqual([alpha, ...alphaReplies, quietReplyInAlpha]);

      const archive = (await get("/b/archive.json")).body as number[];
      expect(archive).not.toContain(badArchived);
      expect(archive).toContain(localArchived);
    });

    it("stays hidden for a reader who opts in to limited servers", async () => {
      suspend();
      expect((await get("/b/?show_limited=1")).text).not.toContain("BAD-OP");
      expect((await get("/b/catalog", "show_limited=1")).text).not.toContain("BAD-OP");
      expect((await get(`/b/thread/${badThread}?show_limited=1`)).status).toBe(404);
      expect((await get(`/b/thread/${badThread}.json?show_limited=1`)).status).toBe(404);
      expect(threadNos((await get("/b/threads.json?show_limited=1")).body as Pages)).not.toContain(badThread);
    });

    it("keeps index pages full and the page counts right", async () => {
      const before = await get("/p/");
      expect(threadCount(before.text)).toBe(3);
      expect(((await get("/boards.json")).body as { boards: Array<{ board: string; pages: number }> }).boards).toEqual(
        expect.arrayContaining([expect.objectContaining({ board: "p", pages: 4 })]),
      );
      suspend();
      // Seven local threads: pages of 3, 3 and 1, and no fourth page.
      const pages = await Promise.all([get("/p/"), get("/p/2"), get("/p/3"), get("/p/4")]);
      expect(pages.map((r) => r.status)).toEqual([200, 200, 200, 404]);
      expect(pages.slice(0, 3).map((r) => threadCount(r.text))).toEqual([3, 3, 1]);
      for (const r of pages) expect(r.text).not.toContain("P-BAD-");
      expect(pages[0]?.text).toContain('href="/p/3"');
      expect(pages[0]?.text).not.toContain('href="/p/4"');
      const json = await Promise.all([get("/p/1.json"), get("/p/3.json"), get("/p/4.json")]);
      expect(json.map((r) => r.status)).toEqual([200, 200, 404]);
      expect(json.slice(0, 2).map((r) => (r.body as { threads: unknown[] }).threads.length)).toEqual([3, 1]);
      const threads = (await get("/p/threads.json")).body as Pages;
      expect(threads.map((pg) => pg.threads.length)).toEqual([3, 3, 1]);
      const boards = (await get("/boards.json")).body as { boards: Array<{ board: string; pages: number }> };
      expect(boards.boards.find((b) => b.board === "p")?.pages).toBe(3);
    });
  });

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

  it("changes nothing for a noop rule", async () => {
    const paths = ["/b/", "/b/catalog", `/b/thread/${alpha}`, "/b/threads.json", "/b/catalog.json", "/b/1.json"];
    const before = await Promise.all(paths.map((p) => get(p)));
    setRules(t, {
      blocks: [
        block(QUIET, "noop", { rejectMedia: true, rejectReports: true }),
        block(BAD, "noop"),
        block(FINE, "noop"),
      ],
    });
    const after = await Promise.all(paths.map((p) => get(p)));
    for (let i = 0; i < paths.length; i++) {
      expect(after[i]?.status).toBe(200);
      expect(after[i]?.headers.etag).toBe(before[i]?.headers.etag);
    }
    expect(after[0]?.text).toContain("QUIET-OP");
    expect(after[0]?.text).toContain("BAD-OP");
  });

  it("applies a board's own rule on that board only", async () => {
    setRules(t, { boardRules: [boardRule("b", FINE, "suspend")] });
    expect((await get("/b/")).text).not.toContain("FINE-OP");
    expect((await get(`/b/thread/${fineThread}`)).status).toBe(404);
    expect(threadNos((await get("/b/threads.json")).body as Pages)).not.toContain(fineThread);
    expect((await get("/c/")).text).toContain("C-FINE-OP");
    expect((await get(`/c/thread/${cFineThread}`)).status).toBe(200);
    expect((await get(`/c/thread/${cFineThread}.json`)).status).toBe(200);

    setRules(t, { boardRules: [boardRule("b", FINE, "silence")] });
    expect((await get("/b/")).text).not.toContain("FINE-OP");
    expect((await get("/b/?show_limited=1")).text).toContain("FINE-OP");
    expect((await get(`/b/thread/${fineThread}`)).status).toBe(200);
    expect((await get("/c/")).text).toContain("C-FINE-OP");
  });

  it("brings everything back when a rule is lifted", async () => {
    setRules(t, { blocks: [block(BAD, "suspend"), block(QUIET, "silence")] });
    expect((await get("/b/")).text).not.toContain("BAD-OP");
    expect((await get(`/b/thread/${badThread}`)).status).toBe(404);
    setRules(t);
    const index = await get("/b/");
    expect(index.text).toContain("BAD-OP");
    expect(index.text).toContain("QUIET-OP");
    expect(index.text).toContain("BAD-REPLY-5.");
    expect((await get(`/b/thread/${badThread}`)).status).toBe(200);
    expect((await get(`/b/thread/${badThread}.json`)).status).toBe(200);
    expect(threadNos((await get("/b/threads.json")).body as Pages)).toContain(badThread);
    expect((await get("/b/archive")).text).toContain("BAD-ARCHIVED");
  });

  it("changes ETags with the rules and with the opt-in", async () => {
    const paths = ["/b/", "/b/catalog", `/b/thread/${alpha}`, "/b/threads.json", `/b/thread/${alpha}.json`];
    const open = await Promise.all(paths.map((p) => get(p)));
    setRules(t, { blocks: [block(BAD, "suspend")] });
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] ?? "";
      const etag = open[i]?.headers.etag ?? "";
      expect(etag).not.toBe("");
      // A client holding the page from before the rule gets the new one, not a 304.
      const res = await request(t.app).get(path).set("If-None-Match", etag);
      expect(res.status).toBe(200);
      expect(res.headers.etag).not.toBe(etag);
    }
    setRules(t);
    for (let i = 0; i < paths.length; i++) {
      const res = await request(t.app)
        .get(paths[i] ?? "")
        .set("If-None-Match", open[i]?.headers.etag ?? "");
      expect(res.status).toBe(304);
    }

    setRules(t, { blocks: [block(QUIET, "silence")] });
    const plain = await get("/b/");
    const opted = await get("/b/", "show_limited=1");
    expect(opted.headers.etag).not.toBe(plain.headers.etag);
    expect((await get("/b/", "show_limited=1").set("If-None-Match", plain.headers.etag ?? "")).status).toBe(200);
    expect((await get("/b/").set("If-None-Match", plain.headers.etag ?? "")).status).toBe(304);
  });

  it("follows a rule's expiry without a change of the rules", async () => {
    setRules(t, { blocks: [block(BAD, "suspend", { expiresAt: now + 60_000 })] });
    const version = t.services.policy.version;
    expect((await get("/b/")).text).not.toContain("BAD-OP");
    expect((await get(`/b/thread/${alpha}.json`)).body).toSatisfy(
      (b: { posts: FourchanPost[] }) => !b.posts.some((x) => x.no === badRepliesInAlpha[0]),
    );
    now += 61_000;
    expect((await get("/b/")).text).toContain("BAD-OP");
    expect((await get(`/b/thread/${alpha}.json`)).body).toSatisfy((b: { posts: FourchanPost[] }) =>
      b.posts.some((x) => x.no === badRepliesInAlpha[0]),
    );
    expect((await get(`/b/thread/${badThread}`)).status).toBe(200);
    expect(t.services.policy.version).toBe(version);
  });
});

describe("allowlist mode", () => {
  let t: TestInstance;
  let local: number;
  let allowed: number;
  let other: number;
  let allowedSub: number;

  beforeAll(async () => {
    t = await startTestInstance({ FEDERATION_MODE: "allowlist" });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    const p = poster(t, () => {});
    local = await p.local("b", null, "LOCAL-OP");
    allowed = await p.remote("b", null, FINE, "ALLOWED-OP");
    allowedSub = await p.remote("b", null, `social.${FINE}`, "ALLOWED-SUB-OP");
    other = await p.remote("b", null, BAD, "OTHER-OP");
    await p.remote("b", local, BAD, "OTHER-REPLY");
    await p.remote("b", local, FINE, "ALLOWED-REPLY");
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("hides every remote post while no server is allowed", async () => {
    setRules(t);
    const index = await get("/b/");
    expect(index.text).toContain("LOCAL-OP");
    for (const text of ["ALLOWED-OP", "OTHER-OP", "OTHER-REPLY", "ALLOWED-REPLY"])
      expect(index.text).not.toContain(text);
    expect((await get(`/b/thread/${allowed}`)).status).toBe(404);
  });

  it("shows allowed servers' posts (and their subdomains') and hides the others'", async () => {
    setRules(t, { allows: [allow(FINE)] });
    const index = await get("/b/");
    for (const text of ["LOCAL-OP", "ALLOWED-OP", "ALLOWED-SUB-OP", "ALLOWED-REPLY"])
      expect(index.text).toContain(text);
    expect(index.text).not.toContain("OTHER-OP");
    expect(index.text).not.toContain("OTHER-REPLY");
    expect((await get("/b/?show_limited=1")).text).not.toContain("OTHER-OP");
    expect((await get(`/b/thread/${other}`)).status).toBe(404);
    expect((await get(`/b/thread/${other}.json`)).status).toBe(404);
    expect((await get(`/b/thread/${allowed}`)).status).toBe(200);
    const threads = threadNos((await get("/b/threads.json")).body as Pages);
    expect(threads).toEqual(expect.arrayContaining([local, allowed, allowedSub]));
    expect(threads).not.toContain(other);
    const thread = (await get(`/b/thread/${local}.json`)).body as { posts: FourchanPost[] };
    expect(thread.posts).toHaveLength(2);
  });

  function get(path: string) {
    return request(t.app).get(path);
  }
});
