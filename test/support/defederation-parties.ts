import { expect } from "vitest";
import type { AuditActor } from "../../server/domain/defederation-ports.js";
import type { FakePeer } from "./fake-peer.js";
import { makeJpeg, type TestInstance } from "./instance.js";
import {
  call,
  type Json,
  settled as settledWithin,
  startLoopbackInstance,
  waitFor as waitForWithin,
} from "./loopback.js";

/*
 * What the defederation tests share: Atoll instances on loopback addresses of their own (a domain to
 * the others), driven through the admin and public JSON APIs, with waits sized for one step.
 */

export const TOKEN = "defederation-test-token-0123456789";
export const STEP_MS = 45_000;
export const CLI: AuditActor = { kind: "cli", id: "" };

/** An instance on `host`, with the admin token above. */
export const startAtoll = (host: string, env: Record<string, string> = {}) => startLoopbackInstance(host, TOKEN, env);
/** Polls `probe` until it returns a value, for at most one step unless `ms` says otherwise. */
export const waitFor = <T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = STEP_MS) =>
  waitForWithin(what, probe, ms);
/** Waits until no instance has anything left to deliver. */
export const settled = (...instances: TestInstance[]) => settledWithin(STEP_MS, ...instances);

/** A call to `t`'s admin API with the admin token. */
export const admin = (t: TestInstance, method: string, path: string, body?: unknown) =>
  call(t.url, method, path, body, { authorization: `Bearer ${TOKEN}` });

/** Creates board `uri` through the admin API, with threads allowed without an image. */
export async function createBoard(t: TestInstance, uri: string): Promise<void> {
  const res = await admin(t, "POST", "/api/v1/admin/boards", {
    uri,
    title: `/${uri}/`,
    settings: { requireImageForThread: false },
  });
  expect(res.status).toBe(201);
}

/** Board `board` of `from` follows the board `target` of `to`, and the follow is accepted. */
export async function followBoard(from: TestInstance, board: string, to: TestInstance, target: string): Promise<void> {
  const res = await admin(from, "POST", `/api/v1/admin/boards/${board}/follows`, {
    target: `${to.url}/ap/boards/${target}`,
  });
  expect(res.status).toBe(202);
  await waitFor(`/${board}/ on ${from.url} to follow /${target}/ on ${to.url}`, async () => {
    const f = await from.services.store.federation.follows.get(
      `${from.url}/ap/boards/${board}`,
      `${to.url}/ap/boards/${target}`,
    );
    return f?.state === "accepted";
  });
}

/** Posts a thread (with a JPEG when `image`) through the public API; its number and ActivityPub id. */
export async function postThread(
  t: TestInstance,
  board: string,
  com: string,
  image = false,
): Promise<{ no: number; apId: string }> {
  const file = image ? { name: "gradient.jpg", data: (await makeJpeg(64, 48)).toString("base64") } : undefined;
  const res = await call(t.url, "POST", `/api/v1/boards/${board}/threads`, {
    com,
    password: "pw-thread",
    ...(file ? { file } : {}),
  });
  expect(res.status).toBe(201);
  return { no: (res.json as Json)["no"] as number, apId: (res.json as Json)["ap_id"] as string };
}

/** The local post mirroring a remote object, if the instance holds one. */
export async function mirrorOf(t: TestInstance, apId: string) {
  const ref = await t.services.store.federation.remotePosts.get(apId);
  return ref ? t.services.store.posts.getPost(ref.board, ref.no) : null;
}

/** The hostname an instance or peer is known by: its domain to the others. */
export function domainOf(t: TestInstance | FakePeer | { origin: string }): string {
  return new URL("url" in t ? t.url : t.origin).hostname;
}
