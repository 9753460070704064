import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKFILL_MAX_ITEMS } from "../../federation/remote/backfill.js";
import type { TestInstance } from "../support/instance.js";
import {
  call,
  catalogThreads,
  type FourchanPost,
  settled as settledWithin,
  startLoopbackInstance,
  waitFor,
} from "../support/loopback.js";

/*
 * A mirror catching up with the board it follows: B's /b/ follows A's /a/ (two instances on
 * loopback); what A posted before the follow, or while B missed it, is read back from A's outbox.
 */

const TOKEN = "backfill-test-token-0123456789abcd";
const STEP_MS = 45_000;
const admin = (t: TestInstance, method: string, path: string, body?: unknown) =>
  call(t.url, method, path, body, { authorization: `Bearer ${TOKEN}` });
const settled = (...instances: TestInstance[]) => settledWithin(STEP_MS, ...instances);

async function mirrored(t: TestInstance, board: string): Promise<Map<string, FourchanPost[]>> {
  const out = new Map<string, FourchanPost[]>();
  for (const thread of await catalogThreads(t, board)) {
    const res = await call(t.url, "GET", `/${board}/thread/${thread.no}.json`);
    const posts = (res.json as { posts: FourchanPost[] }).posts;
    out.set(String(posts[0]?.ap_id), posts);
  }
  return out;
}

describe("a mirror catching up with the outbox of the board it follows", () => {
  let A: TestInstance;
  let B: TestInstance;
  let group: string;
  const threadsOnA: Array<{ no: number; apId: string }> = [];

  const post = async (comment: string, thread?: number) => {
    const path = thread === undefined ? "/api/v1/boards/a/threads" : `/api/v1/boards/a/threads/${thread}/replies`;
    const res = await call(A.url, "POST", path, { com: comment });
    expect(res.status).toBe(201);
    return res.json as { no: number; ap_id: string };
  };

  beforeAll(async () => {
    [A, B] = await Promise.all([startLoopbackInstance("127.0.0.1", TOKEN), startLoopbackInstance("127.0.0.4", TOKEN)]);
    group = `${A.url}/ap/boards/a`;
    const settings = { requireImageForThread: false, maxThreads: 500 };
    expect((await admin(A, "POST", "/api/v1/admin/boards", { uri: "a", title: "Alpha", settings })).status).toBe(201);
    expect((await admin(B, "POST", "/api/v1/admin/boards", { uri: "b", title: "Bravo", settings })).status).toBe(201);
    // A's board has a history before anyone follows it
    for (let i = 0; i < 3; i++) {
      const t = await post(`before the follow ${i}`);
      threadsOnA.push({ no: t.no, apId: t.ap_id });
      await post(`a reply in ${i}`, t.no);
    }
  });
  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
  });

  it("reads back what the board posted before the follow, threads before their replies", async () => {
    const res = await admin(B, "POST", "/api/v1/admin/boards/b/follows", { target: `a@${new URL(A.url).host}` });
    expect(res.status).toBe(202);
    const threads = await waitFor(
      "B to catch up with A's history",
      async () => {
        const m = await mirrored(B, "b");
        return [...m.values()].filter((p) => p.length === 2).length === 3 ? m : undefined;
      },
      STEP_MS,
    );
    for (const t of threadsOnA) {
      const posts = threads.get(t.apId);
      expect(posts?.map((p) => p.com)).toEqual([
        expect.stringContaining("before the follow"),
        expect.stringContaining("a reply in"),
      ]);
    }
    // mirrored in the order A posted them: B's numbers rise as A's did
    const numbersOnB = threadsOnA.map((t) => Number(threads.get(t.apId)?.[0]?.no));
    expect(numbersOnB).toEqual([...numbersOnB].sort((x, y) => x - y));
  });

  it("heals a gap the origin gave up on: the missed posts are read back, the rest left alone", async () => {
    await settled(A, B);
    // Posts whose deliveries A gave up on (as after its retry horizon): B never hears of them.
    const worker = A.federation.worker;
    if (!worker) throw new Error("federation is off");
    await worker.stop();
    for (let i = 0; i < 4; i++) await post(`missed ${i}`, i % 2 === 0 ? undefined : threadsOnA[0]?.no);
    await A.federation.publisher?.idle();
    expect(await A.services.store.federation.deliveries.removeForDomain(new URL(B.url).hostname)).toBeGreaterThan(0);
    worker.start();
    const before = await mirrored(B, "b");
    expect([...before.values()].flat().some((p) => String(p.com).includes("missed"))).toBe(false);

    const backfill = B.federation.backfill;
    if (!backfill) throw new Error("federation is off");
    const result = await backfill.fromGroup(group);
    expect(result.missing).toBe(4);
    expect(result.taken).toBe(4);
    const after = await mirrored(B, "b");
    const texts = [...after.values()].flat().map((p) => String(p.com));
    for (let i = 0; i < 4; i++) expect(texts.some((t) => t.includes(`missed ${i}`))).toBe(true);
    // the replies landed in their thread
    expect(after.get(String(threadsOnA[0]?.apId))?.filter((p) => String(p.com).includes("missed"))).toHaveLength(2);

    // nothing is missing any more: a second catch-up reads and takes nothing new
    const again = await backfill.fromGroup(group);
    expect(again).toMatchObject({ missing: 0, taken: 0 });
    expect(again.read).toBeLessThanOrEqual(BACKFILL_MAX_ITEMS);
  });
});
