import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveHandle } from "../../federation/admin/target.js";
import { FederationContext } from "../../federation/context.js";
import { DeliveryPublisher } from "../../federation/delivery/publisher.js";
import { DeliveryWorker } from "../../federation/delivery/worker.js";
import { FetchRefused } from "../../federation/http/guarded-fetch.js";
import { signRequest } from "../../federation/http/signatures.js";
import { FederationIds } from "../../federation/ids.js";
import { LocalKeys } from "../../federation/keys.js";
import type { Follow } from "../../server/domain/federation-ports.js";
import { type FakeActor, FakePeer, postSigned } from "../support/fake-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;
const CLI = { kind: "cli", id: "" } as const;

type Json = Record<string, unknown>;

const FLAG_FIXTURE = "/work/shared/fixtures/activitypub/mastodon/activities/flag.json";

/** A GET asking for ActivityPub JSON, signed by `signer` (unsigned with null), over real HTTP. */
function getSigned(url: string, signer: FakeActor | null): Promise<{ status: number; type: string; body: string }> {
  const target = new URL(url);
  const headers: Record<string, string> = { accept: "application/activity+json" };
  if (signer) {
    const signed = signRequest({
      method: "GET",
      url: target,
      headers: {},
      keyId: signer.keyId,
      privateKeyPem: signer.privateKeyPem,
    });
    for (const [k, v] of Object.entries(signed)) headers[k.toLowerCase()] = v;
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/*
 * Each peer listens on its own loopback address, which is its own domain to the instance:
 * 127.0.0.2 is allowed, 127.0.0.3 suspended, 127.0.0.4 has its media rejected, 127.0.0.5 is
 * suspended by /pics/ only. The instance itself is 127.0.0.1.
 */
describe("domain rules at every federation boundary", () => {
  let t: TestInstance;
  let good: FakePeer;
  let evil: FakePeer;
  let media: FakePeer;
  let picky: FakePeer;
  let alice: FakeActor;
  let eve: FakeActor;
  let pat: FakeActor;
  let ctx: FederationContext;
  let boardId: string;
  let evilThread: number;
  let seq = 0;
  const fresh = (peer: FakePeer, what: string) => `${peer.url}/${what}/${++seq}`;

  const note = (peer: FakePeer, author: FakeActor, extra: Json = {}): Json => ({
    id: fresh(peer, "notes"),
    type: "Note",
    attributedTo: author.id,
    to: [PUBLIC],
    cc: [boardId],
    content: "<p>hello</p>",
    ...extra,
  });
  const create = (peer: FakePeer, author: FakeActor, object: Json): Json => ({
    "@context": AS,
    id: fresh(peer, "activities/create"),
    type: "Create",
    actor: author.id,
    to: object["to"],
    cc: object["cc"],
    object,
  });
  const inbox = () => `${t.url}/ap/inbox`;
  const stored = (apId: string) => t.services.store.federation.remotePosts.get(apId);

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestInstance(
      { ALLOW_PRIVATE_ADDRESSES: "on", PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port) },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await t.services.boards.create({ uri: "pics", title: "Pictures", settings: { requireImageForThread: false } });
    boardId = `${t.url}/ap/boards/b`;
    good = await FakePeer.start("127.0.0.2");
    evil = await FakePeer.start("127.0.0.3");
    media = await FakePeer.start("127.0.0.4");
    picky = await FakePeer.start("127.0.0.5");
    alice = good.actor("alice");
    eve = evil.actor("eve");
    pat = picky.actor("pat");
    media.serve("/media/cat.jpg", await makeJpeg(64, 48), { type: "image/jpeg" });
    ctx = new FederationContext(t.services, new FederationIds(t.url), new LocalKeys(t.services.store.federation.keys));

    // Before any rule: eve's thread is mirrored on /b/, so it is held here when her domain is suspended.
    const first = note(evil, eve);
    expect((await postSigned(inbox(), create(evil, eve, first), eve)).status).toBe(202);
    evilThread = (await stored(String(first["id"])))!.no;

    await t.services.domains.createBlock({ domain: "127.0.0.3", severity: "suspend" }, CLI);
    await t.services.domains.createBlock({ domain: "127.0.0.4", severity: "noop", rejectMedia: true }, CLI);
    await t.services.domains.createBoardRule("pics", { domain: "127.0.0.5", severity: "suspend" }, CLI);
    evil.fetched.length = 0;
  });
  afterAll(async () => {
    await t?.stop();
    for (const p of [good, evil, media, picky]) await p?.close();
  });

  describe("inbound, before the body", () => {
    it("refuses a POST signed by a suspended domain's key with 403 problem+json, fetching nothing", async () => {
      const res = await postSigned(inbox(), create(evil, eve, note(evil, eve)), eve);
      expect(res.status).toBe(403);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(String(res.body["detail"])).toMatch(/127\.0\.0\.3/);
      expect(evil.fetched).toEqual([]);
    });

    it("refuses it before parsing: a body that is not even JSON gets the same 403", async () => {
      const res = await postSigned(inbox(), Buffer.from("{not json"), eve);
      expect(res.status).toBe(403);
      expect(evil.fetched).toEqual([]);
    });

    it("makes the same refusal inside the app, for requests that reach it without the server's early check", async () => {
      const body = Buffer.from(JSON.stringify(create(evil, eve, note(evil, eve))));
      const headers = signRequest({
        method: "POST",
        url: new URL(inbox()),
        headers: {},
        body,
        keyId: eve.keyId,
        privateKeyPem: eve.privateKeyPem,
      });
      const res = await request(t.app)
        .post("/ap/inbox")
        .set({ ...headers, "content-type": "application/activity+json" })
        .send(body);
      expect(res.status).toBe(403);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(evil.fetched).toEqual([]);
    });

    it("still answers an unsigned POST with 401", async () => {
      const res = await postSigned(inbox(), create(evil, eve, note(evil, eve)), null);
      expect(res.status).toBe(401);
    });

    it("applies a board's own rules at that board's inbox", async () => {
      const res = await postSigned(`${t.url}/ap/boards/pics/inbox`, create(picky, pat, note(picky, pat)), pat);
      expect(res.status).toBe(403);
      expect(picky.fetched).toEqual([]);
      // The shared inbox is the instance's: pat may post to /b/ there.
      const ok = await postSigned(inbox(), create(picky, pat, note(picky, pat)), pat);
      expect(ok.status).toBe(202);
    });

    it("counts every domain not allowed as suspended in allowlist mode", async () => {
      const port = await freePort();
      const strict = await startTestInstance(
        {
          ALLOW_PRIVATE_ADDRESSES: "on",
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          PORT: String(port),
          FEDERATION_MODE: "allowlist",
        },
        { listen: true },
      );
      try {
        const before = good.fetched.length;
        const res = await postSigned(`${strict.url}/ap/inbox`, create(good, alice, note(good, alice)), alice);
        expect(res.status).toBe(403);
        expect(good.fetched.length).toBe(before);
        await strict.services.domains.createAllow({ domain: "127.0.0.2" }, CLI);
        const allowed = await postSigned(`${strict.url}/ap/inbox`, create(good, alice, note(good, alice)), alice);
        expect(allowed.status).not.toBe(403);
      } finally {
        await strict.stop();
      }
    });
  });

  describe("inbound, after the signature", () => {
    const refused = async (activity: Json) => {
      const res = await postSigned(inbox(), activity, alice);
      expect(res.status, JSON.stringify(res.body)).toBe(403);
      expect(res.type).toMatch(/problem\+json/);
      expect(evil.fetched).toEqual([]);
      return res;
    };

    it("refuses a reply to a suspended domain's post, and stores nothing", async () => {
      const n = note(good, alice, { inReplyTo: `${evil.url}/notes/1` });
      await refused(create(good, alice, n));
      expect(await stored(String(n["id"]))).toBeNull();
    });

    it("refuses a reply to a held post mirrored from a suspended domain, by its local URL", async () => {
      const n = note(good, alice, { inReplyTo: `${t.url}/b/thread/${evilThread}` });
      const res = await refused(create(good, alice, n));
      expect(String(res.body["detail"])).toMatch(/127\.0\.0\.3/);
      expect(await stored(String(n["id"]))).toBeNull();
    });

    it("refuses an Announce of a suspended domain's object, by id or embedded, fetching nothing", async () => {
      const byId = { "@context": AS, id: fresh(good, "announce"), type: "Announce", actor: alice.id, to: [PUBLIC] };
      await refused({ ...byId, object: `${evil.url}/notes/7` });
      await refused({
        ...byId,
        id: fresh(good, "announce"),
        object: create(good, alice, note(good, alice, { attributedTo: eve.id })),
      });
    });

    it("refuses quotes, mentions and addressees on a suspended domain", async () => {
      await refused(create(good, alice, note(good, alice, { quoteUrl: `${evil.url}/notes/2` })));
      await refused(create(good, alice, note(good, alice, { _misskey_quote: `${evil.url}/notes/2` })));
      await refused(create(good, alice, note(good, alice, { tag: [{ type: "Mention", href: eve.id }] })));
      await refused(create(good, alice, note(good, alice, { cc: [boardId, eve.id] })));
    });

    it("refuses an object fetched by id when it replies to a suspended domain", async () => {
      const n = note(good, alice, { inReplyTo: `${evil.url}/notes/3` });
      good.serve(String(n["id"]), { "@context": AS, ...n });
      const activity = { ...create(good, alice, n), object: n["id"], actor: alice.id };
      // The Create is believed only with its object read from its origin: the fetched Note is checked too.
      const res = await postSigned(inbox(), activity, alice);
      expect(res.status).toBe(403);
      expect(await stored(String(n["id"]))).toBeNull();
    });

    it("still takes what names only allowed domains", async () => {
      const n = note(good, alice);
      expect((await postSigned(inbox(), create(good, alice, n), alice)).status).toBe(202);
      expect(await stored(String(n["id"]))).not.toBeNull();
    });
  });

  describe("fetch", () => {
    it("refuses a suspended host without connecting, and a redirect hop to one", async () => {
      await expect(ctx.http.request(`${evil.url}/users/eve`)).rejects.toMatchObject({ reason: "blocked" });
      good.serve("/hop", null, { status: 302, location: `${evil.url}/users/eve` });
      await expect(ctx.http.request(`${good.url}/hop`)).rejects.toBeInstanceOf(FetchRefused);
      expect(good.fetched).toContain("/hop");
      expect(evil.fetched).toEqual([]);
      // signed GETs go through the same client
      await expect(ctx.signedGet(`${evil.url}/users/eve`)).rejects.toMatchObject({ reason: "blocked" });
      expect(evil.fetched).toEqual([]);
    });

    it("keeps a post from a domain whose media is rejected, without fetching its file", async () => {
      const n = note(good, alice, {
        attachment: [{ type: "Document", mediaType: "image/jpeg", url: `${media.url}/media/cat.jpg` }],
      });
      const res = await postSigned(inbox(), create(good, alice, n), alice);
      expect(res.status).toBe(202);
      const ref = await stored(String(n["id"]));
      expect(ref).not.toBeNull();
      const post = await t.services.store.posts.getPost(ref!.board, ref!.no);
      expect(post?.file).toBeNull();
      expect(media.fetched).toEqual([]);
      // Documents (not media) may still be fetched from it.
      expect(ctx.http.refusalFor(`${media.url}/x`)).toBeNull();
      expect(ctx.http.refusalFor(`${media.url}/x`, { media: true })).toMatch(/media/);
    });

    it("applies a board's own reject_media to a reply's image, and only on that board", async () => {
      await t.services.domains.createBoardRule(
        "pics",
        { domain: "127.0.0.2", severity: "silence", rejectMedia: true },
        CLI,
      );
      try {
        good.serve("/media/dog.jpg", await makeJpeg(32, 24), { type: "image/jpeg" });
        const image = [{ type: "Document", mediaType: "image/jpeg", url: `${good.url}/media/dog.jpg` }];
        const onPics = await t.services.posting.createThread({ board: "pics", comment: "pics op", ip: "192.0.2.20" });
        const onB = await t.services.posting.createThread({ board: "b", comment: "b op", ip: "192.0.2.21" });
        const reply = (op: { board: string; no: number }) =>
          note(good, alice, { inReplyTo: `${t.url}/${op.board}/thread/${op.no}`, attachment: image });
        const fetchedBefore = good.fetched.filter((f) => f.includes("dog.jpg")).length;
        const toPics = reply(onPics);
        expect((await postSigned(inbox(), create(good, alice, toPics), alice)).status).toBe(202);
        const picsRef = await stored(String(toPics["id"]));
        expect((await t.services.store.posts.getPost(picsRef!.board, picsRef!.no))?.file).toBeNull();
        expect(good.fetched.filter((f) => f.includes("dog.jpg")).length).toBe(fetchedBefore);
        const toB = reply(onB);
        expect((await postSigned(inbox(), create(good, alice, toB), alice)).status).toBe(202);
        const bRef = await stored(String(toB["id"]));
        expect((await t.services.store.posts.getPost(bRef!.board, bRef!.no))?.file).not.toBeNull();
      } finally {
        for (const r of await t.services.domains.listBoardRules("pics")) {
          if (r.domain === "127.0.0.2") await t.services.domains.deleteBoardRule("pics", r.id, CLI);
        }
      }
    });

    it("re-checks a WebFinger answer: an allowed host naming an actor on a suspended one is refused", async () => {
      const host = good.url.slice("http://".length);
      good.serve(
        `/.well-known/webfinger?resource=${encodeURIComponent(`acct:relay@${host}`)}`,
        { subject: `acct:relay@${host}`, links: [{ rel: "self", type: "application/activity+json", href: eve.id }] },
        { type: "application/jrd+json" },
      );
      await expect(resolveHandle(ctx.http, { user: "relay", host }, true)).rejects.toMatchObject({
        kind: "forbidden",
      });
      await expect(resolveHandle(ctx.http, { user: "eve", host: evil.url.slice(7) }, true)).rejects.toMatchObject({
        kind: "forbidden",
      });
      expect(evil.fetched).toEqual([]);
    });
  });

  describe("outbound", () => {
    const follower = (peer: FakePeer, name: string, sharedInbox: string | null, board = "b"): Follow => {
      const actorId = `${peer.url}/users/${name}`;
      return {
        id: `${actorId}#follows/${board}`,
        actorId,
        objectId: `${t.url}/ap/boards/${board}`,
        board,
        direction: "inbound",
        state: "pending",
        inbox: `${actorId}/inbox`,
        sharedInbox,
        domain: new URL(peer.url).hostname,
        createdAt: Date.now(),
      };
    };

    beforeAll(async () => {
      const { follows } = t.services.store.federation;
      for (const f of [
        follower(good, "fan", `${good.url}/inbox`),
        // on an allowed domain, but its shared inbox is on the suspended one
        follower(good, "sneaky", `${evil.url}/inbox`),
        follower(evil, "eve", `${evil.url}/inbox`),
        follower(picky, "pat", `${picky.url}/inbox`, "pics"),
        follower(good, "fan", `${good.url}/inbox`, "pics"),
      ]) {
        await follows.add(f);
        await follows.accept(f.actorId, f.objectId);
      }
    });

    it("leaves out followers whose actor, inbox or shared inbox is suspended, for the instance or the board", async () => {
      const publisher = new DeliveryPublisher(ctx);
      expect(await publisher.followerInboxes("b")).toEqual([`${good.url}/inbox`]);
      expect(await publisher.followerInboxes("pics")).toEqual([`${good.url}/inbox`]);
    });

    it("queues and sends nothing to a suspended domain for a new local thread", async () => {
      const received = evil.received.length;
      const op = await t.services.posting.createThread({ board: "b", comment: "to the fediverse", ip: "192.0.2.7" });
      await good.waitFor((r) => JSON.stringify(r.body).includes(`/b/thread/${op.no}`));
      expect(await t.services.store.federation.deliveries.pendingForDomain("127.0.0.3")).toBe(0);
      expect(evil.received.length).toBe(received);
    });

    it("drops an item queued before the rule when it is due, with the reason", async () => {
      const worker = new DeliveryWorker(ctx);
      const id = `test-${++seq}`;
      await t.services.store.federation.deliveries.enqueue([
        {
          id,
          inbox: `${evil.url}/inbox`,
          domain: "127.0.0.3",
          body: JSON.stringify({ id: `${t.url}/x/${seq}`, type: "Delete" }),
          keyId: boardId,
          activityId: `${t.url}/x/${seq}`,
        },
      ]);
      // The instance's own worker may claim it first: either way it is dropped, never sent.
      const deadline = Date.now() + 10_000;
      let dropped = (await t.services.store.federation.deliveries.listDropped(100)).find((d) => d.id === id);
      while (!dropped && Date.now() < deadline) {
        await worker.runOnce();
        dropped = (await t.services.store.federation.deliveries.listDropped(100)).find((d) => d.id === id);
      }
      expect(dropped?.lastError).toMatch(/suspended/);
      expect(evil.received.filter((r) => JSON.stringify(r.body).includes(`/x/${seq}`))).toEqual([]);
    });

    it("drops items for a domain suspended only by the signing board's rules", async () => {
      const worker = new DeliveryWorker(ctx);
      const id = `test-${++seq}`;
      await t.services.store.federation.deliveries.enqueue([
        {
          id,
          inbox: `${picky.url}/inbox`,
          domain: "127.0.0.5",
          body: "{}",
          keyId: `${t.url}/ap/boards/pics`,
          activityId: `${t.url}/y/${seq}`,
        },
      ]);
      const deadline = Date.now() + 10_000;
      let dropped = (await t.services.store.federation.deliveries.listDropped(100)).find((d) => d.id === id);
      while (!dropped && Date.now() < deadline) {
        await worker.runOnce();
        dropped = (await t.services.store.federation.deliveries.listDropped(100)).find((d) => d.id === id);
      }
      expect(dropped?.lastError).toMatch(/\/pics\//);
    });

    it("never announces a suspended domain's content", async () => {
      const publisher = new DeliveryPublisher(ctx);
      const theirs = create(evil, eve, note(evil, eve));
      expect(await publisher.announceRemote("b", theirs)).toBe(0);
      const relayed = create(good, alice, note(good, alice, { attributedTo: eve.id }));
      expect(await publisher.announceRemote("b", relayed)).toBe(0);
      const fine = create(good, alice, note(good, alice));
      expect(await publisher.announceRemote("b", fine)).toBeGreaterThan(0);
    });
  });

  describe("reports", () => {
    it("files a Mastodon Flag naming our posts in the reports queue", async () => {
      if (!existsSync(FLAG_FIXTURE)) {
        console.warn(`skipped: ${FLAG_FIXTURE} is absent`);
        expect(existsSync(FLAG_FIXTURE)).toBe(false);
        return;
      }
      const op = await t.services.posting.createThread({ board: "b", comment: "reported", ip: "192.0.2.8" });
      const reply = await t.services.posting.createReply({
        board: "b",
        threadNo: op.no,
        comment: "me too",
        ip: "192.0.2.9",
      });
      const mod = good.actor("mod", { type: "Application" });
      // The fixture as Mastodon sent it, its hosts mapped to the fake peer and to this instance.
      const text = readFileSync(FLAG_FIXTURE, "utf8")
        .replaceAll("https://mastodon.example/actor", mod.id)
        .replaceAll("https://mastodon.example", good.url)
        .replaceAll("https://example.com/users/1", `${t.url}/ap/anonymous`)
        .replaceAll("https://example.com/posts/380590", `${t.url}/b/thread/${op.no}`)
        .replaceAll("https://example.com/posts/380591", `${t.url}/b/post/${reply.no}`);
      const flag = JSON.parse(text) as Json;
      const res = await postSigned(`${t.url}/ap/actor/inbox`, flag, mod);
      expect(res.status).toBe(202);
      expect(res.body["title"]).toBe("Accepted");
      const open = (await t.services.store.reports.listOpen(["b"])).filter((r) => r.reason.includes("127.0.0.2"));
      expect(open.map((r) => r.postNo).sort()).toEqual([op.no, reply.no].sort());
      expect(open[0]?.reason).toMatch(/Please take a look at this user and their posts/);
      // The same Flag again (a retry) files nothing more.
      await postSigned(`${t.url}/ap/actor/inbox`, { ...flag, id: `${flag["id"]}-again` }, mod);
      expect(
        (await t.services.store.reports.listOpen(["b"])).filter((r) => r.reason.includes("127.0.0.2")),
      ).toHaveLength(2);
    });

    it("drops a Flag from a domain whose reports are rejected: 202 and nothing stored", async () => {
      const quiet = await FakePeer.start("127.0.0.6");
      try {
        await t.services.domains.createBlock({ domain: "127.0.0.6", severity: "noop", rejectReports: true }, CLI);
        const troll = quiet.actor("troll");
        const op = await t.services.posting.createThread({ board: "b", comment: "target", ip: "192.0.2.10" });
        const flag = {
          "@context": AS,
          id: `${quiet.url}/flags/1`,
          type: "Flag",
          actor: troll.id,
          content: "mass report",
          object: [`${t.url}/b/thread/${op.no}`],
        };
        const res = await postSigned(inbox(), flag, troll);
        expect(res.status).toBe(202);
        expect(res.body["title"]).toBe("Ignored");
        const open = await t.services.store.reports.listOpen(["b"]);
        expect(open.filter((r) => r.postNo === op.no)).toEqual([]);
      } finally {
        await quiet.close();
      }
    });
  });

  describe("when a domain becomes suspended", () => {
    it("forgets its cached actors and removes its queued deliveries", async () => {
      const later = await FakePeer.start("127.0.0.7");
      try {
        const lou = later.actor("lou");
        // Lou posts (so Lou's actor and key are cached) and something is queued for Lou's server.
        expect((await postSigned(inbox(), create(later, lou, note(later, lou)), lou)).status).toBe(202);
        expect(await t.services.store.federation.actors.get(lou.id)).not.toBeNull();
        await t.services.store.federation.deliveries.enqueue(
          [
            {
              id: `later-${++seq}`,
              inbox: `${later.url}/inbox`,
              domain: "127.0.0.7",
              body: "{}",
              keyId: boardId,
              activityId: `${t.url}/z/${seq}`,
            },
          ],
          Date.now() + 60 * 60 * 1000,
        );
        expect(await t.services.store.federation.deliveries.pendingForDomain("127.0.0.7")).toBe(1);

        await t.services.domains.createBlock({ domain: "127.0.0.7", severity: "suspend" }, CLI);
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline && (await t.services.store.federation.actors.get(lou.id)) !== null) {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(await t.services.store.federation.actors.get(lou.id)).toBeNull();
        expect(await t.services.store.federation.deliveries.pendingForDomain("127.0.0.7")).toBe(0);
      } finally {
        await later.close();
      }
    });
  });

  it("serves the instance's pages as before", async () => {
    expect((await request(t.app).get("/b/")).status).toBe(200);
  });
});

describe("authorized fetch", () => {
  let t: TestInstance;
  let good: FakePeer;
  let evil: FakePeer;
  let alice: FakeActor;
  let eve: FakeActor;
  let op: number;

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestInstance(
      {
        ALLOW_PRIVATE_ADDRESSES: "on",
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        PORT: String(port),
        AUTHORIZED_FETCH: "on",
      },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    op = (await t.services.posting.createThread({ board: "b", comment: "signed readers only", ip: "192.0.2.1" })).no;
    good = await FakePeer.start("127.0.0.2");
    evil = await FakePeer.start("127.0.0.3");
    alice = good.actor("alice");
    eve = evil.actor("eve");
    await t.services.domains.createBlock({ domain: "127.0.0.3", severity: "suspend" }, CLI);
  });
  afterAll(async () => {
    await t?.stop();
    await good?.close();
    await evil?.close();
  });

  const paths = () => [
    "/ap/boards/b",
    "/ap/boards/b/outbox",
    "/ap/boards/b/followers?page=true",
    "/ap/anonymous",
    `/b/thread/${op}`,
  ];

  it("answers unsigned ActivityPub GETs with 401 problem+json", async () => {
    for (const path of paths()) {
      const res = await getSigned(`${t.url}${path}`, null);
      expect(res.status, path).toBe(401);
      expect(res.type).toMatch(/^application\/problem\+json/);
    }
  });

  it("serves signed ones, fetching the signer's key once", async () => {
    for (const path of paths()) {
      const res = await getSigned(`${t.url}${path}`, alice);
      expect(res.status, path).toBe(200);
      expect(res.type).toMatch(/activity\+json/);
    }
    expect(good.fetched.filter((p) => p === "/users/alice")).toHaveLength(1);
  });

  it("refuses a signer on a suspended domain with 403, without fetching its key", async () => {
    const res = await getSigned(`${t.url}/ap/boards/b`, eve);
    expect(res.status).toBe(403);
    expect(res.type).toMatch(/problem\+json/);
    expect(evil.fetched).toEqual([]);
  });

  it("keeps the instance actor, WebFinger, NodeInfo, the context and HTML pages open", async () => {
    expect((await getSigned(`${t.url}/ap/actor`, null)).status).toBe(200);
    expect((await request(t.app).get("/.well-known/nodeinfo")).status).toBe(200);
    expect((await request(t.app).get("/ns/atoll.jsonld")).status).toBe(200);
    const host = new URL(t.url).host;
    expect((await request(t.app).get(`/.well-known/webfinger?resource=acct:b@${host}`)).status).toBe(200);
    expect((await request(t.app).get(`/b/thread/${op}`).set("accept", "text/html")).status).toBe(200);
  });
});
