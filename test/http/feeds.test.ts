import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { feedTeaser, withoutSpoilers, xmlText } from "../../server/http/web/rss.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import { BAD, boardRule, poster, QUIET, setRules } from "../support/visibility-boards.js";

/** The text of every `<tag>` element in a feed, XML entities read back. */
function texts(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?: [^>]*)?>([\\s\\S]*?)</${tag}>`, "g");
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(unescapeXml(m[1] ?? ""));
  return out;
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) =>
    e === "lt" ? "<" : e === "gt" ? ">" : e === "quot" ? '"' : e === "apos" ? "'" : "&",
  );
}

/** Well-formed enough for any XML parser: no raw `<` or `&` in text, no characters XML cannot hold. */
function expectWellFormedText(xml: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
  expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  expect(xml).not.toMatch(/&(?!(lt|gt|quot|apos|amp);)/);
  expect(xml).not.toContain("<![CDATA[");
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"')).toBe(true);
}

describe("RSS feeds of boards and threads", () => {
  let t: TestInstance;
  let now = Date.UTC(2026, 0, 5, 12);
  const api = () => request(t.app);

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://atoll.test" }, { clock: () => now });
    await t.services.boards.create({
      uri: "b",
      title: "Random & <Co>",
      description: "Anything goes",
      settings: { requireImageForThread: false },
    });
  });
  afterAll(() => t.stop());

  it("escapes subjects and comments: markup, ampersands, ]]> and control characters", async () => {
    now += 1000;
    const nasty = "<b>bold</b> & ]]> \u0001bell\u0008";
    const op = await t.services.posting.createThread({
      board: "b",
      subject: nasty,
      comment: "a < b && c > d ]]> <script>alert(1)</script>",
      ip: "198.51.100.7",
      file: { buffer: await makeJpeg(300, 200), originalName: "pic.jpg" },
    });
    const res = await api().get("/b/index.rss");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/rss+xml; charset=utf-8");
    const xml = res.text;
    expectWellFormedText(xml);
    expect(texts(xml, "title")[0]).toBe("/b/ - Random & <Co>");
    const title = texts(xml, "title")[1];
    expect(title?.trim()).toBe("<b>bold</b> & ]]> bell");
    expect(xml).not.toContain("<b>bold");
    expect(texts(xml, "link")).toContain(`http://atoll.test/b/thread/${op.no}`);
    expect(texts(xml, "guid")).toContain(`http://atoll.test/b/thread/${op.no}`);
    const description = texts(xml, "description")[1] ?? "";
    // the description is HTML, escaped once in the XML: the comment's own markup escaped twice
    expect(description).toContain("a &lt; b &amp;&amp; c &gt; d ]]&gt; &lt;script&gt;");
    expect(description).not.toContain("<script>");
    expect(description).toContain(`<img src="http://atoll.test/media/b/${op.file?.tim}s.jpg"`);
    expect(texts(xml, "pubDate")[0]).toBe(new Date(now).toUTCString());
  });

  it("keeps spoilered text and images out of feed text", async () => {
    now += 1000;
    const op = await t.services.posting.createThread({
      board: "b",
      comment: "visible [spoiler]the butler did it[/spoiler] and **hidden too** end",
      ip: "198.51.100.7",
      file: { buffer: await makeJpeg(300, 200), originalName: "secret-name.jpg" },
      spoiler: true,
    });
    for (const path of ["/b/index.rss", `/b/thread/${op.no}.rss`]) {
      const xml = (await api().get(path)).text;
      expect(xml).toContain("visible");
      expect(xml).toContain("[spoiler]");
      expect(xml).not.toContain("butler");
      expect(xml).not.toContain("hidden too");
      expect(xml).not.toContain("secret-name");
      expect(xml).not.toContain(`${op.file?.tim}s.jpg`);
    }
    expect(withoutSpoilers("a<s>b<s>c</s>d</s>e<s>f")).toBe("a[spoiler]e[spoiler]");
    expect(feedTeaser("x &amp; <s>y</s> &#39;z&#x27;", 100)).toBe("x & [spoiler] 'z'");
    expect(xmlText("a\u0000b\uffff]]>\ud800c")).toBe("ab]]&gt;c");
  });

  it("lists a thread's posts newest first, each linked to its place in the thread", async () => {
    now += 1000;
    const op = await t.services.posting.createThread({ board: "b", comment: "thread op", ip: "198.51.100.7" });
    now += 1000;
    const r1 = await t.services.posting.createReply({ board: "b", threadNo: op.no, comment: ">>1 one", ip: "1.2.3.4" });
    now += 1000;
    const r2 = await t.services.posting.createReply({ board: "b", threadNo: op.no, comment: "two", ip: "1.2.3.4" });
    const res = await api().get(`/b/thread/${op.no}.rss`);
    expect(res.status).toBe(200);
    const xml = res.text;
    expectWellFormedText(xml);
    expect(texts(xml, "link").slice(1)).toEqual([
      `http://atoll.test/b/thread/${op.no}#p${r2.no}`,
      `http://atoll.test/b/thread/${op.no}#p${r1.no}`,
      `http://atoll.test/b/thread/${op.no}`,
    ]);
    expect(texts(xml, "guid")).toEqual([
      `http://atoll.test/b/post/${r2.no}`,
      `http://atoll.test/b/post/${r1.no}`,
      `http://atoll.test/b/thread/${op.no}`,
    ]);
    expect((await api().get("/b/thread/999999.rss")).status).toBe(404);
    expect((await api().get("/nope/index.rss")).status).toBe(404);
    // the board feed lists threads newest first
    const board = (await api().get("/b/index.rss")).text;
    expect(texts(board, "link")[1]).toBe(`http://atoll.test/b/thread/${op.no}`);
  });

  it("obeys the domain rules as the JSON API does, and is named by the pages", async () => {
    const post = poster(t, () => {
      now += 1000;
    });
    const local = await post.local("b", null, "local thread");
    const quiet = await post.remote("b", null, QUIET, "quiet thread");
    const bad = await post.remote("b", null, BAD, "bad thread");
    await post.remote("b", local, BAD, "bad reply");
    await post.remote("b", local, QUIET, "quiet reply");
    setRules(t, { boardRules: [boardRule("b", BAD, "suspend"), boardRule("b", QUIET, "silence")] });

    const index = (await api().get("/b/index.rss")).text;
    expect(index).toContain("local thread");
    expect(index).not.toContain("bad thread");
    expect(index).not.toContain("quiet thread");
    const optedIn = (await api().get("/b/index.rss?show_limited=1")).text;
    expect(optedIn).toContain("quiet thread");
    expect(optedIn).not.toContain("bad thread");
    const byCookie = await api().get("/b/index.rss").set("Cookie", "show_limited=1");
    expect(byCookie.text).toContain("quiet thread");
    expect(byCookie.headers["vary"]).toContain("Cookie");

    const thread = (await api().get(`/b/thread/${local}.rss`)).text;
    expect(thread).not.toContain("bad reply");
    expect(thread).not.toContain("quiet reply");
    expect((await api().get(`/b/thread/${local}.rss?show_limited=1`)).text).toContain("quiet reply");
    expect((await api().get(`/b/thread/${bad}.rss?show_limited=1`)).status).toBe(404);
    expect((await api().get(`/b/thread/${quiet}.rss`)).status).toBe(404);
    expect((await api().get(`/b/thread/${quiet}.rss?show_limited=1`)).status).toBe(200);
    setRules(t);

    const rss = 'type="application/rss+xml"';
    for (const path of ["/b/", "/b/catalog", "/b/archive"]) {
      const page = (await api().get(path)).text;
      expect(page, path).toContain(`<link rel="alternate" ${rss} href="http://atoll.test/b/index.rss"`);
    }
    const threadPage = (await api().get(`/b/thread/${local}`)).text;
    expect(threadPage).toContain(`<link rel="alternate" ${rss} href="http://atoll.test/b/thread/${local}.rss"`);
  });
});
