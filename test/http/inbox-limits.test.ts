import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeActor, FakePeer, postSigned } from "../support/fake-peer.js";
import { AS, InboxScene } from "../support/inbox-scene.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * The inbound limits: inbox POSTs per signing domain (the host of the Signature's keyId) and per
 * signing actor, spent only by requests whose signature verifies, and refused with 429 before the
 * body is read once spent, on the fast path ahead of Express and on the router alike. Requests whose
 * signature fails spend nothing but a budget of failures per claimed domain, past which keys not
 * known here are not fetched for them. Each case signs from a fake peer on an address of its own, so
 * each has a domain (and budgets) of its own.
 */

/** Waits for a fresh ten-second slice of the inbox budgets, so a test's requests fall in one. */
async function freshSlice(): Promise<void> {
  const left = 10_000 - (Date.now() % 10_000);
  if (left < 7_000) await new Promise((r) => setTimeout(r, left + 50));
}

/** A POST to the shared inbox naming a key on `domain`, signed in form only (the signature is garbage). */
function forge(base: string, domain: string, opts: { gzip?: boolean; user?: string; body?: Buffer } = {}) {
  const json = JSON.stringify({
    "@context": AS,
    id: `https://${domain}/activities/1`,
    type: "Create",
    actor: `https://${domain}/users/${opts.user ?? "a"}`,
    object: { id: `https://${domain}/notes/1`, type: "Note", content: "hi" },
  });
  const body = opts.body ?? (opts.gzip ? gzipSync(json) : Buffer.from(json));
  const headers: Record<string, string> = {
    "content-type": "application/activity+json",
    date: new Date().toUTCString(),
    signature: `keyId="https://${domain}/users/${opts.user ?? "a"}#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"`,
  };
  if (opts.gzip) headers["content-encoding"] = "gzip";
  return fetch(`${base}/ap/inbox`, { method: "POST", headers, body });
}

describe("inbound limits per signing domain and actor", () => {
  // Three a ten-second slice for a domain, two for an actor; five failed verifications a minute.
  const scene = new InboxScene({
    env: {
      RATE_LIMIT: "on",
      RATE_LIMIT_INBOX: "18",
      RATE_LIMIT_INBOX_ACTOR: "12",
      RATE_LIMIT_INBOX_FAILURES: "5",
    },
  });
  const peers: FakePeer[] = [];
  let off: TestInstance;
  let seq = 0;

  /** A fake peer on an address of its own: a domain no other case signs from. */
  async function peerAt(address: string): Promise<FakePeer> {
    const peer = await FakePeer.start(address);
    peers.push(peer);
    return peer;
  }

  /** A signed activity of `actor` that the inbox verifies and takes (a Like: ignored, no side effect). */
  const like = (actor: FakeActor) => ({
    "@context": AS,
    id: `${actor.id}/likes/${++seq}`,
    type: "Like",
    actor: actor.id,
    object: `${scene.t.url}/b/thread/${scene.op}`,
  });
  const send = async (actor: FakeActor, signer: FakeActor = actor) =>
    (await postSigned(scene.sharedInbox, like(actor), signer)).status;

  beforeAll(async () => {
    await scene.start();
    off = await startTestInstance(
      { FEDERATION: "on", ALLOW_PRIVATE_ADDRESSES: "on", RATE_LIMIT: "off", RATE_LIMIT_INBOX: "18" },
      { listen: true },
    );
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await scene.stop();
    await off.stop();
  });

  it("forged requests naming a domain's key do not spend its budget: its real deliveries go on", async () => {
    const peer = await peerAt("127.0.0.61");
    const alice = peer.actor("alice");
    const impostor = { ...alice, privateKeyPem: peer.actor("mallory").privateKeyPem };
    peer.actor("bob");
    await freshSlice();
    expect(await send(alice)).toBe(202);
    // Signed with another key under alice's key id, and garbage under another of the domain's.
    const forged: number[] = [];
    for (let i = 0; i < 20; i++) forged.push(await send(alice, impostor));
    for (let i = 0; i < 10; i++) forged.push((await forge(scene.t.url, peer.url.slice("http://".length))).status);
    expect(new Set(forged)).toEqual(new Set([401]));
    // Alice's budget (two a slice) and her domain's (three) are as she left them, and an actor
    // not known yet is fetched and taken: failures on a known key cost no fetch past the first.
    expect([await send(alice), await send(alice)]).toEqual([202, 429]);
    const bob = peer.actor("bob");
    expect([await send(bob), await send(bob)]).toEqual([202, 429]);
  });

  it("past the fetches failures may cost a claimed domain, keys not known here are not fetched; known ones verify", async () => {
    const peer = await peerAt("127.0.0.62");
    const alice = peer.actor("alice");
    peer.actor("mallory");
    peer.actor("carol");
    await freshSlice();
    expect(await send(alice)).toBe(202);
    // Keys of actors the peer does not have (404): each fetch is a failure, until five are spent.
    const ghosts: number[] = [];
    for (let i = 0; i < 12; i++) {
      const ghost = { ...alice, id: `${peer.url}/users/ghost${i}`, keyId: `${peer.url}/users/ghost${i}#main-key` };
      ghosts.push(await send(ghost));
    }
    expect(ghosts.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(ghosts.slice(5))).toEqual(new Set([429]));
    expect(peer.fetched.filter((p) => p.startsWith("/users/ghost"))).toHaveLength(5);
    // A forged signature on alice's cached key is still only a failed check, with no refetch.
    const impostor = { ...alice, privateKeyPem: peer.actor("mallory").privateKeyPem };
    expect(await send(alice, impostor)).toBe(401);
    expect(peer.fetched.filter((p) => p === "/users/alice")).toHaveLength(1);
    // Alice, whose key is known, is verified and taken throughout; an actor not known yet cannot
    // be told from the flood and is asked to come back once the minute is over.
    expect(await send(alice)).toBe(202);
    const carol = await postSigned(scene.sharedInbox, like(peer.actor("carol")), peer.actor("carol"));
    expect(carol.status).toBe(429);
    expect(Number(carol.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(peer.fetched.filter((p) => p === "/users/carol")).toHaveLength(0);
  });

  it("answers 429 with Retry-After and a problem document once a domain has sent its share", async () => {
    const peer = await peerAt("127.0.0.63");
    const domain = peer.url.slice("http://".length);
    const [a, b] = [peer.actor("a"), peer.actor("b")];
    await freshSlice();
    expect([await send(a), await send(b), await send(a)]).toEqual([202, 202, 202]);
    const refused = await postSigned(scene.sharedInbox, like(b), b);
    expect(refused.status).toBe(429);
    expect(refused.type).toMatch(/^application\/problem\+json/);
    const retry = Number(refused.headers["retry-after"]);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(10);
    expect(refused.body).toMatchObject({
      type: "urn:atoll:problem:rate-limited",
      status: 429,
      title: "Too many requests",
      retry_after: retry,
    });
    expect(String(refused.body["detail"])).toContain("127.0.0.63");
    // Refused from the header alone, on the router path too (a compressed body), and before the
    // body is read: an oversized one is never looked at.
    expect((await forge(scene.t.url, domain)).status).toBe(429);
    expect((await forge(scene.t.url, domain, { gzip: true })).status).toBe(429);
    expect((await forge(scene.t.url, domain, { body: Buffer.alloc(300 * 1024, 0x20) })).status).toBe(429);
    // Another domain has its own budget.
    expect((await forge(scene.t.url, "quiet.example")).status).toBe(401);
  });

  it("limits an actor within its domain's budget, and spares a group a board follows", async () => {
    const peer = await peerAt("127.0.0.64");
    const [loud, other] = [peer.actor("loud"), peer.actor("other")];
    await freshSlice();
    expect([await send(loud), await send(loud), await send(loud)]).toEqual([202, 202, 429]);
    const refused = await postSigned(scene.sharedInbox, like(loud), loud);
    expect(String(refused.body["detail"])).toContain("/users/loud");
    expect(await send(other)).toBe(202);

    const groups = await peerAt("127.0.0.65");
    const group = groups.actor("busy", { type: "Group" });
    await scene.t.services.store.federation.follows.add({
      id: `${scene.t.url}/follows/busy`,
      actorId: scene.boardId,
      objectId: group.id,
      board: "b",
      direction: "outbound",
      state: "accepted",
      inbox: group.inbox,
      sharedInbox: null,
      domain: "127.0.0.65",
      createdAt: Date.now(),
    });
    await scene.t.federation.inbox!.followed.refresh();
    await freshSlice();
    expect([await send(group), await send(group), await send(group), await send(group)]).toEqual([202, 202, 202, 429]);
  });

  it("has no inbound limit with RATE_LIMIT=off", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await forge(off.url, "busy.example")).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    const big = await forge(off.url, "busy.example", { body: Buffer.alloc(300 * 1024, 0x20) });
    expect(big.status).toBe(413);
  });
});
