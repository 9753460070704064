import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/fedify-peer.js";
import { makeJpeg, type TestInstance } from "../support/instance.js";
import { call, startLoopbackInstance, waitFor } from "../support/loopback.js";
import { apIds, createBoard, followBoard, mirrorHolds } from "../support/mirror.js";
import { type ServerProcess, serverBuilt, startServer } from "../support/server-process.js";

/*
 * Real server processes delivering to followers on loopback, and what they do when a process goes
 * away: the origin's web process stopped while its worker delivers, and a process killed outright
 * in the middle of a fan-out. Every follower must end with every post the origin has.
 */

const TOKEN = "delivery-processes-token-0123456789";
const ORIGIN_HOST = "127.0.0.2";

describe.skipIf(!serverBuilt)("delivery by real processes (skipped when dist/ is not built: npm run build)", () => {
  const followers: TestInstance[] = [];
  const dirs: string[] = [];
  const processes: ServerProcess[] = [];

  const track = (p: ServerProcess) => {
    processes.push(p);
    return p;
  };
  const dataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "atoll-processes-"));
    dirs.push(dir);
    return dir;
  };
  /** Posts through the origin's posting API; returns the new post's ActivityPub id. */
  const post = async (base: string, board: string, comment: string, thread?: number, image?: Buffer) => {
    const path =
      thread === undefined ? `/api/v1/boards/${board}/threads` : `/api/v1/boards/${board}/threads/${thread}/replies`;
    const form = new FormData();
    form.set("com", comment);
    if (image) form.set("file", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "a.jpg");
    const res = await fetch(`${base}${path}`, { method: "POST", body: form });
    expect(res.status).toBe(201);
    return (await res.json()) as { no: number; ap_id: string };
  };

  beforeAll(async () => {
    for (const host of ["127.0.0.5", "127.0.0.6", "127.0.0.7"]) {
      const t = await startLoopbackInstance(host, TOKEN);
      followers.push(t);
    }
  });
  afterAll(async () => {
    for (const p of processes) await p.kill();
    await Promise.all(followers.map((f) => f.stop()));
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("the origin's web process stops while its worker delivers: every follower ends with every post", async () => {
    const port = await freePort(ORIGIN_HOST);
    const env = {
      DATA_DIR: await dataDir(),
      PUBLIC_URL: `http://${ORIGIN_HOST}:${port}`,
      ADMIN_TOKEN: TOKEN,
    };
    let web = track(await startServer({ ...env, PORT: String(port), ATOLL_ROLE: "web" }, ORIGIN_HOST));
    track(await startServer({ ...env, ATOLL_ROLE: "worker" }, ORIGIN_HOST));
    await createBoard(web.url, TOKEN, "w");
    const target = `w@${ORIGIN_HOST}:${port}`;
    const [b, c] = followers as [TestInstance, TestInstance];
    for (const f of [b, c]) {
      await createBoard(f.url, TOKEN, "w");
      await followBoard(f.url, TOKEN, "w", target);
    }

    const posted = new Set<string>();
    const jpeg = await makeJpeg(96, 64);
    let thread = 0;
    for (let i = 0; i < 40; i++) {
      const withImage = i === 13 || i === 30;
      const p =
        i % 5 === 0
          ? await post(web.url, "w", `thread ${i}`)
          : await post(web.url, "w", `reply ${i}`, thread, withImage ? jpeg : undefined);
      if (i % 5 === 0) thread = p.no;
      posted.add(p.ap_id);
    }
    // The web process goes while the worker is still sending: the followers cannot fetch anything
    // from the origin now (its actors, its images), yet what they were sent is enough.
    expect(await web.stop()).toBe(0);
    const texts = [...posted].length - 2;
    for (const f of [b, c]) {
      await waitFor(
        `${f.url} to have every post without an image`,
        async () => (await apIds(f.url, "w")).size >= texts,
        60_000,
      );
    }
    // The two posts with images wait at the followers until the origin serves its files again.
    web = track(await startServer({ ...env, PORT: String(port), ATOLL_ROLE: "web" }, ORIGIN_HOST));
    for (const f of [b, c]) await mirrorHolds(f.url, "w", posted, 120_000);
    expect(await apIds(web.url, "w")).toEqual(posted);
    for (const f of [b, c]) {
      const res = await call(f.url, "GET", "/w/catalog.json");
      expect(res.status).toBe(200);
    }
  }, 300_000);

  it("a process killed in the middle of a fan-out to three followers loses nothing, and sends at once after a restart", async () => {
    const port = await freePort(ORIGIN_HOST);
    const env = {
      DATA_DIR: await dataDir(),
      PORT: String(port),
      PUBLIC_URL: `http://${ORIGIN_HOST}:${port}`,
      ADMIN_TOKEN: TOKEN,
    };
    let origin = track(await startServer(env, ORIGIN_HOST));
    await createBoard(origin.url, TOKEN, "k");
    for (const f of followers) {
      await createBoard(f.url, TOKEN, "k");
      await followBoard(f.url, TOKEN, "k", `k@${ORIGIN_HOST}:${port}`);
    }
    let thread = 0;
    for (let i = 0; i < 30; i++) {
      const p =
        i % 3 === 0 ? await post(origin.url, "k", `thread ${i}`) : await post(origin.url, "k", `reply ${i}`, thread);
      if (i % 3 === 0) thread = p.no;
    }
    // No chance to finish anything: leases held, announcements not yet queued, sends half done.
    await origin.kill();
    origin = track(await startServer(env, ORIGIN_HOST));
    const held = await apIds(origin.url, "k");
    expect(held.size).toBe(30);
    for (const f of followers) await mirrorHolds(f.url, "k", held, 60_000);

    // The first post after the restart reaches every follower within seconds: no lease of the
    // killed process holds its peers back.
    const fresh = await post(origin.url, "k", "after the restart");
    for (const f of followers) {
      await waitFor(
        `${f.url} to have the first post after the restart`,
        async () => (await apIds(f.url, "k")).has(fresh.ap_id),
        15_000,
      );
    }
  }, 300_000);
});
