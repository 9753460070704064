import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noteText } from "../../federation/inbox/note-text.js";
import { quoteTargets } from "../../federation/inbox/quote-links.js";
import { SanitizerThreads } from "../../federation/inbox/sanitizer-threads.js";
import { normalizeObject } from "../../federation/vocab/normalize.js";
import { projectRoot } from "../../server/paths.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * A federated post's `com` is the markup a local post gets: the remote HTML is read into comment text
 * (the leading mention of the board and a repeated subject dropped) and rendered by the same path as
 * a local comment. Real notes from other software where the fixtures have them, and notes shaped as
 * Misskey and GoToSocial send them.
 */

const FIXTURES = join(projectRoot(), "..", "shared", "fixtures", "activitypub");
const present = existsSync(FIXTURES);
const fixture = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, path), "utf8")) as Record<string, unknown>;

const BOARD = "https://atoll.example/ap/boards/b";
const REL = 'rel="nofollow noopener noreferrer ugc" target="_blank"';

describe("federated posts rendered as local ones", () => {
  const inline = new SanitizerThreads({ thread: false });
  let t: TestInstance;
  let op: number;

  beforeAll(async () => {
    t = await startTestInstance();
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    op = (await t.services.posting.createThread({ board: "b", comment: "op", ip: "192.0.2.1" })).no;
  });
  afterAll(() => t.stop());

  /** The `com` a post made of `doc` gets, and its subject, as a reply (or a thread when `thread`). */
  async function com(doc: Record<string, unknown>, ours: string[], thread = false) {
    const note = normalizeObject(doc);
    if (!note.ok) throw new Error(note.reason);
    const text = await noteText(
      inline,
      note,
      thread,
      2000,
      (href) => ours.includes(href),
      (hrefs) => quoteTargets(t.services, "b", hrefs),
    );
    const { post } = await t.services.posting.createRemote({
      board: "b",
      threadNo: thread ? null : op,
      name: "someone@remote.example",
      subject: text.subject,
      comment: text.comment,
      apId: `${String(doc["id"])}#${Math.random()}`,
      fediActor: "https://remote.example/users/someone",
    });
    return { com: post.html, sub: post.subject, quotes: post.quotes };
  }

  it.skipIf(!present)("Mastodon: the board's mention dropped, a hidden-scheme link as a plain link", async () => {
    const m1 = fixture("mastodon/objects/note_1.json");
    expect((await com(m1, ["https://mamot.fr/users/retiolus"])).com).toBe(
      "i have never been disappointed by a thinkpad. if you want to save money, get a model from a few years ago, there isnt a huge difference anyway.",
    );
    const m2 = fixture("mastodon/objects/note_2.json");
    expect((await com(m2, ["https://lemmy.kde.social/c/kde"])).com).toBe(
      "We also need funding 💶 to keep the gears turning! Please support us with a donation:<br><br>" +
        `<a href="https://kde.org/donate/" ${REL}>https://kde.org/donate/</a><br><br>[3/3]`,
    );
    // A mention of someone else stays, as text.
    expect((await com(m1, [])).com).toMatch(/^@retiolus i have never/);
  });

  it.skipIf(!present)("Pleroma and Lemmy: plain text, a title once, no paragraph tags", async () => {
    expect((await com(fixture("pleroma/objects/note.json"), [])).com).toBe("Have what?");
    expect((await com(fixture("lemmy/objects/comment.json"), ["https://enterprise.lemmy.ml/c/tenforward"])).com).toBe(
      "first comment!",
    );
    const page = await com(fixture("lemmy/objects/page.json"), ["https://enterprise.lemmy.ml/c/tenforward"], true);
    expect(page).toMatchObject({ sub: "Post title", com: "This is a post in the /c/tenforward community" });
  });

  it("Misskey: a thread started by mentioning the board, its first line the subject", async () => {
    const misskey = {
      id: "https://misskey.example/notes/9x1",
      type: "Note",
      attributedTo: "https://misskey.example/users/9a",
      content:
        '<p><a href="https://atoll.example/@b" class="u-url mention">@b@atoll.example</a> Cats<br><br>&gt;be cat<br>sleep all day <a href="https://misskey.example/tags/cats" rel="tag">#cats</a></p>',
      _misskey_content: "@b@atoll.example Cats\n\n>be cat\nsleep all day #cats",
      source: { content: "@b@atoll.example Cats\n\n>be cat\nsleep all day #cats", mediaType: "text/x.misskeymarkdown" },
      tag: [{ type: "Mention", href: BOARD, name: "@b@atoll.example" }],
      to: ["https://www.w3.org/ns/activitystreams#Public"],
    };
    expect(await com(misskey, [BOARD], true)).toMatchObject({
      sub: "Cats",
      com: '<span class="quote">&gt;be cat</span><br>sleep all day #cats',
    });
  });

  it("GoToSocial: a repeated subject, block quotes as greentext, a labelled link, a typed >>N left inert", async () => {
    const gts = {
      id: "https://gts.example/users/a/statuses/01H",
      type: "Note",
      attributedTo: "https://gts.example/users/a",
      name: "Weekly thread",
      content:
        `<p><strong>Weekly thread</strong></p><p>see <a href="https://docs.example/x">the docs</a> and &gt;&gt;${op}</p>` +
        "<blockquote><p>quoted line</p></blockquote><p>after <b>bold</b> &amp; &lt;tags&gt;</p>",
      tag: [],
    };
    expect(await com(gts, [], true)).toEqual({
      sub: "Weekly thread",
      com:
        `see the docs (<a href="https://docs.example/x" ${REL}>https://docs.example/x</a>) and ＞＞${op}<br><br>` +
        '<span class="quote">&gt;quoted line</span><br><br>after bold &amp; &lt;tags&gt;',
      quotes: [],
    });
  });

  it("drops the name line and the subject an earlier Atoll wrote into its content", async () => {
    const older = {
      id: "https://old-atoll.example/b/thread/12",
      type: "Note",
      attributedTo: "https://old-atoll.example/ap/anonymous",
      name: "Hello",
      content:
        '<p><strong>Hello</strong></p><p><b>Anonymous</b> <code>!trip</code> No.12</p><p><span class="quote">&gt;be me</span></p>',
      postNumber: 12,
      "@context": ["https://www.w3.org/ns/activitystreams", { postNumber: "https://old-atoll.example/ns#postNumber" }],
    };
    expect(await com(older, [], true)).toMatchObject({ sub: "Hello", com: '<span class="quote">&gt;be me</span>' });
  });

  it("never lets markup through from the sender: scripts and attributes go, text stays escaped", async () => {
    const hostile = {
      id: "https://evil.example/notes/1",
      type: "Note",
      attributedTo: "https://evil.example/users/e",
      content: '<p onclick="x()">hi<script>alert(1)</script><img src=x onerror=y()> <a href="javascript:x()">l</a></p>',
    };
    expect((await com(hostile, [])).com).toBe("hi l");
  });

  describe("quote links across instances", () => {
    const peer = "https://peer.example";
    let mirrored: number;
    let other: number;

    beforeAll(async () => {
      // The peer's thread numbered like our opening post is mirrored here under another number.
      const { post } = await t.services.posting.createRemote({
        board: "b",
        threadNo: null,
        name: "anon@peer.example",
        subject: null,
        comment: "mirrored",
        apId: `${peer}/b/thread/${op}`,
        fediActor: `${peer}/ap/anonymous`,
      });
      mirrored = post.no;
      await t.services.store.federation.remotePosts.put({ apId: `${peer}/b/thread/${op}`, board: "b", no: mirrored });
      await t.services.boards.create({ uri: "c", title: "Other", settings: { requireImageForThread: false } });
      other = (await t.services.posting.createThread({ board: "c", comment: "elsewhere", ip: "192.0.2.1" })).no;
    });

    const reply = (content: string, mediaType?: string) => ({
      id: `${peer}/b/post/99`,
      type: "Note",
      attributedTo: `${peer}/ap/anonymous`,
      content,
      ...(mediaType ? { mediaType } : {}),
    });
    const link = (href: string, label: string) => `<a href="${href}" class="quotelink">${label}</a>`;

    it("a quote of a post we mirror names our copy, not our post of the same number", async () => {
      expect(mirrored).not.toBe(op);
      const r = await com(reply(`<p>${link(`${peer}/b/thread/${op}#p${op}`, `&gt;&gt;${op}`)} agreed</p>`), []);
      expect(r.com).toBe(
        `<a href="/b/thread/${mirrored}#p${mirrored}" class="quotelink">&gt;&gt;${mirrored}</a> agreed`,
      );
      expect(r.quotes).toEqual([mirrored]);
      // Named by the object id too (any software linking the id).
      const byId = await com(reply(`<p>${link(`${peer}/b/thread/${op}`, `&gt;&gt;${op}`)}</p>`), []);
      expect(byId.quotes).toEqual([mirrored]);
      // A reply on the peer: its page URL names it in its thread, its object id is `/post/N`.
      const { post } = await t.services.posting.createRemote({
        board: "b",
        threadNo: mirrored,
        name: "anon@peer.example",
        subject: null,
        comment: "a reply",
        apId: `${peer}/b/post/5000`,
        fediActor: `${peer}/ap/anonymous`,
      });
      await t.services.store.federation.remotePosts.put({ apId: `${peer}/b/post/5000`, board: "b", no: post.no });
      const toReply = await com(reply(`<p>${link(`${peer}/b/thread/${op}#p5000`, "&gt;&gt;5000")}</p>`), []);
      expect(toReply.com).toBe(`<a href="/b/thread/${mirrored}#p${post.no}" class="quotelink">&gt;&gt;${post.no}</a>`);
    });

    it("a quote of one of our posts keeps its number, across boards as >>>/board/N", async () => {
      const base = t.services.config.publicUrl;
      const same = await com(reply(`<p>${link(`${base}/b/thread/${op}#p${op}`, "&gt;&gt;7")}</p>`), []);
      expect(same.com).toBe(`<a href="/b/thread/${op}#p${op}" class="quotelink">&gt;&gt;${op}</a>`);
      expect(same.quotes).toEqual([op]);
      const cross = await com(reply(`<p>${link(`${base}/c/thread/${other}`, `&gt;&gt;${other}`)}</p>`), []);
      expect(cross.com).toBe(`<a href="/c/thread/${other}#p${other}" class="quotelink">&gt;&gt;&gt;/c/${other}</a>`);
      expect(cross.quotes).toEqual([]);
    });

    it("a quote of a post we do not have stays a plain link and names no post of ours", async () => {
      const href = `https://unknown.example/b/thread/1#p${op}`;
      const r = await com(reply(`<p>${link(href, `&gt;&gt;${op}`)} what</p>`), []);
      expect(r.com).toBe(`＞＞${op} (<a href="${href}" ${REL}>${href}</a>) what`);
      expect(r.quotes).toEqual([]);
    });

    it("a >>N typed as text, in HTML or plain text, names no post of ours", async () => {
      const html = await com(reply(`<p>&gt;&gt;${op} and &gt;&gt;&gt;/b/${op}</p><p>&gt;&gt;${op} first</p>`), []);
      expect(html.com).toBe(`＞＞${op} and ＞＞&gt;/b/${op}<br><br>＞＞${op} first`);
      expect(html.quotes).toEqual([]);
      const plain = await com(reply(`>>${op}\n>greentext stays`, "text/plain"), []);
      expect(plain.com).toBe(`＞＞${op}<br><span class="quote">&gt;greentext stays</span>`);
      expect(plain.quotes).toEqual([]);
    });
  });
});
