import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditActor } from "../../server/domain/domain-ports.js";
import type { Follow } from "../../server/domain/federation-ports.js";
import { FakePeer, postSigned } from "../support/fake-peer.js";
import { type FedifyPeer, fedifyPeerUnavailable, startFedifyPeer } from "../support/fedify-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";
import {
  call,
  catalogThreads,
  type Json,
  settled as settledWithin,
  startLoopbackInstance,
  waitFor as waitForWithin,
} from "../support/loopback.js";

const startAtoll = (host: string, env: Record<string, string> = {}) => startLoopbackInstance(host, TOKEN, env);
const waitFor = <T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = STEP_MS) =>
  waitForWithin(what, probe, ms);
const settled = (...instances: TestInstance[]) => settledWithin(STEP_MS, ...instances);

/*
 * Defederation with several parties on loopback, each on an address of its own (a domain to the
 * others): Atoll instances A (127.0.0.1), B (127.0.0.3) and C (127.0.0.4), the independent Fedify
 * peer (127.0.0.2), hand-driven fake peers, and a plain HTTP server serving a blocklist. Each step
 * is checked through the public JSON API or the store of the instance concerned.
 */

const TOKEN = "defederation-test-token-0123456789";
const STEP_MS = 15_000;
const CLI: AuditActor = { kind: "cli", id: "" };

const admin = (t: TestInstance, method: string, path: string, body?: unknown) =>
  call(t.url, method, path, body, { authorization: `Bearer ${TOKEN}` });

async function createBoard(t: TestInstance, uri: string): Promise<void> {
  const res = await admin(t, "POST", "/api/v1/admin/boards", {
    uri,
    title: `/${uri}/`,
    settings: { requireImageForThread: false },
  });
  expect(res.status).toBe(201);
}

/** Board `board` of `from` follows the board `target` of `to`, and the follow is accepted. */
async function followBoard(from: TestInstance, board: string, to: TestInstance, target: string): Promise<void> {
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

async function postThread(
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
async function mirrorOf(t: TestInstance, apId: string) {
  const ref = await t.services.store.federation.remotePosts.get(apId);
  return ref ? t.services.store.posts.getPost(ref.board, ref.no) : null;
}

function domainOf(t: TestInstance | FakePeer | { origin: string }): string {
  return new URL("url" in t ? t.url : t.origin).hostname;
}

// ---------------------------------------------------------------------------------------------

describe("what a domain rule does to held data, on one instance", () => {
  let t: TestInstance;
  const BAD = "bad.example";
  let seq = 0;

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "http://127.0.0.1:9", ALLOW_PRIVATE_ADDRESSES: "on" });
    await t.services.boards.create({
      uri: "e",
      title: "E",
      description: "",
      settings: { requireImageForThread: false },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function remote(host: string, threadNo: number | null, image = false) {
    const { post } = await t.services.posting.createRemote({
      board: "e",
      threadNo,
      name: `someone@${host}`,
      subject: null,
      comment: `from ${host}`,
      html: `<p>from ${host}</p>`,
      apId: `https://${host}/notes/${++seq}`,
      fediActor: `https://${host}/users/someone`,
      image: image ? { buffer: await makeJpeg(40 + seq, 30), originalName: "x.jpg" } : null,
    });
    await t.services.store.federation.remotePosts.put({ apId: post.apId!, board: "e", no: post.no });
    return post;
  }

  function follow(actorId: string, direction: "inbound" | "outbound" = "inbound"): Follow {
    const host = new URL(actorId).hostname;
    const board = "http://127.0.0.1:9/ap/boards/e";
    return {
      id: `${actorId}#follow-${++seq}`,
      actorId: direction === "inbound" ? actorId : board,
      objectId: direction === "inbound" ? board : actorId,
      board: "e",
      direction,
      state: "accepted",
      inbox: `${actorId}/inbox`,
      sharedInbox: null,
      domain: host,
      createdAt: 1000,
    };
  }

  it("is connected to the domain moderation service when federation is on", async () => {
    const follows = t.services.store.federation.follows;
    await follows.add(follow(`https://${BAD}/users/one`));
    await follows.add(follow(`https://sub.${BAD}/groups/g`, "outbound"));
    await follows.add(follow("https://good.example/users/two"));
    const preview = await t.services.domains.previewImport(`#domain,#severity\n${BAD},suspend\n`);
    // sub.bad.example's follow is counted under its own domain; bad.example's rule covers it.
    expect(preview.severs.reduce((n, s) => n + s.follows, 0)).toBe(2);
  });

  it("a suspension severs follows both ways with the domain and its subdomains, drops held threads and media", async () => {
    const { store, media } = t.services;
    const op = await remote(BAD, null, true);
    const reply = await remote(`sub.${BAD}`, op.no, true);
    const kept = await remote("good.example", op.no, true);
    await store.domains.held.add({
      id: `https://${BAD}/activities/1`,
      board: "e",
      domain: BAD,
      actorId: `https://${BAD}/users/someone`,
      activity: "{}",
      receivedAt: 1,
    });
    await store.domains.held.add({
      id: "https://good.example/activities/1",
      board: "e",
      domain: "good.example",
      actorId: "https://good.example/users/x",
      activity: "{}",
      receivedAt: 1,
    });
    expect(await media.has(op.file!.sha256)).toBe(true);

    await t.services.domains.createBlock({ domain: BAD, severity: "suspend" }, CLI);

    expect((await store.federation.follows.domains()).map((d) => d.domain)).toEqual(["good.example"]);
    expect((await store.domains.held.list()).map((h) => h.domain)).toEqual(["good.example"]);
    // The posts stay until the purge, without their files; the other domain's file is untouched.
    const opNow = await store.posts.getPost("e", op.no);
    expect(opNow?.file).toBeNull();
    expect(opNow?.fileDeleted).toBe(true);
    expect((await store.posts.getPost("e", reply.no))?.file).toBeNull();
    for (const p of [op, reply]) {
      expect(await media.has(p.file!.sha256)).toBe(false);
      expect(await media.has(p.file!.thumbSha256)).toBe(false);
    }
    expect(await media.has(kept.file!.sha256)).toBe(true);
    expect((await store.posts.getPost("e", kept.no))?.file?.sha256).toBe(kept.file!.sha256);
  });

  it("reject_media alone drops the files of that domain and keeps its posts and follows", async () => {
    const { store, media } = t.services;
    const host = "pics.example";
    await store.federation.follows.add(follow(`https://${host}/users/p`));
    const p = await remote(host, null, true);
    await t.services.domains.createBlock({ domain: host, severity: "noop", rejectMedia: true }, CLI);
    expect(await media.has(p.file!.sha256)).toBe(false);
    expect((await store.posts.getPost("e", p.no))?.comment).toBe(`from ${host}`);
    expect((await store.federation.follows.domains()).some((d) => d.domain === host)).toBe(true);
  });

  it("the purge deletes the domain's posts (whole threads for OPs) and their mappings, and nobody else's", async () => {
    const { store } = t.services;
    const thread = await remote("doomed.example", null);
    const localReply = await t.services.posting.createReply({
      board: "e",
      threadNo: thread.no,
      comment: "local",
      ip: "192.0.2.1",
    });
    const other = await remote("fine.example", null);
    const lone = await remote("x.doomed.example", other.no);
    const deletedEvents: number[] = [];
    const off = t.services.events.on((e) => {
      if (e.type === "post_deleted") deletedEvents.push(e.post.no);
    });
    const effects = await import("../../federation/admin/domain-effects.js");
    const purged = await new effects.FederationDomainEffects(t.services).purgePosts("doomed.example");
    off();
    expect(purged).toBe(3);
    expect(deletedEvents.sort((a, b) => a - b)).toEqual([thread.no, localReply.no, lone.no].sort((a, b) => a - b));
    expect(await store.posts.getPost("e", thread.no)).toBeNull();
    expect(await store.posts.getPost("e", localReply.no)).toBeNull();
    expect(await store.posts.getPost("e", lone.no)).toBeNull();
    expect(await store.federation.remotePosts.get(thread.apId!)).toBeNull();
    expect((await store.posts.getPost("e", other.no))?.no).toBe(other.no);
  });

  it("the fetcher reads a list through the guarded client and turns failures into domain errors", async () => {
    const server = createServer((req, res) => {
      if (req.url === "/list.csv") res.writeHead(200, { "content-type": "text/csv" }).end("#domain\nlisted.example\n");
      else if (req.url === "/big") res.writeHead(200, { "content-type": "text/plain" }).end("a".repeat(2048));
      else res.writeHead(404).end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { GuardedBlocklistFetcher } = await import("../../federation/admin/domain-effects.js");
      const { GuardedFetch } = await import("../../federation/http/guarded-fetch.js");
      const open = new GuardedBlocklistFetcher(new GuardedFetch({ allowPrivateAddresses: true, userAgent: "t" }), {
        maxBytes: 1024,
      });
      expect(await open.fetch(`${base}/list.csv`)).toEqual({
        text: "#domain\nlisted.example\n",
        contentType: "text/csv",
      });
      await expect(open.fetch(`${base}/missing`)).rejects.toMatchObject({ kind: "unprocessable" });
      await expect(open.fetch(`${base}/big`)).rejects.toMatchObject({ kind: "unprocessable" });
      const strict = new GuardedBlocklistFetcher(new GuardedFetch({ allowPrivateAddresses: false, userAgent: "t" }));
      await expect(strict.fetch(`${base}/list.csv`)).rejects.toMatchObject({ kind: "unprocessable" });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

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
  }, 60_000);

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
    await A.services.domains.tick();
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

// ---------------------------------------------------------------------------------------------

describe("allowlist mode", () => {
  let D: TestInstance;
  let friend: FakePeer;
  let stranger: FakePeer;

  beforeAll(async () => {
    [friend, stranger] = await Promise.all([FakePeer.start("127.0.0.6"), FakePeer.start("127.0.0.7")]);
    D = await startAtoll("127.0.0.8", { FEDERATION_MODE: "allowlist" });
    await createBoard(D, "d");
    await D.services.domains.createAllow({ domain: "127.0.0.6", comment: "" }, CLI);
  });
  afterAll(async () => {
    await Promise.all([D?.stop(), friend?.close(), stranger?.close()]);
  });

  const followOf = (peer: FakePeer, name: string) => {
    const actor = peer.actor(name);
    return {
      actor,
      activity: {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${peer.url}/follows/${name}`,
        type: "Follow",
        actor: actor.id,
        object: `${D.url}/ap/boards/d`,
      },
    };
  };

  it("takes a follow from an allowed peer", async () => {
    const { actor, activity } = followOf(friend, "pal");
    const res = await postSigned(`${D.url}/ap/boards/d/inbox`, activity, actor);
    expect(res.status).toBe(202);
    expect((await D.services.store.federation.follows.get(actor.id, `${D.url}/ap/boards/d`))?.state).toBe("accepted");
  });

  // Waits on the inbound refusal of the enforcement work.
  it("refuses an unknown peer with 403, fetching nothing from it", async () => {
    const { actor, activity } = followOf(stranger, "who");
    const res = await postSigned(`${D.url}/ap/boards/d/inbox`, activity, actor);
    expect(res.status).toBe(403);
    expect(stranger.fetched).toEqual([]);
    expect(await D.services.store.federation.follows.get(actor.id, `${D.url}/ap/boards/d`)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

const unavailable = fedifyPeerUnavailable();

describe.skipIf(unavailable !== null)(
  `silence, with the Fedify peer${unavailable ? ` (skipped: ${unavailable})` : ""}`,
  () => {
    let A: TestInstance;
    let peer: FedifyPeer;
    let group: string;

    beforeAll(async () => {
      A = await startAtoll("127.0.0.1");
      await createBoard(A, "q");
      group = `${A.url}/ap/boards/q`;
      peer = await startFedifyPeer("127.0.0.2");
      const res = await admin(A, "POST", "/api/v1/admin/domain_blocks", {
        domain: domainOf(peer),
        severity: "silence",
      });
      expect(res.status).toBe(200);
    }, 60_000);
    afterAll(async () => {
      await peer?.stop();
      await A?.stop();
    });

    it("a follow from a silenced peer waits for approval; the approved one gets its Accept", async () => {
      const res = await peer.control<{ ok: boolean }>("/control/follow", { target: group });
      expect(res.ok).toBe(true);
      const follow = await waitFor("the pending follow", () =>
        A.services.store.federation.follows.get(peer.actor, group),
      );
      expect(follow.state).toBe("pending");
      const requests = await admin(A, "GET", "/api/v1/admin/boards/q/follow_requests");
      expect(requests.status).toBe(200);
      expect(requests.json).toMatchObject([{ id: follow.id, actor: peer.actor, board: "q", domain: domainOf(peer) }]);
      await settled(A);
      expect((await peer.received()).filter((a) => a["type"] === "Accept")).toEqual([]);
      expect(await A.services.store.federation.follows.followersOf("q")).toEqual([]);

      const ok = await admin(
        A,
        "POST",
        `/api/v1/admin/boards/q/follow_requests/${encodeURIComponent(follow.id)}/authorize`,
      );
      expect(ok.status).toBe(200);
      const accept = await waitFor("the Accept at the peer", async () =>
        (await peer.received()).find((a) => a["type"] === "Accept"),
      );
      expect(accept["actor"]).toBe(group);
      expect((await A.services.store.federation.follows.get(peer.actor, group))?.state).toBe("accepted");
      expect((await admin(A, "GET", "/api/v1/admin/boards/q/follow_requests")).json).toEqual([]);
      const again = await admin(
        A,
        "POST",
        `/api/v1/admin/boards/q/follow_requests/${encodeURIComponent(follow.id)}/reject`,
      );
      expect(again.status).toBe(404);
    });

    it("a new thread from the silenced peer is held, and appears only once approved", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        mention: "@q",
        content: "<p>a thread that waits</p>",
      });
      expect(sent.ok).toBe(true);
      const held = await waitFor("the held thread", async () => {
        const list = (await admin(A, "GET", "/api/v1/admin/held")).json as Array<Json>;
        return list.length > 0 ? list : undefined;
      });
      expect(held).toMatchObject([{ board: "q", domain: domainOf(peer), actor: peer.actor, object_id: sent.id }]);
      expect(held[0]?.["text"]).toContain("a thread that waits");
      expect(await mirrorOf(A, sent.id)).toBeNull();

      const id = encodeURIComponent(held[0]?.["id"] as string);
      const approved = await admin(A, "POST", `/api/v1/admin/held/${id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.json).toMatchObject({ outcome: "accepted" });
      const post = await mirrorOf(A, sent.id);
      expect(post?.no).toBe(post?.threadNo);
      expect(post?.comment).toContain("a thread that waits");
      expect((await admin(A, "GET", "/api/v1/admin/held")).json).toEqual([]);
    });

    it("a rejected held thread is dropped, and a reply from the silenced peer is posted at once", async () => {
      const sent = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        mention: "@q",
        content: "<p>not wanted</p>",
      });
      const held = await waitFor("the held thread", async () => {
        const list = (await admin(A, "GET", "/api/v1/admin/held?board=q")).json as Array<Json>;
        return list.find((h) => h["object_id"] === sent.id);
      });
      const rejected = await admin(A, "POST", `/api/v1/admin/held/${encodeURIComponent(held["id"] as string)}/reject`);
      expect(rejected.status).toBe(200);
      expect((await admin(A, "GET", "/api/v1/admin/held")).json).toEqual([]);
      expect(await mirrorOf(A, sent.id)).toBeNull();

      const thread = (await A.services.posting.createThread({ board: "q", comment: "a local thread", ip: "192.0.2.5" }))
        .no;
      const reply = await peer.control<{ ok: boolean; id: string }>("/control/note", {
        to: group,
        inReplyTo: `${A.url}/q/thread/${thread}`,
        content: "<p>a reply from a limited server</p>",
      });
      const posted = await waitFor("the reply", () => mirrorOf(A, reply.id));
      expect(posted.threadNo).toBe(thread);
    });

    it("a rejected follow request is forgotten and answered with a Reject", async () => {
      // Another server on the peer's (silenced) domain, driven by hand.
      const other = await FakePeer.start(domainOf(peer));
      try {
        const actor = other.actor("bob");
        const followId = `${other.url}/follows/bob`;
        const res = await postSigned(
          `${A.url}/ap/boards/q/inbox`,
          {
            "@context": "https://www.w3.org/ns/activitystreams",
            id: followId,
            type: "Follow",
            actor: actor.id,
            object: group,
          },
          actor,
        );
        expect(res.status).toBe(202);
        const listed = (await admin(A, "GET", "/api/v1/admin/boards/q/follow_requests")).json as Array<Json>;
        expect(listed.map((f) => f["id"])).toEqual([followId]);
        // Named by the follower's actor id this time.
        const no = await admin(
          A,
          "POST",
          `/api/v1/admin/boards/q/follow_requests/${encodeURIComponent(actor.id)}/reject`,
        );
        expect(no.status).toBe(200);
        const reject = await other.waitFor((r) => r.body["type"] === "Reject");
        expect(reject.body["actor"]).toBe(group);
        expect((reject.body["object"] as Json)["id"]).toBe(followId);
        expect(await A.services.store.federation.follows.get(actor.id, group)).toBeNull();
        expect(other.received.filter((r) => r.body["type"] === "Accept")).toEqual([]);
      } finally {
        await other.close();
      }
    });

    it("when the silenced domain becomes suspended, what is held from it is dropped", async () => {
      await peer.control("/control/note", { to: group, mention: "@q", content: "<p>held, then dropped</p>" });
      await waitFor("the held thread", async () =>
        (await A.services.store.domains.held.list()).length > 0 ? true : undefined,
      );
      const blocks = (await admin(A, "GET", "/api/v1/admin/domain_blocks")).json as Array<{ id: string }>;
      const res = await admin(A, "PUT", `/api/v1/admin/domain_blocks/${blocks[0]?.id}`, { severity: "suspend" });
      expect(res.status).toBe(200);
      expect(await A.services.store.domains.held.list()).toEqual([]);
      expect(await A.services.store.federation.follows.get(peer.actor, group)).toBeNull();
    });
  },
);
