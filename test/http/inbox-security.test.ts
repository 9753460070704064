import { generateKeyPairSync } from "node:crypto";
import { request as httpRequest } from "node:http";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../federation/http/signatures.js";
import type { FakeActor, FakePeer } from "../support/fake-peer.js";
import { AS, InboxScene, type Json, PUBLIC } from "../support/inbox-scene.js";
import type { TestInstance } from "../support/instance.js";

/* What the inbox refuses: bad signatures, forged authors and documents, replays, oversized and malformed bodies. */

describe("inbox over HTTP", () => {
  const scene = new InboxScene();
  const { fresh, postByApId, note, create, send } = scene;
  let t: TestInstance;
  let peer: FakePeer;
  let origin: FakePeer;
  let alice: FakeActor;
  let mallory: FakeActor;
  let bob: FakeActor;
  let op: number;
  let sharedInbox: string;

  beforeAll(async () => {
    await scene.start();
    ({ t, peer, origin, alice, mallory, bob, op, sharedInbox } = scene);
  });
  afterAll(() => scene.stop());

  describe("security", () => {
    const reply = () => note(alice, { inReplyTo: `${t.url}/b/thread/${op}` });

    it("refuses an unsigned request with 401", async () => {
      const n = reply();
      const res = await send(create(alice, n), null);
      expect(res.status).toBe(401);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: "urn:atoll:problem:unauthorized", status: 401 });
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
      expect(get.headers["allow"]).toBe("POST");
      expect(JSON.parse(get.text)).toMatchObject({ type: "urn:atoll:problem:method-not-allowed", status: 405 });
    });
  });
});
