import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * The inbound limit: inbox POSTs per signing domain (the host of the Signature's keyId), refused with
 * 429 before the body is read, on the fast path ahead of Express and on the router alike.
 */

const ACTIVITY = JSON.stringify({
  "@context": "https://www.w3.org/ns/activitystreams",
  id: "https://peer.example/activities/1",
  type: "Create",
  actor: "https://peer.example/users/a",
  object: { id: "https://peer.example/notes/1", type: "Note", content: "hi" },
});

/** Waits for a fresh ten-second slice of the inbox budgets, so a test's requests fall in one. */
async function freshSlice(): Promise<void> {
  const left = 10_000 - (Date.now() % 10_000);
  if (left < 7_000) await new Promise((r) => setTimeout(r, left + 50));
}

/** A POST to the shared inbox, signed (in form only: the limit acts before any signature check) by `domain`. */
function deliver(base: string, domain: string, opts: { gzip?: boolean; declaredLength?: number; user?: string } = {}) {
  const body = opts.gzip ? gzipSync(ACTIVITY) : Buffer.from(ACTIVITY);
  const headers: Record<string, string> = {
    "content-type": "application/activity+json",
    date: new Date().toUTCString(),
    signature: `keyId="https://${domain}/users/${opts.user ?? "a"}#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"`,
  };
  if (opts.gzip) headers["content-encoding"] = "gzip";
  return fetch(`${base}/ap/inbox`, { method: "POST", headers, body });
}

async function statuses(base: string, domain: string, n: number, opts: { gzip?: boolean } = {}): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await deliver(base, domain, opts)).status);
  return out;
}

describe("inbound limit per signing domain", () => {
  let on: TestInstance;
  let off: TestInstance;
  let defaults: TestInstance;

  beforeAll(async () => {
    // Three per ten-second slice for a domain; the actor budget well above it.
    const env = {
      FEDERATION: "on",
      ALLOW_PRIVATE_ADDRESSES: "on",
      RATE_LIMIT_INBOX: "18",
      RATE_LIMIT_INBOX_ACTOR: "600",
    };
    on = await startTestInstance({ ...env, RATE_LIMIT: "on" }, { listen: true });
    off = await startTestInstance({ ...env, RATE_LIMIT: "off" }, { listen: true });
    defaults = await startTestInstance(
      { FEDERATION: "on", ALLOW_PRIVATE_ADDRESSES: "on", RATE_LIMIT: "on" },
      { listen: true },
    );
  });
  afterAll(async () => {
    await on.stop();
    await off.stop();
    await defaults.stop();
  });

  it("answers 429 with Retry-After and a problem document once a domain has sent its share", async () => {
    await freshSlice();
    expect(await statuses(on.url, "busy.example", 3)).toEqual([401, 401, 401]);
    const refused = await deliver(on.url, "busy.example");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const retry = Number(refused.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(10);
    const problem = (await refused.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      type: "urn:atoll:problem:rate-limited",
      status: 429,
      title: "Too many requests",
      retry_after: retry,
    });
    expect(String(problem["detail"])).toContain("busy.example");
    // Another domain has its own budget; so does the same domain's sibling host.
    expect(await statuses(on.url, "quiet.example", 1)).toEqual([401]);
    expect(await statuses(on.url, "sub.busy.example", 1)).toEqual([401]);
  });

  it("counts and refuses on the router path too (a compressed body), once per request", async () => {
    await freshSlice();
    expect(await statuses(on.url, "zipped.example", 2, { gzip: true })).toEqual([401, 401]);
    expect(await statuses(on.url, "zipped.example", 1)).toEqual([401]);
    expect(await statuses(on.url, "zipped.example", 2, { gzip: true })).toEqual([429, 429]);
  });

  it("refuses before reading the body: an oversized one is never looked at", async () => {
    await freshSlice();
    expect(await statuses(on.url, "large.example", 3)).toEqual([401, 401, 401]);
    const big = await fetch(`${on.url}/ap/inbox`, {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        signature: 'keyId="https://large.example/users/a#main-key",signature="AAAA"',
      },
      body: Buffer.alloc(300 * 1024, 0x20),
    });
    expect(big.status).toBe(429);
    // Without the limit, the same request is refused for its size.
    const unlimited = await fetch(`${off.url}/ap/inbox`, {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        signature: 'keyId="https://large.example/users/a#main-key",signature="AAAA"',
      },
      body: Buffer.alloc(300 * 1024, 0x20),
    });
    expect(unlimited.status).toBe(413);
  });

  it("with the default budgets, refuses most of a burst of 120 from 40 actors of one domain, and an actor's flood", async () => {
    await freshSlice();
    const burst: number[] = [];
    for (let i = 0; i < 120; i++)
      burst.push((await deliver(defaults.url, "crowd.example", { user: `u${i % 40}` })).status);
    // 300 a minute for a domain is 50 in any ten seconds; the rest are asked to come back.
    expect(burst.filter((s) => s === 429)).toHaveLength(70);
    expect(burst.slice(0, 50).every((s) => s === 401)).toBe(true);
    // 30 a minute for one actor is 5 in ten seconds, whatever its domain has left.
    const flood: number[] = [];
    for (let i = 0; i < 6; i++) flood.push((await deliver(defaults.url, "chatty.example", { user: "loud" })).status);
    expect(flood).toEqual([401, 401, 401, 401, 401, 429]);
    const refused = await deliver(defaults.url, "chatty.example", { user: "loud" });
    expect(await refused.json()).toMatchObject({ status: 429, detail: expect.stringContaining("/users/loud") });
    expect(await statuses(defaults.url, "chatty.example", 1)).toEqual([401]);
  });

  it("spares a group a board follows the actor budget (it relays its members), not the domain's", async () => {
    await defaults.services.boards.create({ uri: "b", title: "Random" });
    await defaults.services.store.federation.follows.add({
      id: "https://atoll.test/follows/1",
      actorId: `${defaults.url}/ap/boards/b`,
      objectId: "https://groups.example/users/busy",
      board: "b",
      direction: "outbound",
      state: "accepted",
      inbox: "https://groups.example/users/busy/inbox",
      sharedInbox: null,
      domain: "groups.example",
      createdAt: Date.now(),
    });
    await defaults.federation.inbox!.followed.refresh();
    await freshSlice();
    const relayed: number[] = [];
    for (let i = 0; i < 12; i++) relayed.push((await deliver(defaults.url, "groups.example", { user: "busy" })).status);
    expect(relayed.every((s) => s === 401)).toBe(true);
    // Another actor of the same domain still has its own budget.
    const other: number[] = [];
    for (let i = 0; i < 6; i++) other.push((await deliver(defaults.url, "groups.example", { user: "other" })).status);
    expect(other).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("has no inbound limit with RATE_LIMIT=off", async () => {
    expect(await statuses(off.url, "busy.example", 6)).toEqual([401, 401, 401, 401, 401, 401]);
  });
});
