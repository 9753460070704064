import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../server/domain/staff.js";
import { csrfOf, signIn } from "../support/admin-session.js";
import type { TestInstance } from "../support/instance.js";
import {
  call,
  catalogThreads,
  type FourchanPost,
  type Json,
  startLoopbackInstance,
  waitFor,
} from "../support/loopback.js";
import { followBoard } from "../support/mirror.js";

/*
 * Anonymous posters across two Atoll instances on loopback: A (127.0.0.1) holds /a/, B (127.0.0.3)
 * mirrors it on /b/. A poster's token travels with their posts; B's staff hide the token's posts,
 * B's report names the token to A, and A's staff ban the poster behind it by address, which neither
 * instance ever shows or sends. The steps share state and run in order.
 */

const TOKEN = "poster-tokens-test-token-0123456789";
const STEP_MS = 45_000;
const POSTER = "192.0.2.5";
const OTHER = "192.0.2.99";
const READER = "203.0.113.77";

const admin = (t: TestInstance, method: string, path: string, body?: unknown) =>
  call(t.url, method, path, body, { authorization: `Bearer ${TOKEN}` });
const as = (ip: string) => ({ "x-forwarded-for": ip });

async function threadPosts(t: TestInstance, board: string, no: number): Promise<FourchanPost[]> {
  const res = await call(t.url, "GET", `/${board}/thread/${no}.json`);
  return res.status === 200 ? (res.json as { posts: FourchanPost[] }).posts : [];
}

async function pageText(t: TestInstance, path: string): Promise<string> {
  const res = await fetch(`${t.url}${path}`);
  return res.text();
}

interface AdminReport {
  id: string;
  post_no: number;
  origin: string | null;
  poster_token: string | null;
  post: { poster_token: string | null } | null;
}

describe("poster tokens between two Atoll instances", () => {
  let A: TestInstance;
  let B: TestInstance;
  /** The poster's thread on A, its mirror on B, and the poster's token on /a/. */
  let threadA: { no: number; apId: string };
  let mirrorNo: number;
  let token: string;
  /** Another poster's thread on A and its mirror on B. */
  let otherA: { no: number; apId: string };
  let otherMirror: number;

  beforeAll(async () => {
    [A, B] = await Promise.all([
      startLoopbackInstance("127.0.0.1", TOKEN, { TRUST_PROXY: "on" }),
      startLoopbackInstance("127.0.0.3", TOKEN, { TRUST_PROXY: "on" }),
    ]);
    const settings = { requireImageForThread: false };
    for (const [t, uri] of [
      [A, "a"],
      [A, "c"],
      [B, "b"],
    ] as const) {
      expect((await admin(t, "POST", "/api/v1/admin/boards", { uri, title: uri, settings })).status).toBe(201);
    }
    await followBoard(B.url, TOKEN, "b", `a@${new URL(A.url).host}`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
  });

  it("gives a local post a token, the same for one poster on one board, and never shows it publicly", async () => {
    const first = await call(A.url, "POST", "/api/v1/boards/a/threads", { com: "first from the poster" }, as(POSTER));
    expect(first.status).toBe(201);
    threadA = { no: (first.json as Json)["no"] as number, apId: (first.json as Json)["ap_id"] as string };
    const other = await call(A.url, "POST", "/api/v1/boards/a/threads", { com: "someone else" }, as(OTHER));
    expect(other.status).toBe(201);
    otherA = { no: (other.json as Json)["no"] as number, apId: (other.json as Json)["ap_id"] as string };
    const elsewhere = await call(A.url, "POST", "/api/v1/boards/c/threads", { com: "the poster on /c/" }, as(POSTER));
    expect(elsewhere.status).toBe(201);

    const stored = await A.services.store.posts.getPost("a", threadA.no);
    token = stored?.posterToken ?? "";
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await A.services.store.posts.getPost("a", otherA.no))?.posterToken).not.toBe(token);
    const onC = await A.services.store.posts.getPost("c", (elsewhere.json as Json)["no"] as number);
    expect(onC?.posterToken).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(onC?.posterToken).not.toBe(token);

    expect(JSON.stringify(await threadPosts(A, "a", threadA.no))).not.toContain(token);
    expect(await pageText(A, `/a/thread/${threadA.no}`)).not.toContain(token);
    expect(JSON.stringify((await call(A.url, "GET", "/a/catalog.json")).json)).not.toContain(token);
    // The Note anyone can fetch does not name it either: only the copy delivered to followers does.
    const note = await fetch(`${A.url}/a/thread/${threadA.no}`, { headers: { accept: "application/activity+json" } });
    const noteText = await note.text();
    expect(noteText).toContain('"type":"Note"');
    expect(noteText).not.toContain(token);
  });

  it("the mirror keeps the token of each mirrored post, shown to staff only", async () => {
    mirrorNo = await waitFor(
      "the poster's thread on B",
      async () => (await catalogThreads(B, "b")).find((t) => t.ap_id === threadA.apId)?.no,
      STEP_MS,
    );
    otherMirror = await waitFor(
      "the other thread on B",
      async () => (await catalogThreads(B, "b")).find((t) => t.ap_id === otherA.apId)?.no,
      STEP_MS,
    );
    expect((await B.services.store.posts.getPost("b", mirrorNo))?.posterToken).toBe(token);
    expect(JSON.stringify(await threadPosts(B, "b", mirrorNo))).not.toContain(token);
    expect(await pageText(B, `/b/thread/${mirrorNo}`)).not.toContain(token);
  });

  it("B's staff hide the token: its posts leave B's pages, catalog, JSON and feeds, and the log keeps no token", async () => {
    const before = await pageText(B, "/b/index.rss");
    expect(before).toContain(`/b/thread/${mirrorNo}`);
    const res = await admin(B, "POST", "/api/v1/admin/boards/b/hidden-posters", { token, reason: "flooding" });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ board: "b", token, reason: "flooding" });
    expect((await admin(B, "POST", "/api/v1/admin/boards/b/hidden-posters", { token })).status).toBe(409);

    const catalog = await catalogThreads(B, "b");
    expect(catalog.map((t) => t.no)).toEqual([otherMirror]);
    expect((await call(B.url, "GET", `/b/thread/${mirrorNo}.json`)).status).toBe(404);
    expect((await fetch(`${B.url}/b/thread/${mirrorNo}`)).status).toBe(404);
    expect(await pageText(B, "/b/")).not.toContain("first from the poster");
    expect(await pageText(B, "/b/index.rss")).not.toContain(`/b/thread/${mirrorNo}`);
    // A is not B: the origin still shows it.
    expect(await threadPosts(A, "a", threadA.no)).toHaveLength(1);

    const listed = (await admin(B, "GET", "/api/v1/admin/boards/b/hidden-posters")).json as Array<{ token: string }>;
    expect(listed.map((h) => h.token)).toEqual([token]);
    const log = await call(B.url, "GET", "/b/log.json");
    expect(JSON.stringify(log.json)).toContain("hide_poster");
    expect(JSON.stringify(log.json)).toContain("flooding");
    expect(JSON.stringify(log.json)).not.toContain(token);

    // A token no post on the board carries, or no token at all, is refused and nothing is hidden.
    const unknown = await admin(B, "POST", "/api/v1/admin/boards/b/hidden-posters", { token: "Q".repeat(22) });
    expect(unknown.status).toBe(404);
    expect((await admin(B, "POST", "/api/v1/admin/boards/b/hidden-posters", { token: "x y" })).status).toBe(400);
    expect(((await admin(B, "GET", "/api/v1/admin/boards/b/hidden-posters")).json as unknown[]).length).toBe(1);
  });

  it("a later post with the hidden token arrives on B hidden; lifting the hiding brings everything back", async () => {
    const reply = await call(
      A.url,
      "POST",
      `/api/v1/boards/a/threads/${otherA.no}/replies`,
      { com: "the poster again" },
      as(POSTER),
    );
    expect(reply.status).toBe(201);
    const replyApId = (reply.json as Json)["ap_id"] as string;
    await waitFor(
      "the reply stored on B",
      async () => ((await B.services.store.posts.postsByPosterToken("b", token, 10)).length === 2 ? true : undefined),
      STEP_MS,
    );
    expect((await threadPosts(B, "b", otherMirror)).some((p) => p.ap_id === replyApId)).toBe(false);
    expect((await threadPosts(A, "a", otherA.no)).some((p) => p.ap_id === replyApId)).toBe(true);

    expect((await admin(B, "DELETE", `/api/v1/admin/boards/b/hidden-posters/${token}`)).status).toBe(204);
    expect((await admin(B, "DELETE", `/api/v1/admin/boards/b/hidden-posters/${token}`)).status).toBe(404);
    expect((await threadPosts(B, "b", otherMirror)).some((p) => p.ap_id === replyApId)).toBe(true);
    expect((await catalogThreads(B, "b")).map((t) => t.no).sort()).toEqual([mirrorNo, otherMirror].sort());
    expect(JSON.stringify((await call(B.url, "GET", "/b/log.json")).json)).toContain("unhide_poster");
  });

  it("B's report of the poster's post reaches A naming the token, and lands in A's queue with it", async () => {
    const res = await call(B.url, "POST", `/api/v1/boards/b/posts/${mirrorNo}/report`, { reason: "spam" }, as(READER));
    expect(res.status).toBe(202);
    const filed = await waitFor(
      "the report filed on A",
      async () => {
        const list = (await admin(A, "GET", "/api/v1/admin/reports")).json as AdminReport[];
        return list.length > 0 ? list : undefined;
      },
      STEP_MS,
    );
    expect(filed).toHaveLength(1);
    expect(filed[0]).toMatchObject({
      post_no: threadA.no,
      origin: new URL(B.url).hostname,
      poster_token: token,
      post: { poster_token: token },
    });
    expect(JSON.stringify(filed)).not.toContain(READER);
    // B's own queue shows its staff the mirrored post's token too.
    const onB = (await admin(B, "GET", "/api/v1/admin/reports")).json as AdminReport[];
    expect(onB[0]?.post?.poster_token).toBe(token);
  });

  it("a Flag naming a token none of the reported posts carries files nothing on A", async () => {
    const mirrored = await B.services.store.posts.getPost("b", otherMirror);
    expect(mirrored).not.toBeNull();
    const report: Report = {
      id: randomUUID(),
      board: "b",
      postNo: otherMirror,
      reason: "forged token",
      createdAt: Date.now(),
      ipHash: null,
      resolved: false,
    };
    // The relay sends what it is handed: a post claiming the poster's token, which the other
    // thread on A does not carry.
    B.services.events.emit({ type: "report_filed", report, post: { ...mirrored!, posterToken: token } });
    const flagId = `${B.url}/ap/actor/flags/${encodeURIComponent(report.id)}`;
    await waitFor(
      "A to receive the Flag",
      async () => ((await A.services.store.federation.inboxDedupe.has(flagId, Date.now())) ? true : undefined),
      STEP_MS,
    );
    await waitFor(
      "B to finish delivering it",
      async () => ((await B.services.store.federation.deliveries.countPending()) === 0 ? true : undefined),
      STEP_MS,
    );
    expect(await B.services.store.federation.deliveries.listDropped(10)).toEqual([]);
    const reports = (await admin(A, "GET", "/api/v1/admin/reports")).json as AdminReport[];
    expect(reports.map((r) => r.post_no)).toEqual([threadA.no]);
  });

  it("A's staff ban the poster behind the token: that poster can no longer post on /a/, others still can", async () => {
    // Tokens A does not know on /a/ (made up, or the same poster's on /c/) are refused; nothing is banned.
    const onC = (await A.services.store.posts.postsByIpHash(A.services.posting.hashIp(POSTER), 10)).find(
      (p) => p.board === "c",
    );
    for (const wrong of ["Q".repeat(22), onC?.posterToken ?? ""]) {
      const res = await admin(A, "POST", "/api/v1/admin/boards/a/poster-bans", { token: wrong, reason: "spam" });
      expect(res.status).toBe(404);
    }
    expect((await admin(A, "POST", "/api/v1/admin/boards/a/poster-bans", { token: "no!", reason: "x" })).status).toBe(
      400,
    );
    // B's board is not A's to ban on, whatever token it names.
    expect((await admin(B, "POST", "/api/v1/admin/boards/b/poster-bans", { token, reason: "x" })).status).toBe(404);
    expect((await admin(A, "GET", "/api/v1/admin/bans")).json).toEqual([]);
    expect((await admin(B, "GET", "/api/v1/admin/bans")).json).toEqual([]);

    const res = await admin(A, "POST", "/api/v1/admin/boards/a/poster-bans", {
      token,
      reason: "spam from the mirror",
      duration: 3600,
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ board: "a", kind: "address", reason: "spam from the mirror", removed_posts: 0 });
    expect(JSON.stringify(res.json)).not.toContain(POSTER);
    // Banning the author of the reported post settles the report.
    expect((await admin(A, "GET", "/api/v1/admin/reports")).json).toEqual([]);

    const banned = await call(A.url, "POST", "/api/v1/boards/a/threads", { com: "let me back in" }, as(POSTER));
    expect(banned.status).toBe(403);
    expect(JSON.stringify(banned.json)).toContain("spam from the mirror");
    const fine = await call(A.url, "POST", "/api/v1/boards/a/threads", { com: "still welcome" }, as(OTHER));
    expect(fine.status).toBe(201);
    // The ban holds on /a/ only: the poster still posts on /c/.
    expect((await call(A.url, "POST", "/api/v1/boards/c/threads", { com: "on c" }, as(POSTER))).status).toBe(201);
    expect((await admin(A, "POST", "/api/v1/admin/boards/a/poster-bans", { token, reason: "again" })).status).toBe(409);
  });

  it("a ban by token can delete the token's posts on the board", async () => {
    const otherToken = (await A.services.store.posts.getPost("a", otherA.no))?.posterToken;
    const res = await admin(A, "POST", "/api/v1/admin/boards/a/poster-bans", {
      token: otherToken,
      reason: "cleanup",
      delete_posts: true,
    });
    expect(res.status).toBe(201);
    // The other poster's thread (with the replies in it, the banned poster's included) and their later thread.
    expect(res.json).toMatchObject({ removed_posts: 2 });
    expect(await A.services.store.posts.postsByPosterToken("a", otherToken ?? "", 10)).toEqual([]);
    expect((await call(A.url, "POST", "/api/v1/boards/a/threads", { com: "again" }, as(OTHER))).status).toBe(403);
  });

  it("staff pages show the token and carry the controls: hide on the mirror, ban at the origin", async () => {
    await A.services.staff.createUser("boss", "a-long-password-1", "admin", []);
    await B.services.staff.createUser("boss", "a-long-password-1", "admin", []);
    // A fresh report on B of the poster's thread, for the queue on both sides (B sends a post's
    // report once while reports on it are open there).
    for (const r of (await admin(B, "GET", "/api/v1/admin/reports")).json as AdminReport[]) {
      expect((await admin(B, "POST", `/api/v1/admin/reports/${r.id}/resolve`)).status).toBe(204);
    }
    const again = await call(B.url, "POST", `/api/v1/boards/b/posts/${mirrorNo}/report`, { reason: "more" }, as(OTHER));
    expect(again.status).toBe(202);

    const b = (await signIn(B.app, "boss", "a-long-password-1")).agent;
    const queueB = await b.get("/admin");
    expect(queueB.text).toContain(token);
    expect(queueB.text).toContain(`Hide this poster on /b/`);
    const hide = await b
      .post("/admin/hidden-posters")
      .type("form")
      .send({ csrf: csrfOf(queueB.text), back: "/admin", board: "b", token, reason: "" });
    expect(hide.status).toBe(303);
    expect((await catalogThreads(B, "b")).some((t) => t.no === mirrorNo)).toBe(false);
    const queueAfter = (await b.get("/admin")).text;
    expect(queueAfter).toContain("posts are hidden on /b/");
    expect(queueAfter).not.toContain("Hide this poster on /b/");
    const listPage = await b.get("/admin/hidden-posters");
    expect(listPage.text).toContain(token);
    const show = await b
      .post("/admin/hidden-posters/show")
      .type("form")
      .send({ csrf: csrfOf(listPage.text), back: "/admin/hidden-posters", board: "b", token });
    expect(show.status).toBe(303);
    expect((await catalogThreads(B, "b")).some((t) => t.no === mirrorNo)).toBe(true);

    const a = (await signIn(A.app, "boss", "a-long-password-1")).agent;
    const queueA = await waitFor(
      "the second report on A",
      async () => {
        const page = await a.get("/admin");
        return page.text.includes("Ban the poster behind this token") ? page.text : undefined;
      },
      STEP_MS,
    );
    expect(queueA).toContain(token);
  });
});
