import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";
import { BAD, boardRule, poster, setRules } from "../support/visibility-boards.js";

interface CatalogThread {
  no: number;
  board: string;
  com?: string;
  last_replies?: Array<{ no: number }>;
}
type CatalogPages = Array<{ page: number; threads: CatalogThread[] }>;
interface Found {
  posts: Array<{ no: number; board: string; com?: string; resto: number }>;
  next_max_id: string | null;
}

const OPEN = { requireImageForThread: false, threadCooldown: 0, replyCooldown: 0 };

describe("overboard and search", () => {
  let t: TestInstance;
  let now = Date.UTC(2026, 0, 5, 12);
  const tick = () => {
    now += 1000;
  };
  const get = (path: string, cookie?: string) => {
    const req = request(t.app).get(path);
    return cookie ? req.set("Cookie", cookie) : req;
  };
  let post: ReturnType<typeof poster>;
  const nos: Record<string, number> = {};

  beforeAll(async () => {
    t = await startTestInstance({}, { clock: () => now });
    const { boards } = t.services;
    await boards.create({ uri: "a", title: "Alpha", description: "", settings: OPEN });
    await boards.create({ uri: "c", title: "Gamma", description: "", settings: OPEN });
    await boards.create({ uri: "n", title: "Late night", description: "", settings: { ...OPEN, sfw: false } });
    await boards.create({ uri: "u", title: "Hidden away", description: "", settings: { ...OPEN, listed: false } });
    post = poster(t, tick);
    nos["a1"] = await post.local("a", null, "alpha pelican thread");
    nos["c1"] = await post.local("c", null, "gamma pelican thread");
    nos["n1"] = await post.local("n", null, "night pelican thread");
    nos["u1"] = await post.local("u", null, "unlisted pelican thread");
    nos["a1r"] = await post.local("a", nos["a1"] as number, "a pelican reply bumps alpha");
  });
  afterAll(() => t.stop());

  it("keeps overboard and search from being board names", async () => {
    for (const uri of ["overboard", "search"]) {
      await expect(
        t.services.boards.create({ uri, title: "x", description: "", settings: OPEN }),
      ).rejects.toMatchObject({ kind: "invalid" });
    }
  });

  it("lists the latest threads of listed safe-for-work boards, each naming its board", async () => {
    const page = await get("/overboard");
    expect(page.status).toBe(200);
    expect(page.text).toContain("alpha pelican thread");
    expect(page.text).toContain("a pelican reply bumps alpha");
    expect(page.text).toContain('href="/c/">/c/ - Gamma</a>');
    expect(page.text).not.toContain("night pelican");
    expect(page.text).not.toContain("unlisted pelican");
    expect(page.text).toContain('href="/overboard?nsfw=1"');
    // the latest bump first
    expect(page.text.indexOf("alpha pelican")).toBeLessThan(page.text.indexOf("gamma pelican"));

    const catalog = await get("/overboard/catalog");
    expect(catalog.status).toBe(200);
    expect(catalog.text).toContain(`href="/a/thread/${nos["a1"]}"`);
    expect(catalog.text).not.toContain("/n/thread/");

    const json = await get("/overboard/catalog.json");
    expect(json.status).toBe(200);
    const threads = (json.body as CatalogPages).flatMap((p) => p.threads);
    expect(threads.map((th) => `${th.board}/${th.no}`)).toEqual([`a/${nos["a1"]}`, `c/${nos["c1"]}`]);
    expect(threads[0]?.last_replies?.map((r) => r.no)).toEqual([nos["a1r"]]);
  });

  it("adds not-safe-for-work boards by the reader's choice, remembered in a cookie, never unlisted ones", async () => {
    const on = await get("/overboard?nsfw=1");
    expect(on.text).toContain("night pelican thread");
    expect(on.text).not.toContain("unlisted pelican");
    expect(on.text).toContain('href="/overboard?nsfw=0"');
    const cookie = String(on.headers["set-cookie"]).split(";")[0] as string;
    expect(cookie).toBe("overboard_nsfw=1");
    const json = await get("/overboard/catalog.json", cookie);
    expect((json.body as CatalogPages).flatMap((p) => p.threads.map((th) => th.board))).toEqual(["a", "n", "c"]);
    const off = await get("/overboard?nsfw=0", cookie);
    expect(off.text).not.toContain("night pelican");
    expect(String(off.headers["set-cookie"])).toMatch(/^overboard_nsfw=;/);
  });

  it("answers 304 until an included board changes", async () => {
    const first = await get("/overboard/catalog.json");
    const etag = String(first.headers["etag"]);
    expect(first.headers["last-modified"]).toBeDefined();
    expect((await get("/overboard/catalog.json").set("If-None-Match", etag)).status).toBe(304);
    // dated after the last change (a change in the current second is dated a second back)
    const later = new Date(Date.parse(String(first.headers["last-modified"])) + 2000).toUTCString();
    expect((await get("/overboard/catalog.json").set("If-Modified-Since", later)).status).toBe(304);
    const html = await get("/overboard/catalog");
    expect((await get("/overboard/catalog").set("If-None-Match", String(html.headers["etag"]))).status).toBe(304);
    // a board left out changes nothing; an included one does
    await post.local("u", nos["u1"] as number, "quiet reply");
    expect((await get("/overboard/catalog.json").set("If-None-Match", etag)).status).toBe(304);
    await post.local("c", nos["c1"] as number, "gamma reply");
    const after = await get("/overboard/catalog.json").set("If-None-Match", etag);
    expect(after.status).toBe(200);
    expect((after.body as CatalogPages)[0]?.threads[0]?.board).toBe("c");
  });

  it("searches one board from its pages, newest first, paging with max_id", async () => {
    const index = await get("/a/");
    expect(index.text).toContain('action="/a/search"');
    expect((await get(`/a/thread/${nos["a1"]}`)).text).toContain('action="/a/search"');
    expect((await get("/a/catalog")).text).toContain('action="/a/search"');

    const page = await get("/a/search?q=Pelican");
    expect(page.status).toBe(200);
    expect(page.text).toContain("a pelican reply bumps alpha");
    expect(page.text.indexOf("a pelican reply")).toBeLessThan(page.text.indexOf("alpha pelican thread"));
    expect(page.text).not.toContain("gamma pelican");

    const first = await get("/api/v1/search?q=pelican&board=a&limit=1");
    expect(first.status).toBe(200);
    const body = first.body as Found;
    expect(body.posts.map((p) => [p.board, p.no])).toEqual([["a", nos["a1r"]]]);
    expect(body.posts[0]?.resto).toBe(nos["a1"]);
    expect(body.next_max_id).toBe(String(nos["a1r"]));
    const second = (await get(`/api/v1/search?q=pelican&board=a&limit=1&max_id=${body.next_max_id}`)).body as Found;
    expect(second.posts.map((p) => p.no)).toEqual([nos["a1"]]);
    const third = (await get(`/api/v1/search?q=pelican&board=a&limit=1&max_id=${second.next_max_id}`)).body as Found;
    expect(third).toEqual({ posts: [], next_max_id: null });
  });

  it("searches across listed boards by time, not-safe-for-work ones by choice", async () => {
    const sfw = (await get("/api/v1/search?q=pelican")).body as Found;
    expect(sfw.posts.map((p) => `${p.board}/${p.no}`)).toEqual([`a/${nos["a1r"]}`, `c/${nos["c1"]}`, `a/${nos["a1"]}`]);
    const all = (await get("/api/v1/search?q=pelican&nsfw=1&limit=2")).body as Found;
    expect(all.posts.map((p) => `${p.board}/${p.no}`)).toEqual([`a/${nos["a1r"]}`, `n/${nos["n1"]}`]);
    expect(all.next_max_id).toMatch(/^\d+-n-\d+$/);
    const rest = (await get(`/api/v1/search?q=pelican&nsfw=1&limit=2&max_id=${all.next_max_id}`)).body as Found;
    expect(rest.posts.map((p) => `${p.board}/${p.no}`)).toEqual([`c/${nos["c1"]}`, `a/${nos["a1"]}`]);
    const page = await get("/search?q=pelican");
    expect(page.status).toBe(200);
    expect(page.text).toContain("gamma pelican thread");
    expect(page.text).not.toContain("unlisted pelican");
    // an unlisted board is still searched on its own
    const own = (await get("/api/v1/search?q=pelican&board=u")).body as Found;
    expect(own.posts.map((p) => p.no)).toEqual([nos["u1"]]);
  });

  it("never finds deleted posts or posts the domain rules hide", async () => {
    const remote = await post.remote("a", nos["a1"] as number, BAD, "cormorant from afar");
    const local = await post.local("a", nos["a1"] as number, "cormorant at home");
    const found = async () => ((await get("/api/v1/search?q=cormorant&board=a")).body as Found).posts.map((p) => p.no);
    expect(await found()).toEqual([local, remote]);
    setRules(t, { boardRules: [boardRule("a", BAD, "suspend")] });
    try {
      expect(await found()).toEqual([local]);
    } finally {
      setRules(t);
    }
    await t.services.store.posts.deletePost("a", local);
    expect(await found()).toEqual([remote]);
  });

  it("refuses bad queries with a 400: a problem document on the API, a page with the form on the web", async () => {
    for (const path of [
      "/api/v1/search",
      "/api/v1/search?q=",
      "/api/v1/search?q=%22",
      "/api/v1/search?q=*%20(%22)%20-",
      `/api/v1/search?q=${"a".repeat(201)}`,
      "/api/v1/search?q=x&limit=0",
      "/api/v1/search?q=x&limit=101",
      "/api/v1/search?q=x&board=a&max_id=abc",
      "/api/v1/search?q=x&max_id=12",
    ]) {
      const res = await get(path).set("Accept", "application/problem+json");
      expect(res.status, path).toBe(400);
      expect(res.headers["content-type"], path).toMatch(/^application\/problem\+json/);
    }
    const plain = await get("/api/v1/search?q=");
    expect(plain.status).toBe(400);
    expect(plain.body.error).toMatch(/^q: /);
    expect((await get("/api/v1/search?q=x&board=nope")).status).toBe(404);
    // operators and quotes are words, never syntax
    const ops = await get('/api/v1/search?q=%22pelican%20NEAR%20OR*%20"');
    expect(ops.status).toBe(200);

    const form = await get("/a/search");
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="q"');
    for (const q of ["", "%22*", "a".repeat(201)]) {
      const page = await get(`/a/search?q=${q}`);
      expect(page.status).toBe(400);
      expect(page.headers["content-type"]).toMatch(/^text\/html/);
      expect(page.text).toContain('class="error search-error"');
      expect(page.text).toContain('name="q"');
    }
  });
});

describe("search rate limit", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await startTestInstance({ RATE_LIMIT: "on", RATE_LIMIT_READS: "40" });
    await t.services.boards.create({ uri: "a", title: "Alpha", description: "", settings: OPEN });
  });
  afterAll(() => t.stop());

  it("spends a budget of its own per address, smaller than the pages'", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(t.app).get("/api/v1/search?q=x")).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect((await request(t.app).get("/a/")).status).toBe(200);
  });
});
