import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  admin,
  createBoard,
  domainOf,
  followBoard,
  mirrorOf,
  postThread,
  settled,
  startAtoll,
  waitFor,
} from "../support/defederation-parties.js";
import { FakePeer, postSigned } from "../support/fake-peer.js";
import type { TestInstance } from "../support/instance.js";
import { catalogThreads, type Json } from "../support/loopback.js";

/*
 * Defederation between three Atoll instances on loopback, each on an address of its own (a domain to
 * the others): A (127.0.0.1) suspends C (127.0.0.4) while B (127.0.0.3) follows both, and a plain
 * HTTP server (127.0.0.5) serves a blocklist. Each step is checked through the public JSON API or the
 * store of the instance concerned.
 */

describe("three parties: A suspends C", () => {
  let A: TestInstance;
  let B: TestInstance;
  let C: TestInstance;
  /** C's image thread, mirrored on A before the suspension. */
  let cThread: { no: number; apId: string };
  let cMirrorOnA: { board: string; no: number; sha256: string; thumb: string };

  beforeAll(async () => {
    [A, B, C] = await Promise.all([
      startAtoll("127.0.0.1", { PURGE_GRACE_DAYS: "0" }),
      startAtoll("127.0.0.3"),
      startAtoll("127.0.0.4"),
    ]);
    await Promise.all([createBoard(A, "a"), createBoard(B, "b"), createBoard(C, "c")]);
    await followBoard(B, "b", A, "a");
    await followBoard(C, "c", A, "a");
    await followBoard(A, "a", C, "c");
    await followBoard(A, "a", B, "b");
    await followBoard(B, "b", C, "c");
  }, 120_000);

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
  });

  it("before the block, C's image thread reaches A with its file", async () => {
    cThread = await postThread(C, "c", "a picture from C", true);
    const mirror = await waitFor("C's thread on A", () => mirrorOf(A, cThread.apId));
    expect(mirror.file).not.toBeNull();
    cMirrorOnA = { board: mirror.board, no: mirror.no, sha256: mirror.file!.sha256, thumb: mirror.file!.thumbSha256 };
    expect(await A.services.media.has(cMirrorOnA.sha256)).toBe(true);
    await settled(A, B, C);
  });

  it("after A suspends C, C's follows of A's boards and A's of C's are gone, and C's media on A is deleted", async () => {
    const res = await admin(A, "POST", "/api/v1/admin/domain_blocks", { domain: domainOf(C), severity: "suspend" });
    expect(res.status).toBe(200);
    const follows = A.services.store.federation.follows;
    expect(await follows.get(`${C.url}/ap/boards/c`, `${A.url}/ap/boards/a`)).toBeNull();
    expect(await follows.get(`${A.url}/ap/boards/a`, `${C.url}/ap/boards/c`)).toBeNull();
    expect((await follows.followersOf("a")).map((f) => f.actorId)).toEqual([`${B.url}/ap/boards/b`]);
    expect((await follows.domains()).map((d) => d.domain)).toEqual([domainOf(B)]);
    expect(await A.services.media.has(cMirrorOnA.sha256)).toBe(false);
    expect(await A.services.media.has(cMirrorOnA.thumb)).toBe(false);
    // The post itself waits for the purge.
    expect(await A.services.store.posts.getPost(cMirrorOnA.board, cMirrorOnA.no)).not.toBeNull();
  });

  it("a new thread on A reaches B's follower but not C's", async () => {
    const fromA = await postThread(A, "a", "after the block");
    await waitFor("A's thread on B", () => mirrorOf(B, fromA.apId));
    await settled(A, B, C);
    expect(await mirrorOf(C, fromA.apId)).toBeNull();
    expect(await A.services.store.federation.deliveries.pendingForDomain(domainOf(C))).toBe(0);
  });

  // Waits on the inbound checks (Announce of a suspended domain's object, fetch refusal) of the
  // enforcement work: without them A would fetch C's note from C and mirror it.
  it("C's content relayed through B's board does not appear on A", async () => {
    const relayed = await postThread(C, "c", "relayed through B");
    const fromB = await postThread(B, "b", "B's own thread");
    await waitFor("C's thread on B", () => mirrorOf(B, relayed.apId));
    // B's board delivers to A as before: its own thread arrives.
    await waitFor("B's own thread on A", () => mirrorOf(A, fromB.apId));
    await settled(A, B, C);
    expect(await mirrorOf(A, relayed.apId)).toBeNull();
    const onA = (await catalogThreads(A, "a")).filter((p) => p.com?.includes("relayed through B"));
    expect(onA).toEqual([]);
  });

  // Waits on the inbound refusal of the enforcement work.
  it("A refuses C's inbox POSTs with 403, without fetching C's key", async () => {
    const mallory = await FakePeer.start(domainOf(C));
    try {
      const actor = mallory.actor("mallory");
      const res = await postSigned(
        `${A.url}/ap/boards/a/inbox`,
        {
          "@context": "https://www.w3.org/ns/activitystreams",
          id: `${mallory.url}/follows/1`,
          type: "Follow",
          actor: actor.id,
          object: `${A.url}/ap/boards/a`,
        },
        actor,
      );
      expect(res.status).toBe(403);
      expect(mallory.fetched).toEqual([]);
      expect(await A.services.store.federation.follows.get(actor.id, `${A.url}/ap/boards/a`)).toBeNull();
    } finally {
      await mallory.close();
    }
  });

  it("the purge after the grace deletes C's posts and their media on A", async () => {
    await A.services.defederation.tick();
    expect(await A.services.store.posts.getPost(cMirrorOnA.board, cMirrorOnA.no)).toBeNull();
    expect(await A.services.store.federation.remotePosts.get(cThread.apId)).toBeNull();
    expect(await A.services.media.has(cMirrorOnA.sha256)).toBe(false);
    const authors = await A.services.store.posts.remoteAuthors();
    expect(authors.filter((a) => new URL(a).hostname === domainOf(C))).toEqual([]);
  });

  it("a subscription sync adds a block from a served list, and a later sync without the domain retracts it", async () => {
    let list = "#domain,#severity\nlisted.example,suspend\nother.example,silence\n";
    const lists: Server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/csv" }).end(list));
    lists.listen(0, "127.0.0.5");
    await once(lists, "listening");
    try {
      const url = `http://127.0.0.5:${(lists.address() as AddressInfo).port}/blocklist.csv`;
      const sub = await admin(A, "POST", "/api/v1/admin/domain_subscriptions", { url, format: "mastodon_csv" });
      expect(sub.status).toBe(201);
      const id = (sub.json as Json)["id"] as string;

      const first = await admin(A, "POST", `/api/v1/admin/domain_subscriptions/${id}/sync`);
      expect(first.status).toBe(200);
      expect(A.services.policy.check("listed.example").suspended).toBe(true);
      expect(A.services.policy.check("deep.listed.example").suspended).toBe(true);
      expect(A.services.policy.check("other.example").silenced).toBe(true);

      list = "#domain,#severity\nother.example,silence\n";
      const second = await admin(A, "POST", `/api/v1/admin/domain_subscriptions/${id}/sync`);
      expect(second.status).toBe(200);
      expect(A.services.policy.check("listed.example").suspended).toBe(false);
      expect(A.services.policy.check("other.example").silenced).toBe(true);
      const blocks = (await admin(A, "GET", "/api/v1/admin/domain_blocks")).json as Array<{ domain: string }>;
      expect(blocks.map((b) => b.domain).sort()).toEqual([domainOf(C), "other.example"].sort());
    } finally {
      lists.closeAllConnections();
      lists.close();
    }
  });
});
