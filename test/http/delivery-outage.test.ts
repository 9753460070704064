import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/fedify-peer.js";
import type { TestInstance } from "../support/instance.js";
import { call, startLoopbackInstance, waitFor } from "../support/loopback.js";
import { boardPosts, createBoard, followBoard, mirrorHolds } from "../support/mirror.js";
import { type ServerProcess, serverBuilt, startServer } from "../support/server-process.js";

/*
 * A follower (a real server process) is down for two minutes while the board it follows keeps
 * posting. Once it is back, the origin's queue must bring it the whole backlog within seconds, in
 * the order it was posted.
 */

const TOKEN = "delivery-outage-token-0123456789ab";
const FOLLOWER_HOST = "127.0.0.8";
const OUTAGE_MS = 120_000;

describe.skipIf(!serverBuilt)("a follower down for two minutes (skipped when dist/ is not built)", () => {
  let origin: TestInstance | null = null;
  let follower: ServerProcess | null = null;
  let dir = "";
  afterAll(async () => {
    await follower?.kill();
    await origin?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("gets the whole backlog within seconds of coming back, in the order it was posted", async () => {
    origin = await startLoopbackInstance("127.0.0.9", TOKEN);
    await createBoard(origin.url, TOKEN, "o");
    dir = await mkdtemp(join(tmpdir(), "atoll-outage-"));
    const port = await freePort(FOLLOWER_HOST);
    const env = { DATA_DIR: dir, PORT: String(port), ADMIN_TOKEN: TOKEN };
    follower = await startServer(env, FOLLOWER_HOST);
    await createBoard(follower.url, TOKEN, "f");
    await followBoard(follower.url, TOKEN, "f", `o@${new URL(origin.url).host}`);

    expect(await follower.stop()).toBe(0);
    const wentDown = Date.now();
    const posted: string[] = [];
    let thread = 0;
    for (let i = 0; Date.now() - wentDown < OUTAGE_MS; i++) {
      const path = i % 3 === 0 ? "/api/v1/boards/o/threads" : `/api/v1/boards/o/threads/${thread}/replies`;
      const res = await call(origin.url, "POST", path, { com: `posted while it was down, ${i}` });
      expect(res.status).toBe(201);
      const p = res.json as { no: number; ap_id: string };
      if (i % 3 === 0) thread = p.no;
      posted.push(p.ap_id);
      await new Promise((r) => setTimeout(r, 8000));
    }
    expect(posted.length).toBeGreaterThanOrEqual(10);
    // The origin has been failing to reach it all along.
    const domain = FOLLOWER_HOST;
    expect(await origin.services.store.federation.deliveries.pendingForDomain(domain)).toBeGreaterThan(0);

    follower = await startServer(env, FOLLOWER_HOST);
    await mirrorHolds(follower.url, "f", new Set(posted), 45_000);
    // The origin's queue finds it back and sends its whole backlog (the follower, catching up with
    // the origin's outbox as it starts, may have taken some of it first), dropping nothing.
    const queue = origin.services.store.federation.deliveries;
    await waitFor(
      "the origin's backlog for the follower to be sent",
      async () => (await queue.pendingForDomain(domain)) === 0,
      45_000,
    );
    expect(
      (await origin.services.store.federation.deliveries.listDropped(100)).filter((d) => d.domain === domain),
    ).toEqual([]);
    // In order: the follower numbered the posts as the origin did.
    const mine = new Map((await boardPosts(follower.url, "f")).map((p) => [String(p.ap_id), p.no]));
    const numbers = posted.map((id) => mine.get(id) ?? -1);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  }, 300_000);
});
