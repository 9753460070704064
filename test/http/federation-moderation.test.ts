import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../server/services/logger.js";
import { admin, settled, startAtoll, TOKEN, waitFor } from "../support/defederation-parties.js";
import { freePort } from "../support/fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import { call, catalogThreads, type FourchanPost, type Json } from "../support/loopback.js";

/*
 * Moderation between two Atoll instances over real HTTP on loopback: B's board /b/ (on 127.0.0.82)
 * follows A's board /a/ (on 127.0.0.81). A's staff lock, sticky, remove posts and files and ban an
 * account; B's mirror follows each, because the acting staff Person is in /a/'s moderators
 * collection and /a/ announces the act. The other way, B's staff removing a mirrored post of A's
 * is noted by A and not applied: B's staff do not moderate /a/. The steps share state and run in order.
 */

async function threadPosts(t: TestInstance, board: string, no: number): Promise<FourchanPost[]> {
  const res = await call(t.url, "GET", `/${board}/thread/${no}.json`);
  if (res.status === 404) return [];
  expect(res.status).toBe(200);
  return (res.json as { posts: FourchanPost[] }).posts;
}

async function logOf(t: TestInstance, board: string): Promise<Array<{ action: string; post: number; reason: string }>> {
  const res = await call(t.url, "GET", `/${board}/log.json`);
  expect(res.status).toBe(200);
  return (res.json as { entries: Array<{ action: string; post: number; reason: string }> }).entries;
}

async function postThread(
  t: TestInstance,
  board: string,
  com: string,
  file = false,
): Promise<{ no: number; apId: string }> {
  const body: Json = { sub: com, com };
  if (file) body["file"] = { name: "x.jpg", data: (await makeJpeg(40, 30)).toString("base64") };
  const res = await call(t.url, "POST", `/api/v1/boards/${board}/threads`, body);
  expect(res.status).toBe(201);
  return { no: (res.json as Json)["no"] as number, apId: (res.json as Json)["ap_id"] as string };
}

describe("moderation between two Atoll instances", () => {
  let A: TestInstance;
  let B: TestInstance;
  let thread: { no: number; apId: string };
  let mirrorNo: number;

  const mirrorOf = (apId: string) =>
    waitFor(`${apId} on B`, async () => (await catalogThreads(B, "b")).find((t) => t.ap_id === apId));

  /** A's log lines, for what A decides without answering with an error. */
  const logA: string[] = [];

  beforeAll(async () => {
    const portA = await freePort("127.0.0.81");
    [A, B] = await Promise.all([
      startTestInstance(
        {
          PORT: String(portA),
          HOST: "127.0.0.81",
          PUBLIC_URL: `http://127.0.0.81:${portA}`,
          ALLOW_PRIVATE_ADDRESSES: "on",
          ADMIN_TOKEN: TOKEN,
        },
        { listen: true, logger: createLogger("info", (line) => logA.push(line)) },
      ),
      startAtoll("127.0.0.82"),
    ]);
    const settings = { requireImageForThread: false };
    expect((await admin(A, "POST", "/api/v1/admin/boards", { uri: "a", title: "Alpha", settings })).status).toBe(201);
    expect((await admin(B, "POST", "/api/v1/admin/boards", { uri: "b", title: "Bravo", settings })).status).toBe(201);
    const res = await admin(B, "POST", "/api/v1/admin/boards/b/follows", { target: `a@${new URL(A.url).host}` });
    expect(res.status).toBe(202);
    await waitFor("B's follow to be accepted", async () => {
      const follows = (await admin(B, "GET", "/api/v1/admin/boards/b/follows")).json as Array<{ state: string }>;
      return follows[0]?.state === "accepted" ? true : undefined;
    });
    thread = await postThread(A, "a", "a thread to moderate", true);
    mirrorNo = (await mirrorOf(thread.apId)).no;
  });

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
  });

  it("A's staff lock the thread: B's mirror is locked and refuses replies; unlocking reopens it", async () => {
    const res = await admin(A, "PATCH", `/api/v1/admin/boards/a/threads/${thread.no}`, {
      locked: true,
      reason: "cool down",
    });
    expect(res.status).toBe(200);
    await waitFor("the lock on B", async () =>
      (await threadPosts(B, "b", mirrorNo))[0]?.["closed"] === 1 ? true : undefined,
    );
    const reply = await call(B.url, "POST", `/api/v1/boards/b/threads/${mirrorNo}/replies`, { com: "let me in" });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);

    expect((await admin(A, "PATCH", `/api/v1/admin/boards/a/threads/${thread.no}`, { locked: false })).status).toBe(
      200,
    );
    await waitFor("the unlock on B", async () =>
      (await threadPosts(B, "b", mirrorNo))[0]?.["closed"] === undefined ? true : undefined,
    );
    const again = await call(B.url, "POST", `/api/v1/boards/b/threads/${mirrorNo}/replies`, { com: "open again" });
    expect(again.status).toBe(201);
    await settled(A, B);
  });

  it("A's staff sticky and unsticky the thread: B's mirror follows", async () => {
    expect((await admin(A, "PATCH", `/api/v1/admin/boards/a/threads/${thread.no}`, { sticky: true })).status).toBe(200);
    await waitFor("the sticky on B", async () =>
      (await threadPosts(B, "b", mirrorNo))[0]?.["sticky"] === 1 ? true : undefined,
    );
    expect((await admin(A, "PATCH", `/api/v1/admin/boards/a/threads/${thread.no}`, { sticky: false })).status).toBe(
      200,
    );
    await waitFor("the unsticky on B", async () =>
      (await threadPosts(B, "b", mirrorNo))[0]?.["sticky"] === undefined ? true : undefined,
    );
  });

  it("A's staff remove a file, then a reply: B's mirror loses both, and B's public log records the removal", async () => {
    const reply = await call(A.url, "POST", `/api/v1/boards/a/threads/${thread.no}/replies`, { com: "spam spam spam" });
    expect(reply.status).toBe(201);
    const replyApId = (reply.json as Json)["ap_id"] as string;
    await waitFor("the reply on B", async () =>
      (await threadPosts(B, "b", mirrorNo)).find((p) => p.ap_id === replyApId),
    );
    const mirroredReply = (await threadPosts(B, "b", mirrorNo)).find((p) => p.ap_id === replyApId);

    const file = await admin(
      A,
      "DELETE",
      `/api/v1/admin/boards/a/posts/${thread.no}?file_only=true&reason=no%20such%20images`,
    );
    expect(file.status).toBe(204);
    await waitFor("the file to leave B", async () =>
      (await threadPosts(B, "b", mirrorNo))[0]?.ext === undefined ? true : undefined,
    );

    const del = await admin(A, "DELETE", `/api/v1/admin/boards/a/posts/${(reply.json as Json)["no"]}`, {
      reason: "Rule 3: spam",
    });
    expect(del.status).toBe(204);
    await waitFor("the reply to leave B", async () =>
      (await threadPosts(B, "b", mirrorNo)).some((p) => p.ap_id === replyApId) ? undefined : true,
    );
    const log = await logOf(B, "b");
    expect(log).toContainEqual(
      expect.objectContaining({ action: "remote_removal", post: mirroredReply?.no, reason: "Rule 3: spam" }),
    );
    expect((await threadPosts(B, "b", mirrorNo))[0]?.ap_id).toBe(thread.apId);
  });

  it("A bans an account from /a/ with its posts: B records the ban and A drops the posts", async () => {
    // The account is B's anonymous author: its reply into A's thread is on both sides.
    const reply = await call(B.url, "POST", `/api/v1/boards/b/threads/${mirrorNo}/replies`, { com: "troll words" });
    expect(reply.status).toBe(201);
    await settled(A, B);
    const account = `${B.url}/ap/anonymous`;
    expect((await threadPosts(A, "a", thread.no)).some((p) => p.com?.includes("troll words"))).toBe(true);

    const ban = await admin(A, "POST", "/api/v1/admin/bans", {
      actor: account,
      board: "a",
      reason: "trolling",
      delete_posts: true,
    });
    expect(ban.status).toBe(201);
    await settled(A, B);
    await waitFor("B to record A's ban", async () => {
      const bans = await B.services.store.federation.groupBans.active(account, [`${A.url}/ap/boards/a`], Date.now());
      return bans.length > 0 ? bans : undefined;
    });
    expect((await threadPosts(A, "a", thread.no)).some((p) => p.com?.includes("troll words"))).toBe(false);
  });

  // An instance-wide ban is the instance actor's own Block: B applies it as a ban by every group of
  // A's that B follows, and lifts it with its Undo.
  it("A's instance-wide ban and its lifting reach B as bans by A's groups", async () => {
    const account = `${B.url}/ap/anonymous`;
    const group = `${A.url}/ap/boards/a`;
    const ban = await admin(A, "POST", "/api/v1/admin/bans", { actor: account, reason: "everywhere" });
    expect(ban.status).toBe(201);
    await waitFor("B to record the instance-wide ban", async () => {
      const [found] = await B.services.store.federation.groupBans.active(account, [group], Date.now());
      return found?.reason === "everywhere" ? found : undefined;
    });
    expect((await admin(A, "DELETE", `/api/v1/admin/bans/${(ban.json as Json)["id"]}`)).status).toBe(204);
    await settled(A, B);
    expect(await B.services.store.federation.groupBans.active(account, [group], Date.now())).toEqual([]);
    expect(await A.services.store.federation.deliveries.listDropped(10)).toEqual([]);
  });

  it("a reader's report on B of A's thread reaches A with its category, the reporter unnamed", async () => {
    const bad = await call(B.url, "POST", `/api/v1/boards/b/posts/${mirrorNo}/report`, {
      reason: "x",
      category: "rude",
    });
    expect(bad.status).toBe(400);
    const res = await call(B.url, "POST", `/api/v1/boards/b/posts/${mirrorNo}/report`, {
      reason: "selling pills",
      category: "spam",
    });
    expect(res.status).toBe(202);
    const onB = (await admin(B, "GET", "/api/v1/admin/reports")).json as Json[];
    expect(onB.find((r) => r["post_no"] === mirrorNo)).toMatchObject({ category: "spam", reason: "selling pills" });
    const onA = await waitFor("the report on A", async () =>
      ((await admin(A, "GET", "/api/v1/admin/reports")).json as Json[]).find((r) => r["post_no"] === thread.no),
    );
    expect(onA).toMatchObject({
      category: "spam",
      reason: `Report from ${new URL(B.url).hostname}: selling pills`,
      origin: new URL(B.url).hostname,
    });
  });

  // As in Lemmy, the origin applies a removal only from its own moderators; A logs B's and keeps
  // its thread.
  it("B's staff removing A's thread on B's mirror removes it from B only; A notes it and keeps the thread", async () => {
    const other = await postThread(A, "a", "a thread B's staff dislike");
    const mirror = await mirrorOf(other.apId);
    const del = await admin(B, "DELETE", `/api/v1/admin/boards/b/posts/${mirror.no}`, { reason: "not on our board" });
    expect(del.status).toBe(204);
    await settled(A, B);
    expect((await catalogThreads(B, "b")).some((t) => t.ap_id === other.apId)).toBe(false);
    expect((await threadPosts(A, "a", other.no))[0]?.no).toBe(other.no);
    expect((await logOf(A, "a")).some((e) => e.post === other.no)).toBe(false);
    // A took the removal without applying it, so B holds no failed delivery for it.
    expect(logA.some((l) => l.includes("a peer's removal of our post is not applied") && l.includes(other.apId))).toBe(
      true,
    );
    expect(await B.services.store.federation.deliveries.listDropped(10)).toEqual([]);
  });
});
