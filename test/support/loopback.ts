import { expect } from "vitest";
import { freePort } from "./fedify-peer.js";
import { startTestInstance, type TestInstance } from "./instance.js";

/*
 * What the multi-party federation tests share: an Atoll instance listening on a loopback address of
 * its own (a domain to the others), JSON calls over real HTTP, polling, and the 4chan-API reads the
 * steps check their results with.
 */

export type Json = Record<string, unknown>;

export interface FourchanPost extends Json {
  no: number;
  resto: number;
  com?: string;
  ap_id?: string;
  fedi_actor?: string;
}

/** An instance on `host` (its own PUBLIC_URL there), allowed to federate with loopback peers. */
export async function startLoopbackInstance(
  host: string,
  adminToken: string,
  env: Record<string, string> = {},
): Promise<TestInstance> {
  const port = await freePort(host);
  return startTestInstance(
    {
      PORT: String(port),
      HOST: host,
      PUBLIC_URL: `http://${host}:${port}`,
      ALLOW_PRIVATE_ADDRESSES: "on",
      ADMIN_TOKEN: adminToken,
      ...env,
    },
    { listen: true },
  );
}

/** A request with an optional JSON body; the answer's body as JSON, or as text when it is not JSON. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** Polls `probe` every 50 ms until it returns a value (not undefined, null or false); fails after `ms`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until no instance has anything left to deliver, three polls in a row: a delivery completes
 * only once the receiving inbox has handled it and queued whatever it sends on, so empty queues
 * everywhere mean every exchange so far has run to its end.
 */
export async function settled(ms: number, ...instances: TestInstance[]): Promise<void> {
  let quiet = 0;
  await waitFor(
    "the delivery queues to drain",
    async () => {
      let pending = 0;
      for (const t of instances) pending += await t.services.store.federation.deliveries.countPending();
      quiet = pending === 0 ? quiet + 1 : 0;
      return quiet >= 3 ? true : undefined;
    },
    ms,
  );
}

/** Every thread of a board's catalog, through the 4chan JSON API. */
export async function catalogThreads(t: TestInstance, board: string): Promise<FourchanPost[]> {
  const res = await call(t.url, "GET", `/${board}/catalog.json`);
  expect(res.status).toBe(200);
  return (res.json as Array<{ threads: FourchanPost[] }>).flatMap((page) => page.threads);
}
