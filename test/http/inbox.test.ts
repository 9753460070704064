import { generateKeyPairSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer } from "node:net";
import { join, relative, sep } from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FederationContext } from "../../federation/context.js";
import { GuardedFetch } from "../../federation/http/guarded-fetch.js";
import { keyOwnerOf, signRequest, verifyRequest } from "../../federation/http/signatures.js";
import { FederationIds } from "../../federation/ids.js";
import { InboxRefusal, TransientFailure } from "../../federation/inbox/errors.js";
import { Inbox } from "../../federation/inbox/inbox.js";
import { QueueOutbox } from "../../federation/inbox/outbox.js";
import { LocalKeys } from "../../federation/keys.js";
import { RemoteFollowing } from "../../federation/remote/follows.js";
import { projectRoot } from "../../server/paths.js";
import { type FakeActor, FakePeer, postSigned } from "../support/fake-peer.js";
import { makeJpeg, startTestInstance, type TestInstance } from "../support/instance.js";

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";
const AS = "https://www.w3.org/ns/activitystreams";

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

type Json = Record<string, unknown>;

describe("inbox over HTTP", () => {
  let t: TestInstance;
  let peer: FakePeer;
  let origin: FakePeer;
  let alice: FakeActor;
  let mallory: FakeActor;
  let bob: FakeActor;
  let op: number;
  let sharedInbox: string;
  let boardId: string;
  let seq = 0;

  const fresh = (what: string) => `${peer.url}/${what}/${++seq}`;

  const thread = async (no: number): Promise<Json[]> => {
    const res = await request(t.app).get(`/b/thread/${no}.json`);
    return res.status === 200 ? (res.body.posts as Json[]) : [];
  };
  const postByApId = async (apId: string): Promise<{ board: string; no: number } | null> =>
    t.services.store.federation.remotePosts.get(apId);

  const note = (author: FakeActor, extra: Json = {}): Json => ({
    id: fresh("notes"),
    type: "Note",
    attributedTo: author.id,
    to: [PUBLIC],
    cc: [boardId],
    content: "<p>hello</p>",
    ...extra,
  });
  const create = (author: FakeActor, object: Json, extra: Json = {}): Json => ({
    "@context": AS,
    id: fresh("activities/create"),
    type: "Create",
    actor: author.id,
    to: object["to"],
    cc: object["cc"],
    object,
    ...extra,
  });
  const send = (body: unknown, signer: FakeActor | null, opts: Parameters<typeof postSigned>[3] = {}) =>
    postSigned(sharedInbox, body, signer, opts);

  beforeAll(async () => {
    const port = await freePort();
    t = await startTestInstance(
      { ALLOW_PRIVATE_ADDRESSES: "on", PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port) },
      { listen: true },
    );
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    await t.services.boards.create({ uri: "pics", title: "Pictures" });
    op = (await t.services.posting.createThread({ board: "b", comment: "local op", ip: "192.0.2.1" })).no;
    sharedInbox = `${t.url}/ap/inbox`;
    boardId = `${t.url}/ap/boards/b`;
    peer = await FakePeer.start();
    origin = await FakePeer.start();
    alice = peer.actor("alice");
    mallory = peer.actor("mallory");
    bob = origin.actor("bob");
    peer.serve("/media/cat.jpg", await makeJpeg(320, 200), { type: "image/jpeg" });
    peer.serve("/media/not-an-image.jpg", Buffer.from("<html>nope</html>"), { type: "text/html" });
  });
  afterAll(async () => {
    await t?.stop();
    await peer?.close();
    await origin?.close();
  });

  describe("follows", () => {
    it("records a Follow of a board as accepted and delivers an Accept signed by the board", async () => {
      const follow = { "@context": AS, id: fresh("follows"), type: "Follow", actor: alice.id, object: boardId };
      const res = await send(follow, alice);
      expect(res.status).toBe(202);
      expect(res.type).toMatch(/^application\/problem\+json/);
      const stored = await t.services.store.federation.follows.get(alice.id, boardId);
      expect(stored).toMatchObject({ id: follow.id, board: "b", direction: "inbound", state: "accepted" });
      expect(stored?.sharedInbox).toBe(`${peer.url}/inbox`);

      const accept = await peer.waitFor((r) => r.path === "/users/alice/inbox" && r.body["type"] === "Accept");
      expect(accept.body).toMatchObject({ actor: boardId, object: { id: follow.id, type: "Follow", actor: alice.id } });
      // The signature is the board's, checkable with the key the board actor publishes.
      const keyId = /keyId="([^"]+)"/.exec(String(accept.headers["signature"]))![1]!;
      expect(keyOwnerOf(keyId)).toBe(boardId);
      const actor = JSON.parse((await request(t.app).get("/ap/boards/b")).text);
      const rawBody = Buffer.from(JSON.stringify(accept.body));
      expect(() =>
        verifyRequest(
          { method: "POST", path: "/users/alice/inbox", headers: accept.headers, rawBody },
          { publicKeyPem: actor.publicKey.publicKeyPem },
        ),
      ).not.toThrow();

      const followers = await request(t.app).get("/ap/boards/b/followers?page=true");
      expect(JSON.parse(followers.text).orderedItems).toContain(alice.id);
    });

    it("answers 404 for a follow of an unknown board or a POST to its inbox, and ignores other follows", async () => {
      const unknown = { id: fresh("follows"), type: "Follow", actor: alice.id, object: `${t.url}/ap/boards/nope` };
      expect((await send(unknown, alice)).status).toBe(404);
      const boardInbox = await postSigned(`${t.url}/ap/boards/nope/inbox`, { ...unknown, id: fresh("f") }, alice);
      expect(boardInbox.status).toBe(404);
      expect(boardInbox.type).toMatch(/problem\+json/);
      const other = await send({ id: fresh("follows"), type: "Follow", actor: alice.id, object: mallory.id }, alice);
      expect(other.status).toBe(202);
      expect(other.body["title"]).toBe("Ignored");
    });

    it("removes a follow on Undo by its follower only", async () => {
      const follow = { id: fresh("follows"), type: "Follow", actor: mallory.id, object: boardId };
      expect((await send(follow, mallory)).status).toBe(202);
      const forged = { id: fresh("undo"), type: "Undo", actor: alice.id, object: follow.id };
      expect((await send(forged, alice)).status).toBe(403);
      expect(await t.services.store.federation.follows.get(mallory.id, boardId)).not.toBeNull();
      const undo = { id: fresh("undo"), type: "Undo", actor: mallory.id, object: follow };
      expect((await send(undo, mallory)).status).toBe(202);
      expect(await t.services.store.federation.follows.get(mallory.id, boardId)).toBeNull();
    });

    it("forgets an actor that deletes itself, with its follows", async () => {
      const frank = peer.actor("frank");
      const follow = { id: fresh("follows"), type: "Follow", actor: frank.id, object: boardId };
      expect((await send(follow, frank)).status).toBe(202);
      expect(await t.services.store.federation.actors.get(frank.id)).not.toBeNull();
      // The account is gone from its server; its key is still in our cache.
      peer.serve("/users/frank", { id: frank.id, type: "Tombstone" }, { status: 410 });
      const del = { id: `${frank.id}#delete`, type: "Delete", actor: frank.id, object: frank.id, to: [PUBLIC] };
      const res = await send(del, frank);
      expect(res.status).toBe(202);
      expect(res.body["title"]).toBe("Accepted");
      expect(await t.services.store.federation.follows.get(frank.id, boardId)).toBeNull();
      expect(await t.services.store.federation.actors.get(frank.id)).toBeNull();
      // Again, now that nothing is cached: the key cannot be had, and there is nothing left to do.
      const again = await send({ ...del, id: `${frank.id}#delete-again` }, frank);
      expect(again.status).toBe(202);
      expect(again.body["title"]).toBe("Ignored");
    });
  });

  describe("posts", () => {
    let replyNote: Json;

    it("takes a reply into a local thread, with the author's handle, its image thumbnailed and its HTML sanitized", async () => {
      replyNote = note(alice, {
        inReplyTo: `${t.url}/b/thread/${op}`,
        content:
          '<p>Hello <b>world</b> &amp; friends</p><script>alert(1)</script><p><a href="javascript:alert(1)">bad</a> <a href="https://example.org/x" onclick="x()">good</a><img src="https://example.org/i.png"></p>',
        attachment: [{ type: "Document", mediaType: "image/jpeg", url: `${peer.url}/media/cat.jpg`, name: "a cat" }],
      });
      const res = await send(create(alice, replyNote), alice);
      expect(res.status).toBe(202);
      expect(res.body["title"]).toBe("Accepted");

      const posts = await thread(op);
      const reply = posts.find((p) => p["ap_id"] === replyNote["id"]);
      expect(reply).toMatchObject({
        resto: op,
        name: `alice@${new URL(peer.url).host}`,
        fedi_actor: alice.id,
        ext: ".jpg",
        w: 320,
        h: 200,
      });
      expect(reply!["tn_w"]).toBeGreaterThan(0);
      const com = String(reply!["com"]);
      expect(com).toContain("<b>world</b>");
      expect(com).not.toMatch(/script|alert|javascript:|onclick|<img/i);
      expect(com).toContain('<a href="https://example.org/x" rel="nofollow noopener noreferrer ugc">good</a>');
      const stored = await t.services.store.posts.getPost("b", Number(reply!["no"]));
      expect(stored?.comment).toContain("Hello world & friends");
      expect(stored?.ipHash).toBeNull();
      const thumb = await request(t.app).get(`/media/b/${reply!["tim"]}s.jpg`);
      expect(thumb.status).toBe(200);
      expect(thumb.headers["content-type"]).toBe("image/jpeg");
    });

    it("announces the accepted reply to the board's followers", async () => {
      const announce = await peer.waitFor(
        (r) =>
          r.path === "/inbox" &&
          r.body["type"] === "Announce" &&
          JSON.stringify(r.body).includes(String(replyNote["id"])),
      );
      expect(announce.body["actor"]).toBe(boardId);
    });

    it("keeps the post and drops an attachment that is not an image", async () => {
      const n = note(alice, {
        inReplyTo: `${t.url}/b/thread/${op}`,
        content: "<p>text stays</p>",
        attachment: [{ type: "Document", mediaType: "image/jpeg", url: `${peer.url}/media/not-an-image.jpg` }],
      });
      const res = await send(create(alice, n), alice);
      expect(res.status).toBe(202);
      const reply = (await thread(op)).find((p) => p["ap_id"] === n["id"]);
      expect(reply?.["com"]).toContain("text stays");
      expect(reply?.["tim"]).toBeUndefined();
    });

    it("starts a thread from a top-level Note that mentions the board, its first line as subject", async () => {
      const n = note(alice, {
        cc: [],
        tag: [{ type: "Mention", href: boardId, name: `@b@${new URL(t.url).host}` }],
        content: `<p><span class="h-card"><a href="${boardId}" class="u-url mention">@<span>b</span></a></span> Hello board</p><p>more text</p>`,
      });
      expect((await send(create(alice, n), alice)).status).toBe(202);
      const ref = await postByApId(String(n["id"]));
      expect(ref?.board).toBe("b");
      const posts = await thread(ref!.no);
      expect(posts[0]).toMatchObject({ no: ref!.no, sub: "Hello board", fedi_actor: alice.id });
      expect(String(posts[0]!["com"])).toContain('<span class="h-card">');
    });

    it("takes deliveries at the board's inbox and at the instance actor's", async () => {
      const viaBoard = note(alice, { inReplyTo: `${t.url}/b/thread/${op}` });
      expect((await postSigned(`${t.url}/ap/boards/b/inbox`, create(alice, viaBoard), alice)).status).toBe(202);
      const viaActor = note(alice, { inReplyTo: `${t.url}/b/thread/${op}` });
      expect((await postSigned(`${t.url}/ap/actor/inbox`, create(alice, viaActor), alice)).status).toBe(202);
      expect(await postByApId(String(viaBoard["id"]))).not.toBeNull();
      expect(await postByApId(String(viaActor["id"]))).not.toBeNull();
    });

    it("ignores Notes that are not replies here nor addressed to a board, and private ones", async () => {
      const stray = note(alice, { cc: [], inReplyTo: `${peer.url}/notes/elsewhere` });
      expect((await send(create(alice, stray), alice)).body["title"]).toBe("Ignored");
      const direct = note(alice, { to: [`${t.url}/ap/anonymous`], cc: [], inReplyTo: `${t.url}/b/thread/${op}` });
      expect((await send(create(alice, direct), alice)).body["title"]).toBe("Ignored");
      expect(await postByApId(String(stray["id"]))).toBeNull();
      expect(await postByApId(String(direct["id"]))).toBeNull();
    });

    it("keeps board rules: a thread on a board that needs an image is not made without one", async () => {
      const n = note(alice, { cc: [`${t.url}/ap/boards/pics`], content: "<p>no picture</p>" });
      const res = await send(create(alice, n), alice);
      expect(res.status).toBe(202);
      expect(res.body["title"]).toBe("Ignored");
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("refuses a Create of someone else's Note", async () => {
      const n = note(mallory, { inReplyTo: `${t.url}/b/thread/${op}` });
      // Not believed as embedded (it is not alice's): read from its origin, which names mallory.
      peer.serve(String(n["id"]), n);
      const res = await send(create(alice, n), alice);
      expect(res.status).toBe(403);
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("applies an Update by the author and refuses one by anyone else", async () => {
      const ref = (await postByApId(String(replyNote["id"])))!;
      const forged = {
        id: fresh("update"),
        type: "Update",
        actor: mallory.id,
        object: { ...replyNote, attributedTo: mallory.id, content: "<p>vandalised</p>" },
      };
      expect((await send(forged, mallory)).status).toBe(403);
      const update = {
        id: fresh("update"),
        type: "Update",
        actor: alice.id,
        object: { ...replyNote, content: "<p>edited <em>text</em></p>" },
      };
      expect((await send(update, alice)).status).toBe(202);
      const post = await t.services.store.posts.getPost("b", ref.no);
      expect(post?.comment).toBe("edited text");
      expect(post?.html).toBe("<p>edited <em>text</em></p>");
      expect(post?.file).not.toBeNull();
    });

    it("takes a new subject from an Update of a thread's opening post, as plain text, and none for a reply", async () => {
      const opNote = note(alice, { name: "First title", content: "<p>first text</p>" });
      expect((await send(create(alice, opNote), alice)).body["title"]).toBe("Accepted");
      const ref = (await postByApId(String(opNote["id"])))!;
      expect((await t.services.store.posts.getPost(ref.board, ref.no))?.subject).toBe("First title");

      const renamed = { ...opNote, name: "A <b>second</b>\n title", content: "<p>second text</p>" };
      const res = await send({ id: fresh("update"), type: "Update", actor: alice.id, object: renamed }, alice);
      expect(res.body["title"]).toBe("Accepted");
      expect(await t.services.store.posts.getPost(ref.board, ref.no)).toMatchObject({
        subject: "A second title",
        comment: "second text",
      });
      const untitled = { ...renamed, name: undefined, content: "<p>@b A first line</p><p>more</p>" };
      await send({ id: fresh("update"), type: "Update", actor: alice.id, object: untitled }, alice);
      expect((await t.services.store.posts.getPost(ref.board, ref.no))?.subject).toBe("A first line");

      const reply = note(alice, { inReplyTo: `${t.url}/b/thread/${ref.no}` });
      expect((await send(create(alice, reply), alice)).body["title"]).toBe("Accepted");
      const replyRef = (await postByApId(String(reply["id"])))!;
      const named = { ...reply, name: "A reply's name", content: "<p>edited reply</p>" };
      await send({ id: fresh("update"), type: "Update", actor: alice.id, object: named }, alice);
      expect(await t.services.store.posts.getPost(replyRef.board, replyRef.no)).toMatchObject({
        subject: null,
        comment: "edited reply",
      });
    });

    it("applies a Delete by the author, media included, and refuses one by anyone else", async () => {
      const ref = (await postByApId(String(replyNote["id"])))!;
      const file = (await t.services.store.posts.getPost("b", ref.no))!.file!;
      const tombstone = { id: replyNote["id"], type: "Tombstone" };
      expect(
        (await send({ id: fresh("delete"), type: "Delete", actor: mallory.id, object: tombstone }, mallory)).status,
      ).toBe(403);
      expect(await t.services.store.posts.getPost("b", ref.no)).not.toBeNull();
      expect(
        (await send({ id: fresh("delete"), type: "Delete", actor: alice.id, object: tombstone }, alice)).status,
      ).toBe(202);
      expect(await t.services.store.posts.getPost("b", ref.no)).toBeNull();
      expect(await postByApId(String(replyNote["id"]))).toBeNull();
      expect(await t.services.media.has(file.thumbSha256)).toBe(false);
      expect((await thread(op)).some((p) => p["ap_id"] === replyNote["id"])).toBe(false);
    });
  });

  describe("security", () => {
    const reply = () => note(alice, { inReplyTo: `${t.url}/b/thread/${op}` });

    it("refuses an unsigned request with 401", async () => {
      const n = reply();
      const res = await send(create(alice, n), null);
      expect(res.status).toBe(401);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401 });
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("refuses a signature that does not verify with 401", async () => {
      const n = reply();
      const impostor: FakeActor = { ...alice, privateKeyPem: mallory.privateKeyPem };
      const res = await send(create(alice, n), impostor);
      expect(res.status).toBe(401);
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("refuses a Date outside the window with 401", async () => {
      const n = reply();
      const res = await send(create(alice, n), alice, { now: new Date(Date.now() - 2 * 60 * 60 * 1000) });
      expect(res.status).toBe(401);
      expect(String(res.body["detail"])).toMatch(/window/);
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("refuses a body that does not match its Digest with 401", async () => {
      const n = reply();
      const body = create(alice, n);
      const tampered = Buffer.from(JSON.stringify({ ...body, id: fresh("tampered") }));
      const res = await send(body, alice, { tamperBody: tampered });
      expect(res.status).toBe(401);
      expect(String(res.body["detail"])).toMatch(/Digest/);
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("refuses an activity whose actor is not the key's owner with 401", async () => {
      const n = reply();
      const res = await send(create(alice, n), mallory);
      expect(res.status).toBe(401);
      expect(String(res.body["detail"])).toMatch(/owner/);
      expect(await postByApId(String(n["id"]))).toBeNull();
    });

    it("refuses a key on another origin than the actor without fetching it", async () => {
      const n = reply();
      const before = origin.fetched.length;
      const res = await send(create(alice, n), bob);
      expect(res.status).toBe(401);
      expect(origin.fetched.length).toBe(before);
    });

    it("ignores a replayed activity id: no second post", async () => {
      const first = create(alice, reply());
      expect((await send(first, alice)).body["title"]).toBe("Accepted");
      const second = { ...first, object: reply() };
      const res = await send(second, alice);
      expect(res.status).toBe(202);
      expect(res.body["detail"]).toMatch(/Already received/);
      expect(await postByApId(String((second.object as Json)["id"]))).toBeNull();
    });

    it("does not let unsigned junk poison the replay check", async () => {
      const activity = create(alice, reply());
      expect((await send(activity, null)).status).toBe(401);
      expect((await send(activity, alice)).body["title"]).toBe("Accepted");
    });

    it("fetches an embedded object on another host from its origin, and the origin's version wins", async () => {
      const id = `${origin.url}/notes/real`;
      origin.serve(id, {
        "@context": AS,
        id,
        type: "Note",
        attributedTo: alice.id,
        to: [PUBLIC],
        inReplyTo: `${t.url}/b/thread/${op}`,
        content: "<p>the origin's version</p>",
      });
      const forged = { ...reply(), id, content: "<p>forged version</p>" };
      const res = await send(create(alice, forged), alice);
      expect(res.status).toBe(202);
      expect(origin.fetched).toContain("/notes/real");
      const ref = (await postByApId(id))!;
      expect((await t.services.store.posts.getPost("b", ref.no))?.comment).toBe("the origin's version");
    });

    it("refuses a fetched document whose id differs from its URL", async () => {
      const id = `${origin.url}/notes/liar`;
      origin.serve(id, { ...reply(), id: `${origin.url}/notes/someone-else` });
      const res = await send(create(alice, { ...reply(), id }), alice);
      expect(res.status).toBe(403);
      expect(await postByApId(id)).toBeNull();
      expect(await postByApId(`${origin.url}/notes/someone-else`)).toBeNull();
    });

    it("refuses an actor document served at an address other than its id", async () => {
      const id = `${peer.url}/users/eve`;
      const eve = peer.actor("eve");
      // The key owner's URL answers with a document claiming to be someone else.
      peer.serve("/users/eve", { ...eve.document, id: `${peer.url}/users/alice-twin` });
      const n = note(eve, { inReplyTo: `${t.url}/b/thread/${op}` });
      const res = await send(create(eve, n), eve);
      expect(res.status).toBe(401);
      expect(await t.services.store.federation.actors.get(`${peer.url}/users/alice-twin`)).toBeNull();
      expect(await t.services.store.federation.actors.get(id)).toBeNull();
    });

    it("refetches a cached actor once when its key rotated", async () => {
      const carol = peer.actor("carol");
      expect((await send(create(carol, note(carol, { inReplyTo: `${t.url}/b/thread/${op}` })), carol)).status).toBe(
        202,
      );
      const { publicKey, privateKey } = generateKeyPairSync("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" },
      });
      const rotated: FakeActor = { ...carol, publicKeyPem: publicKey, privateKeyPem: privateKey };
      peer.serve("/users/carol", {
        ...carol.document,
        publicKey: { id: carol.keyId, owner: carol.id, publicKeyPem: publicKey },
      });
      const n = note(carol, { inReplyTo: `${t.url}/b/thread/${op}` });
      expect((await send(create(carol, n), rotated)).status).toBe(202);
      expect(await postByApId(String(n["id"]))).not.toBeNull();
      expect((await t.services.store.federation.actors.get(carol.id))?.publicKeyPem).toBe(publicKey);
    });

    it("refuses a body over 256 KiB with 413", async () => {
      const big = create(alice, reply(), { padding: "x".repeat(300 * 1024) });
      const res = await send(big, alice).catch((err: NodeJS.ErrnoException) => ({
        status: err.code,
        type: "",
        body: {},
      }));
      expect(res.status).toBe(413);
    });

    it("reads a body sent in chunks without a length, and refuses one that runs over 256 KiB with 413", async () => {
      const chunked = async (body: Buffer, signed: Buffer): Promise<{ status: number; json: Json }> => {
        const target = new URL(sharedInbox);
        const headers: Record<string, string> = { "content-type": "application/activity+json" };
        const signature = signRequest({
          method: "POST",
          url: target,
          headers: {},
          body: signed,
          keyId: alice.keyId,
          privateKeyPem: alice.privateKeyPem,
        });
        for (const [k, v] of Object.entries(signature)) headers[k.toLowerCase()] = v;
        return new Promise((resolve, reject) => {
          const req = httpRequest(
            { method: "POST", host: target.hostname, port: target.port, path: target.pathname, headers },
            (res) => {
              const parts: Buffer[] = [];
              res.on("data", (c: Buffer) => parts.push(c));
              res.on("end", () =>
                resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString() || "{}") }),
              );
            },
          );
          req.on("error", reject);
          // No Content-Length: node sends the body chunked, here in pieces of 1000 bytes.
          for (let i = 0; i < body.length; i += 1000) req.write(body.subarray(i, i + 1000));
          req.end();
        });
      };
      const n = reply();
      const body = Buffer.from(JSON.stringify(create(alice, n)));
      const taken = await chunked(body, body);
      expect(taken.status).toBe(202);
      expect(taken.json["title"]).toBe("Accepted");
      expect(await postByApId(String(n["id"]))).not.toBeNull();

      const big = Buffer.from(JSON.stringify(create(alice, reply(), { padding: "x".repeat(300 * 1024) })));
      expect((await chunked(big, big)).status).toBe(413);
      const tampered = Buffer.from(JSON.stringify(create(alice, reply())));
      expect((await chunked(tampered, Buffer.from("something else"))).status).toBe(401);
    });

    it("refuses deeply nested JSON with 400", async () => {
      let deep: unknown = "bottom";
      for (let i = 0; i < 100; i++) deep = [deep];
      const res = await send(create(alice, { ...reply(), extra: deep }), alice);
      expect(res.status).toBe(400);
      expect(String(res.body["detail"])).toMatch(/deeper/);
    });

    it("refuses bad JSON and non-activities with 400, other content types with 415, other methods with 405", async () => {
      expect((await send("{not json", alice)).status).toBe(400);
      const noActor = await send({ id: fresh("x"), type: "Create", object: reply() }, alice);
      expect(noActor.status).toBe(400);
      expect(String(noActor.body["detail"])).toMatch(/actor/);
      expect((await send(create(alice, reply()), alice, { contentType: "text/plain" })).status).toBe(415);
      const get = await request(t.app).get("/ap/inbox");
      expect(get.status).toBe(405);
      expect(get.headers["content-type"]).toMatch(/problem\+json/);
    });
  });

  describe("board follows board", () => {
    let group: FakeActor;
    let following: RemoteFollowing;

    beforeAll(() => {
      group = peer.actor("group", { type: "Group" });
      const ctx = new FederationContext(
        t.services,
        new FederationIds(t.url),
        new LocalKeys(t.services.store.federation.keys),
      );
      const inbox = new Inbox(t.services, ctx);
      const queue = new QueueOutbox(
        t.services.store.federation.deliveries,
        t.services.store.federation.follows,
        ctx.ids,
      );
      following = new RemoteFollowing(t.services, ctx.ids, inbox.deps.actors, (a, i, act) => queue.send(a, i, act));
    });

    const announceOf = (object: unknown, actor = group): Json => ({
      "@context": AS,
      id: fresh("activities/announce"),
      type: "Announce",
      actor: actor.id,
      to: [PUBLIC],
      object,
    });

    it("follows a remote group: a pending outbound follow and a Follow signed by the board", async () => {
      const follow = await following.followRemoteBoard("b", group.id);
      expect(follow).toMatchObject({ actorId: boardId, objectId: group.id, direction: "outbound", state: "pending" });
      const sent = await peer.waitFor((r) => r.path === "/users/group/inbox" && r.body["type"] === "Follow");
      expect(sent.body).toMatchObject({ id: follow.id, actor: boardId, object: group.id });
      await expect(following.followRemoteBoard("nope", group.id)).rejects.toMatchObject({ kind: "not_found" });
      await expect(following.followRemoteBoard("b", alice.id)).rejects.toMatchObject({ kind: "invalid" });
    });

    it("ignores Announces before the group accepts, and accepts only the group's Accept", async () => {
      const n = `${origin.url}/notes/early`;
      expect((await send(announceOf(n), group)).body["title"]).toBe("Ignored");
      expect(origin.fetched).not.toContain("/notes/early");

      const follow = (await t.services.store.federation.follows.get(boardId, group.id))!;
      const object = { id: follow.id, type: "Follow", actor: boardId, object: group.id };
      expect((await send({ id: fresh("accept"), type: "Accept", actor: mallory.id, object }, mallory)).status).toBe(
        403,
      );
      expect((await send({ id: fresh("accept"), type: "Accept", actor: group.id, object }, group)).status).toBe(202);
      expect((await t.services.store.federation.follows.get(boardId, group.id))?.state).toBe("accepted");
    });

    it("mirrors an announced Create(Note) as a thread, reading the Note from its origin", async () => {
      const id = `${origin.url}/notes/mirrored`;
      origin.serve(id, {
        "@context": AS,
        id,
        type: "Page",
        name: "A <i>title</i>",
        attributedTo: bob.id,
        to: [PUBLIC, group.id],
        audience: group.id,
        content: "<p>the real text</p>",
      });
      const embedded = {
        id: `${origin.url}/activities/create/1`,
        type: "Create",
        actor: bob.id,
        object: { id, type: "Page", attributedTo: bob.id, to: [PUBLIC], content: "<p>forged</p>" },
      };
      expect((await send(announceOf(embedded), group)).body["title"]).toBe("Accepted");
      const ref = (await postByApId(id))!;
      const post = await t.services.store.posts.getPost("b", ref.no);
      expect(post).toMatchObject({ subject: "A title", comment: "the real text", fediActor: bob.id, apId: id });
      expect(post?.name).toBe(`bob@${new URL(origin.url).host}`);
    });

    it("takes a Create and post the group's own server embedded as delivered, fetching nothing", async () => {
      // The group and the post's author are on one origin (FEP-fe34): its signature vouches for both.
      const member = peer.actor("member");
      const id = `${peer.url}/notes/own-${++seq}`;
      const embedded = {
        id: `${peer.url}/activities/create/own-${seq}`,
        type: "Create",
        actor: member.id,
        object: { id, type: "Note", attributedTo: member.id, to: [PUBLIC, group.id], content: "<p>as sent</p>" },
      };
      const fetchedBefore = [...peer.fetched];
      expect((await send(announceOf(embedded), group)).body["title"]).toBe("Accepted");
      const post = await t.services.store.posts.getPost("b", (await postByApId(id))!.no);
      expect(post).toMatchObject({ comment: "as sent", fediActor: member.id });
      expect(peer.fetched.filter((p) => p.startsWith("/notes/"))).toEqual(
        fetchedBefore.filter((p) => p.startsWith("/notes/")),
      );
    });

    it("mirrors a reply whose thread is missing here: the thread is fetched first, then the reply", async () => {
      const opId = `${origin.url}/notes/missing-op-${++seq}`;
      origin.serve(opId, {
        "@context": AS,
        id: opId,
        type: "Page",
        name: "The missed thread",
        attributedTo: bob.id,
        to: [PUBLIC, group.id],
        audience: group.id,
        content: "<p>first post</p>",
      });
      const replyId = `${origin.url}/notes/reply-${seq}`;
      origin.serve(replyId, {
        "@context": AS,
        id: replyId,
        type: "Note",
        attributedTo: bob.id,
        inReplyTo: opId,
        to: [PUBLIC, group.id],
        content: "<p>second post</p>",
      });
      expect((await send(announceOf(replyId), group)).body["title"]).toBe("Accepted");
      const opRef = (await postByApId(opId))!;
      const replyRef = (await postByApId(replyId))!;
      const thread = await t.services.store.posts.getThreadPosts("b", opRef.no);
      expect(thread.map((p) => p.no)).toEqual([opRef.no, replyRef.no]);
      expect(thread[0]).toMatchObject({ subject: "The missed thread", comment: "first post" });
    });

    it("ignores Announces from actors no board follows, fetching nothing", async () => {
      const id = `${origin.url}/notes/unwanted`;
      expect((await send(announceOf(id, mallory), mallory)).body["title"]).toBe("Ignored");
      expect(origin.fetched).not.toContain("/notes/unwanted");
    });

    it("ends the follow when the group rejects it, and mirrors nothing more", async () => {
      const follow = (await t.services.store.federation.follows.get(boardId, group.id))!;
      const reject = { id: fresh("reject"), type: "Reject", actor: group.id, object: follow.id };
      expect((await send(reject, group)).body["title"]).toBe("Accepted");
      expect(await t.services.store.federation.follows.get(boardId, group.id)).toBeNull();
      expect((await send(announceOf(`${origin.url}/notes/late`), group)).body["title"]).toBe("Ignored");
    });
  });

  describe("real messages from other software, after the signature", () => {
    const root = join(projectRoot(), "..", "shared", "fixtures", "activitypub");
    const present = existsSync(root);
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".json") ? [join(dir, e.name)] : [],
      );
    const activities = present
      ? files(root)
          .filter((f) => f.split(sep).includes("activities"))
          .sort()
      : [];

    const absent = " (skipped: ../shared/fixtures/activitypub is absent)";

    it.skipIf(!present)(
      present
        ? `takes or refuses each of the ${activities.length} fixture activities with a reason, never crashing`
        : `takes or refuses every fixture activity${absent}`,
      async () => {
        // No peer is reachable: every fetch fails at once, as for a peer that is down.
        const offline = new GuardedFetch({
          allowPrivateAddresses: false,
          userAgent: "test",
          lookup: async () => {
            throw Object.assign(new Error("offline"), { code: "ENOTFOUND" });
          },
        });
        const ids = new FederationIds(t.url);
        const ctx = new FederationContext(t.services, ids, new LocalKeys(t.services.store.federation.keys), offline);
        const inbox = new Inbox(t.services, ctx);
        const outcomes: Record<string, string> = {};
        for (const file of activities) {
          const json = JSON.parse(readFileSync(file, "utf8"));
          const name = relative(root, file).split(sep).join("/");
          const signer = typeof json.actor === "string" ? json.actor : String(json.actor?.id ?? json.actor);
          try {
            const result = await inbox.handleVerified(json, signer);
            expect(result.detail.length).toBeGreaterThan(0);
            outcomes[name] = `202 ${result.outcome}: ${result.detail}`;
          } catch (err) {
            // A peer out of reach is not the activity's fault: it is kept and tried again later.
            if (err instanceof TransientFailure) {
              outcomes[name] = `later: ${err.message}`;
              continue;
            }
            expect(err, name).toBeInstanceOf(InboxRefusal);
            const refusal = err as InboxRefusal;
            expect(refusal.status).toBeLessThan(500);
            expect(refusal.message.length).toBeGreaterThan(0);
            outcomes[name] = `${refusal.status}: ${refusal.message}`;
          }
        }
        expect(Object.keys(outcomes)).toHaveLength(activities.length);
        if (process.env["SHOW_OUTCOMES"]) console.log(outcomes);
        // The follows address other servers' groups: nothing of ours is touched.
        expect(outcomes["mastodon/activities/follow.json"]).toMatch(/^202 ignored/);
        expect(outcomes["lemmy/activities/create_or_update/create_comment.json"]).toMatch(/^202 ignored/);
      },
    );

    it.skipIf(!present)(
      `takes a fixture Follow and Create aimed at a local board${present ? "" : absent}`,
      async () => {
        const load = (name: string) => JSON.parse(readFileSync(join(root, name), "utf8"));
        const offline = new GuardedFetch({
          allowPrivateAddresses: false,
          userAgent: "test",
          lookup: async () => {
            throw Object.assign(new Error("offline"), { code: "ENOTFOUND" });
          },
        });
        const ctx = new FederationContext(
          t.services,
          new FederationIds(t.url),
          new LocalKeys(t.services.store.federation.keys),
          offline,
        );
        const inbox = new Inbox(t.services, ctx);
        // A Mastodon Follow retargeted at /b/: the follower cannot be fetched now, so it is not
        // recorded, and the inbox is told to try again later rather than to drop it.
        const follow = { ...load("mastodon/activities/follow.json"), object: boardId };
        await expect(inbox.handleVerified(follow, follow.actor)).rejects.toBeInstanceOf(TransientFailure);
        expect(await t.services.store.federation.follows.get(follow.actor, boardId)).toBeNull();
        // A Lemmy comment retargeted as a reply to our thread: taken, with a handle made from its id.
        const lemmy = load("lemmy/activities/create_or_update/create_comment.json");
        lemmy.object.inReplyTo = `${t.url}/b/thread/${op}`;
        const created = await inbox.handleVerified(lemmy, lemmy.actor);
        expect(created.outcome).toBe("accepted");
        const ref = (await postByApId(lemmy.object.id))!;
        expect(await t.services.store.posts.getPost("b", ref.no)).toMatchObject({
          name: "lemmy_alpha@ds9.lemmy.ml",
          comment: "hello",
          fediActor: lemmy.actor,
        });
      },
    );
  });
});
