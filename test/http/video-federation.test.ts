import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestInstance } from "../support/instance.js";
import {
  call,
  catalogThreads,
  type FourchanPost,
  type Json,
  settled,
  startLoopbackInstance,
  waitFor,
} from "../support/loopback.js";
import { ffmpegMissing, makeVideo, VP9_OPUS } from "../support/videos.js";

/*
 * Three Atoll instances on loopback (A on 127.0.0.171, B on .172, C on .173). B's /b/ (videos
 * accepted) and C's /i/ (images only) follow A's /a/. A WebM thread crosses from A to B, a WebM reply from B to A;
 * each side serves the other's video as playable media, with its length.
 */

const TOKEN = "video-federation-token-0123456789";
const AP = "application/activity+json";
const STEP_MS = 45_000;
const WEBM_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];
const missing = ffmpegMissing();

const admin = (t: TestInstance, method: string, path: string, body?: unknown) =>
  call(t.url, method, path, body, { authorization: `Bearer ${TOKEN}` });

async function threadPosts(t: TestInstance, board: string, no: number): Promise<FourchanPost[]> {
  const res = await call(t.url, "GET", `/${board}/thread/${no}.json`);
  return res.status === 200 ? (res.json as { posts: FourchanPost[] }).posts : [];
}

/** The file a post's JSON names, fetched from that instance: its type and first bytes. */
async function mediaOf(t: TestInstance, board: string, p: FourchanPost): Promise<{ type: string; head: number[] }> {
  const res = await fetch(`${t.url}/media/${board}/${p["tim"]}${p["ext"]}`);
  expect(res.status).toBe(200);
  const body = Buffer.from(await res.arrayBuffer());
  return { type: res.headers.get("content-type") ?? "", head: [...body.subarray(0, 4)] };
}

describe.skipIf(missing !== null)(`videos across federation${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let A: TestInstance;
  let B: TestInstance;
  let C: TestInstance;
  let webm: Buffer;
  let threadA: { no: number; apId: string };
  let mirrorNo: number;

  beforeAll(async () => {
    [A, B, C] = (await Promise.all(
      ["127.0.0.171", "127.0.0.172", "127.0.0.173"].map((host) => startLoopbackInstance(host, TOKEN)),
    )) as [TestInstance, TestInstance, TestInstance];
    const videos = { requireImageForThread: false, allowedTypes: ["image/jpeg", "video/webm"], maxVideoDuration: 10 };
    const images = { requireImageForThread: false };
    const followers = [
      [B, "b"],
      [C, "i"],
    ] as const;
    for (const [t, uri, settings] of [
      [A, "a", videos],
      [B, "b", videos],
      [C, "i", images],
    ] as const) {
      expect((await admin(t, "POST", "/api/v1/admin/boards", { uri, title: uri, settings })).status).toBe(201);
    }
    for (const [t, board] of followers) {
      const res = await admin(t, "POST", `/api/v1/admin/boards/${board}/follows`, { target: `${A.url}/ap/boards/a` });
      expect(res.status).toBe(202);
    }
    await waitFor(
      "both follows to be accepted",
      async () => {
        const states = await Promise.all(
          followers.map(async ([t, board]) => {
            const list = (await admin(t, "GET", `/api/v1/admin/boards/${board}/follows`)).json as Array<{
              state: string;
            }>;
            return list[0]?.state;
          }),
        );
        return states.every((s) => s === "accepted") ? true : undefined;
      },
      STEP_MS,
    );
    webm = await makeVideo({ seconds: 2, width: 160, height: 90, codecs: VP9_OPUS, ext: ".webm" });
  });

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
  });

  it("a WebM thread on A goes out as a video Document and plays on B's video board", async () => {
    const res = await call(A.url, "POST", "/api/v1/boards/a/threads", {
      com: "a clip from A",
      file: { name: "clip.webm", data: webm.toString("base64") },
    });
    expect(res.status).toBe(201);
    threadA = { no: (res.json as Json)["no"] as number, apId: (res.json as Json)["ap_id"] as string };

    // The object as Mastodon reads a video: a Document with its media type, address and size.
    const object = await call(A.url, "GET", `/a/thread/${threadA.no}`, undefined, { accept: AP });
    expect(object.status).toBe(200);
    const attachment = ((object.json as Json)["attachment"] as Json[])[0];
    expect(attachment).toMatchObject({ type: "Document", mediaType: "video/webm", width: 160, height: 90 });
    expect(String(attachment?.["url"])).toMatch(new RegExp(`^${A.url}/media/a/\\d+\\.webm$`));

    const mirror = await waitFor(
      "A's thread on B",
      async () => (await catalogThreads(B, "b")).find((t) => t.ap_id === threadA.apId),
      STEP_MS,
    );
    mirrorNo = mirror.no;
    expect(mirror).toMatchObject({ ext: ".webm", w: 160, h: 90 });
    expect(await mediaOf(B, "b", mirror)).toEqual({ type: "video/webm", head: WEBM_MAGIC });
    const page = await call(B.url, "GET", `/b/thread/${mirrorNo}`);
    expect(String(page.json)).toContain(`<span class="video-duration">0:02</span>`);
  });

  it("an images-only board takes the same thread without its video", async () => {
    const there = await waitFor(
      "A's thread on C's /i/",
      async () => (await catalogThreads(C, "i")).find((t) => t.ap_id === threadA.apId),
      STEP_MS,
    );
    expect(there.com).toContain("a clip from A");
    expect(there["tim"]).toBeUndefined();
  });

  it("a WebM reply on B reaches A's thread as playable media", async () => {
    const res = await call(B.url, "POST", `/api/v1/boards/b/threads/${mirrorNo}/replies`, {
      com: "a clip from B",
      file: { name: "answer.webm", data: webm.toString("base64") },
    });
    expect(res.status).toBe(201);
    await settled(STEP_MS, A, B);
    const onA = await waitFor(
      "B's reply on A",
      async () => (await threadPosts(A, "a", threadA.no)).find((p) => p.com?.includes("a clip from B")),
      STEP_MS,
    );
    expect(onA).toMatchObject({ ext: ".webm", w: 160, h: 90, fedi_actor: `${B.url}/ap/anonymous` });
    expect(await mediaOf(A, "a", onA)).toEqual({ type: "video/webm", head: WEBM_MAGIC });
  });
});
