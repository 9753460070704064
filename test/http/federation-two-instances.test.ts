import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, type TestInstance } from "../support/instance.js";
import {
  call,
  catalogThreads,
  type FourchanPost,
  type Json,
  settled as settledWithin,
  startLoopbackInstance,
  waitFor as waitForWithin,
} from "../support/loopback.js";

/*
 * Two complete Atoll instances federating over real HTTP on loopback: A on 127.0.0.1 and B on
 * 127.0.0.3, each with its own store, keys, inboxes and delivery worker. B's board /b/ follows A's
 * board /a/ (a FEP-1b12 Group) through B's admin API; every step is then checked through the public
 * 4chan JSON API of the instance concerned. The steps share state and run in order.
 */

const TOKEN = "federation-test-token-0123456789";
const AP = "application/activity+json";
/** The longest any single step may take: deliveries are kicked at once, so this is only a bound. */
const STEP_MS = 45_000;

const startPeer = (host: string) => startLoopbackInstance(host, TOKEN);
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, ms = STEP_MS) => waitForWithin(what, probe, ms);
const settled = (...instances: TestInstance[]) => settledWithin(STEP_MS, ...instances);

const admin = (t: TestInstance, method: string, path: string, body?: unknown) =>
  call(t.url, method, path, body, { authorization: `Bearer ${TOKEN}` });

async function threadPosts(t: TestInstance, board: string, no: number): Promise<FourchanPost[]> {
  const res = await call(t.url, "GET", `/${board}/thread/${no}.json`);
  if (res.status === 404) return [];
  expect(res.status).toBe(200);
  return (res.json as { posts: FourchanPost[] }).posts;
}

async function followers(t: TestInstance, board: string): Promise<string[]> {
  const res = await call(t.url, "GET", `/ap/boards/${board}/followers?page=true`, undefined, { accept: AP });
  expect(res.status).toBe(200);
  return (res.json as { orderedItems: string[] }).orderedItems;
}

describe("two Atoll instances federating over loopback", () => {
  let A: TestInstance;
  let B: TestInstance;
  let groupA: string;
  /** The thread on A and its mirror on B. */
  let threadA: { no: number; apId: string };
  let mirrorNo: number;
  let replyA: { no: number; apId: string };
  /** A's reply with three images. */
  let threeA: { no: number; apId: string };

  beforeAll(async () => {
    [A, B] = await Promise.all([startPeer("127.0.0.1"), startPeer("127.0.0.3")]);
    groupA = `${A.url}/ap/boards/a`;
    const settings = { requireImageForThread: false };
    expect((await admin(A, "POST", "/api/v1/admin/boards", { uri: "a", title: "Alpha", settings })).status).toBe(201);
    expect((await admin(B, "POST", "/api/v1/admin/boards", { uri: "b", title: "Bravo", settings })).status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
  });

  it("B's board follows A's board by its handle; A records the follower and B's follow is accepted", async () => {
    const handle = `a@${new URL(A.url).host}`;
    const res = await admin(B, "POST", "/api/v1/admin/boards/b/follows", { target: handle });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ board: "b", target: groupA, handle, state: "pending" });

    const accepted = await waitFor("B's follow to be accepted", async () => {
      const list = await admin(B, "GET", "/api/v1/admin/boards/b/follows");
      const follows = list.json as Array<{ target: string; state: string }>;
      return follows.length === 1 && follows[0]?.state === "accepted" ? follows : undefined;
    });
    expect(accepted[0]).toMatchObject({ target: groupA, state: "accepted" });
    expect(await followers(A, "a")).toEqual([`${B.url}/ap/boards/b`]);
  });

  it("a thread posted on A appears on B's board, marked with its origin", async () => {
    const image = (await makeJpeg(80, 60)).toString("base64");
    const res = await call(A.url, "POST", "/api/v1/boards/a/threads", {
      sub: "Hello from A",
      com: "the first thread of /a/",
      password: "pw-a-thread",
      file: { name: "gradient.jpg", data: image },
    });
    expect(res.status).toBe(201);
    threadA = { no: (res.json as Json)["no"] as number, apId: (res.json as Json)["ap_id"] as string };
    expect(threadA.apId).toBe(`${A.url}/a/thread/${threadA.no}`);

    const mirror = await waitFor("A's thread on B", async () =>
      (await catalogThreads(B, "b")).find((t) => t.ap_id === threadA.apId),
    );
    mirrorNo = mirror.no;
    expect(mirror).toMatchObject({
      resto: 0,
      sub: "Hello from A",
      fedi_actor: `${A.url}/ap/anonymous`,
      ext: ".jpg",
      w: 80,
      h: 60,
    });
    expect(mirror.com).toContain("the first thread of /a/");
    // Posted on A: A's own JSON carries the same id and no fediverse author.
    const original = (await threadPosts(A, "a", threadA.no))[0];
    expect(original).toMatchObject({ no: threadA.no, ap_id: threadA.apId });
    expect(original?.fedi_actor).toBeUndefined();
  });

  it("a reply posted on A appears in the mirrored thread on B", async () => {
    const res = await call(A.url, "POST", `/api/v1/boards/a/threads/${threadA.no}/replies`, {
      com: "a reply written on A",
      password: "pw-a-reply",
    });
    expect(res.status).toBe(201);
    replyA = { no: (res.json as Json)["no"] as number, apId: (res.json as Json)["ap_id"] as string };

    const mirrored = await waitFor("A's reply on B", async () =>
      (await threadPosts(B, "b", mirrorNo)).find((p) => p.ap_id === replyA.apId),
    );
    expect(mirrored).toMatchObject({ resto: mirrorNo, fedi_actor: `${A.url}/ap/anonymous` });
    expect(mirrored.com).toContain("a reply written on A");
  });

  // B's author sends the reply to the group the thread came from (answering A's id for the thread);
  // A announces it to its followers, and B ignores the Announce of its own post.
  it("a reply posted on B into the mirrored thread reaches A's thread, and shows once on B", async () => {
    const res = await call(B.url, "POST", `/api/v1/boards/b/threads/${mirrorNo}/replies`, {
      com: "a reply written on B",
      password: "pw-b-reply",
    });
    expect(res.status).toBe(201);
    await settled(A, B);
    const onA = (await threadPosts(A, "a", threadA.no)).filter((p) => p.com?.includes("a reply written on B"));
    expect(onA).toHaveLength(1);
    expect(onA[0]?.fedi_actor).toBe(`${B.url}/ap/anonymous`);
    await settled(A, B);
    const onB = (await threadPosts(B, "b", mirrorNo)).filter((p) => p.com?.includes("a reply written on B"));
    expect(onB).toHaveLength(1);
    expect(onB[0]?.ap_id).toBe((res.json as Json)["ap_id"]);

    // Its author deletes it on B: it leaves A's thread too.
    const del = await call(B.url, "DELETE", `/api/v1/boards/b/posts/${(res.json as Json)["no"]}`, {
      password: "pw-b-reply",
    });
    expect(del.status).toBe(204);
    await waitFor("B's reply to leave A", async () =>
      (await threadPosts(A, "a", threadA.no)).some((p) => p.com?.includes("a reply written on B")) ? undefined : true,
    );
  });

  it("deleting A's reply on A with its password removes it from B", async () => {
    const del = await call(A.url, "DELETE", `/api/v1/boards/a/posts/${replyA.no}`, { password: "pw-a-reply" });
    expect(del.status).toBe(204);
    expect((await threadPosts(A, "a", threadA.no)).some((p) => p.no === replyA.no)).toBe(false);
    await waitFor("A's reply to leave B", async () =>
      (await threadPosts(B, "b", mirrorNo)).some((p) => p.ap_id === replyA.apId) ? undefined : true,
    );
    const remaining = await threadPosts(B, "b", mirrorNo);
    expect(remaining[0]).toMatchObject({ no: mirrorNo, ap_id: threadA.apId });
    expect(remaining.some((p) => p.ap_id === replyA.apId)).toBe(false);
  });

  // A local post's one possible change, losing its file (poster's or moderator's file-only
  // deletion), federates as the author's Update of the Note without its attachment.
  it("removing the thread's file on A (an update of the post) reaches B", async () => {
    const del = await call(A.url, "DELETE", `/api/v1/boards/a/posts/${threadA.no}`, {
      password: "pw-a-thread",
      file_only: true,
    });
    expect(del.status).toBe(204);
    expect((await threadPosts(A, "a", threadA.no))[0]?.ext).toBeUndefined();
    await settled(A, B);
    expect((await threadPosts(B, "b", mirrorNo))[0]?.ext).toBeUndefined();
  });

  it("a reply with three images crosses both ways with all of them, in order", async () => {
    const files = await Promise.all([makeJpeg(40, 30), makeJpeg(50, 30), makeJpeg(60, 30)]);
    const file = files.map((b, i) => ({ name: `pic${i}.jpg`, data: b.toString("base64") }));
    const fromA = await call(A.url, "POST", `/api/v1/boards/a/threads/${threadA.no}/replies`, {
      com: "three on A",
      file,
    });
    expect(fromA.status).toBe(201);
    const apIdA = (fromA.json as Json)["ap_id"] as string;
    threeA = { no: (fromA.json as Json)["no"] as number, apId: apIdA };
    const onB = await waitFor("A's three images on B", async () =>
      (await threadPosts(B, "b", mirrorNo)).find((p) => p.ap_id === apIdA),
    );
    const widths = (p: FourchanPost) => [p.w, ...((p as Json)["extra_files"] as Json[]).map((f) => f["w"])];
    expect(widths(onB)).toEqual([40, 50, 60]);

    const fromB = await call(B.url, "POST", `/api/v1/boards/b/threads/${mirrorNo}/replies`, {
      com: "three on B",
      file,
    });
    expect(fromB.status).toBe(201);
    const apIdB = (fromB.json as Json)["ap_id"] as string;
    const onA = await waitFor("B's three images on A", async () =>
      (await threadPosts(A, "a", threadA.no)).find((p) => p.ap_id === apIdB),
    );
    expect(widths(onA)).toEqual([40, 50, 60]);
    await settled(A, B);
  });

  // Staff removing one file of several: the Update carries the files left, and the mirror drops just that one.
  it("staff on A deleting the second of three images removes just that one, on A and on B", async () => {
    const before = (await threadPosts(A, "a", threadA.no)).find((p) => p.no === threeA.no)!;
    const second = ((before as Json)["extra_files"] as Json[])[0]!;
    const del = await admin(A, "DELETE", `/api/v1/admin/boards/a/posts/${threeA.no}?tim=${String(second["tim"])}`);
    expect(del.status).toBe(204);
    const widths = (p: FourchanPost) => [p.w, ...((p as Json)["extra_files"] as Json[]).map((f) => f["w"])];
    const onA = (await threadPosts(A, "a", threadA.no)).find((p) => p.no === threeA.no)!;
    expect(widths(onA)).toEqual([40, 60]);
    await waitFor("B to drop the second image", async () => {
      const onB = (await threadPosts(B, "b", mirrorNo)).find((p) => p.ap_id === threeA.apId);
      return onB && widths(onB).length === 2 ? onB : undefined;
    });
    const onB = (await threadPosts(B, "b", mirrorNo)).find((p) => p.ap_id === threeA.apId)!;
    expect(widths(onB)).toEqual([40, 60]);
    expect(onB.com).toContain("three on A");
    await settled(A, B);
  });

  it("after B unfollows, A forgets the follower and new threads on A no longer reach B", async () => {
    const res = await admin(B, "DELETE", `/api/v1/admin/boards/b/follows?target=${encodeURIComponent(groupA)}`);
    expect(res.status).toBe(204);
    expect((await admin(B, "GET", "/api/v1/admin/boards/b/follows")).json).toEqual([]);
    await waitFor("A to forget its follower", async () => ((await followers(A, "a")).length === 0 ? true : undefined));

    const later = await call(A.url, "POST", "/api/v1/boards/a/threads", { sub: "After", com: "not for B" });
    expect(later.status).toBe(201);
    const apId = (later.json as Json)["ap_id"] as string;
    await settled(A, B);
    expect(await A.services.store.federation.deliveries.listDropped(10)).toEqual([]);
    expect(await B.services.store.federation.deliveries.listDropped(10)).toEqual([]);
    const onB = await catalogThreads(B, "b");
    expect(onB.some((t) => t.ap_id === apId)).toBe(false);
    // What B mirrored before the unfollow stays.
    expect(onB.map((t) => t.ap_id)).toEqual([threadA.apId]);
  });
});
