import { expect } from "vitest";
import { call, type FourchanPost, waitFor } from "./loopback.js";

/*
 * What the tests of mirrors share: following a board on another instance through the admin API, and
 * reading every post a board holds through the 4chan JSON API.
 */

/** Makes `board` on the instance at `base` follow `target` (`board@host`) and waits for the Accept. */
export async function followBoard(base: string, token: string, board: string, target: string): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const res = await call(base, "POST", `/api/v1/admin/boards/${board}/follows`, { target }, auth);
  expect(res.status).toBe(202);
  await waitFor(
    `${base}/${board}/ to have its follow of ${target} accepted`,
    async () => {
      const list = await call(base, "GET", `/api/v1/admin/boards/${board}/follows`, undefined, auth);
      return (list.json as Array<{ state: string }>).some((f) => f.state === "accepted");
    },
    30_000,
  );
}

/** Creates a board through the admin API (no image needed for a thread). */
export async function createBoard(base: string, token: string, uri: string): Promise<void> {
  const res = await call(
    base,
    "POST",
    "/api/v1/admin/boards",
    { uri, title: uri, settings: { requireImageForThread: false, maxThreads: 500 } },
    { authorization: `Bearer ${token}` },
  );
  expect(res.status).toBe(201);
}

/** Every post of a board (live threads, OPs first), through the 4chan JSON API. */
export async function boardPosts(base: string, board: string): Promise<FourchanPost[]> {
  const catalog = await call(base, "GET", `/${board}/catalog.json`);
  if (catalog.status !== 200) return [];
  const threads = (catalog.json as Array<{ threads: FourchanPost[] }>).flatMap((p) => p.threads);
  const out: FourchanPost[] = [];
  for (const t of threads) {
    const res = await call(base, "GET", `/${board}/thread/${t.no}.json`);
    if (res.status === 200) out.push(...(res.json as { posts: FourchanPost[] }).posts);
  }
  return out;
}

/** The ActivityPub ids of a board's posts (what a mirror is compared on). */
export async function apIds(base: string, board: string): Promise<Set<string>> {
  return new Set((await boardPosts(base, board)).map((p) => String(p.ap_id)));
}

/** Waits until the mirror at `base` holds exactly `expected` (the origin's post ids). */
export async function mirrorHolds(base: string, board: string, expected: Set<string>, ms: number): Promise<void> {
  await waitFor(
    `${base}/${board}/ to hold all ${expected.size} posts`,
    async () => {
      const have = await apIds(base, board);
      return have.size === expected.size && [...expected].every((id) => have.has(id));
    },
    ms,
  );
}
