import type request from "supertest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { domainBlock } from "../support/domain-rules.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import {
  BAD,
  type FourchanPost,
  type Pages,
  reader,
  seedBoards,
  setRules,
  threadCount,
  threadNos,
} from "../support/visibility-boards.js";

/*
 * What readers see of posts from a suspended server: gone from every page and every JSON answer.
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
  let alphaReplies: number[];
  let quietReplyInAlpha: number;
  let badRepliesInAlpha: number[];
  let badThread: number;
  let badThreadLocalReply: number;
  let quietThread: number;
  let fineThread: number;
  let badArchived: number;
  let localArchived: number;

  beforeAll(async () => {
    t = await startTestInstance({}, { clock });
    get = reader(t);
    ({
      alpha,
      alphaReplies,
      quietReplyInAlpha,
      badRepliesInAlpha,
      badThread,
      badThreadLocalReply,
      quietThread,
      fineThread,
      badArchived,
      localArchived,
    } = await seedBoards(t, () => {
      now += 1000;
    }));
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
      // boards.json gives the board's capacity (150 threads in pages of 3), whatever the board holds
      // and the rules hide
      const capacity = () =>
        get("/boards.json").then((r) => (r.body as { boards: Array<{ board: string; pages: number }> }).boards);
      expect(await capacity()).toEqual(expect.arrayContaining([expect.objectContaining({ board: "p", pages: 50 })]));
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
      expect((await capacity()).find((b) => b.board === "p")?.pages).toBe(50);
    });
  });
});
