import { createPublicKey } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "../support/instance.js";

const AP = "application/activity+json";

describe("ActivityPub documents over HTTP", () => {
  let t: TestInstance;
  let op: number;
  let reply: number;

  beforeAll(async () => {
    t = await startTestInstance({ PUBLIC_URL: "https://atoll.example" });
    await t.services.boards.create({ uri: "b", title: "Random", settings: { requireImageForThread: false } });
    op = (await t.services.posting.createThread({ board: "b", subject: "Hi", comment: "first", ip: "192.0.2.1" })).no;
    reply = (
      await t.services.posting.createReply({ board: "b", threadNo: op, comment: `>>${op}\nsecond`, ip: "192.0.2.2" })
    ).no;
    for (let i = 0; i < 22; i++)
      await t.services.posting.createThread({ board: "b", comment: `thread ${i}`, ip: "192.0.2.3" });
  });
  afterAll(() => t.stop());

  it("serves the board as a Group with a usable RSA key that survives restarts", async () => {
    const res = await request(t.app).get("/ap/boards/b").set("Accept", AP);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/activity\+json/);
    const actor = JSON.parse(res.text);
    expect(actor).toMatchObject({
      id: "https://atoll.example/ap/boards/b",
      type: "Group",
      preferredUsername: "b",
      inbox: "https://atoll.example/ap/boards/b/inbox",
      endpoints: { sharedInbox: "https://atoll.example/ap/inbox" },
      publicKey: { id: "https://atoll.example/ap/boards/b#main-key", owner: "https://atoll.example/ap/boards/b" },
    });
    expect(createPublicKey(actor.publicKey.publicKeyPem).asymmetricKeyType).toBe("rsa");
    const again = JSON.parse((await request(t.app).get("/ap/boards/b")).text);
    expect(again.publicKey.publicKeyPem).toBe(actor.publicKey.publicKeyPem);
    const stored = await t.services.store.federation.keys.get("https://atoll.example/ap/boards/b");
    expect(stored?.publicKeyPem).toBe(actor.publicKey.publicKeyPem);
  });

  it("serves the instance Application actor and the anonymous author", async () => {
    const inst = JSON.parse((await request(t.app).get("/ap/actor")).text);
    expect(inst).toMatchObject({ id: "https://atoll.example/ap/actor", type: "Application" });
    const anon = JSON.parse((await request(t.app).get("/ap/anonymous")).text);
    expect(anon).toMatchObject({
      type: "Person",
      name: "Anonymous",
      publicKey: { owner: "https://atoll.example/ap/anonymous" },
    });
  });

  it("answers content negotiation on thread and reply URLs, and HTML otherwise", async () => {
    const thread = await request(t.app).get(`/b/thread/${op}`).set("Accept", AP);
    expect(thread.status).toBe(200);
    const note = JSON.parse(thread.text);
    expect(note).toMatchObject({
      id: `https://atoll.example/b/thread/${op}`,
      type: "Note",
      name: "Hi",
      replies: `https://atoll.example/ap/boards/b/threads/${op}/replies`,
    });
    const ld = await request(t.app)
      .get(`/b/thread/${op}`)
      .set("Accept", 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"');
    expect(JSON.parse(ld.text).id).toBe(note.id);
    const html = await request(t.app).get(`/b/thread/${op}`).set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
    expect(html.headers["content-type"]).toMatch(/text\/html/);
    const r = JSON.parse((await request(t.app).get(`/b/post/${reply}`).set("Accept", AP)).text);
    expect(r).toMatchObject({
      id: `https://atoll.example/b/post/${reply}`,
      inReplyTo: `https://atoll.example/b/thread/${op}`,
    });
    expect((await request(t.app).get(`/b/thread/${reply}`).set("Accept", AP)).status).toBe(404);
    expect((await request(t.app).get("/b/thread/99999").set("Accept", AP)).status).toBe(404);
  });

  it("answers 410 with a Tombstone for a deleted post, 404 for a number never given out", async () => {
    const created = await request(t.app)
      .post(`/api/v1/boards/b/threads/${op}/replies`)
      .send({ com: "soon gone", password: "pw12345" });
    expect(created.status).toBe(201);
    const no = created.body.no as number;
    expect((await request(t.app).get(`/b/post/${no}`).set("Accept", AP)).status).toBe(200);
    const del = await request(t.app).delete(`/api/v1/boards/b/posts/${no}`).send({ password: "pw12345" });
    expect(del.status).toBe(204);
    const res = await request(t.app).get(`/b/post/${no}`).set("Accept", AP);
    expect(res.status).toBe(410);
    expect(JSON.parse(res.text)).toMatchObject({
      id: `https://atoll.example/b/post/${no}`,
      type: "Tombstone",
      formerType: "Note",
    });
    expect(
      (
        await request(t.app)
          .get(`/b/post/${no + 1000}`)
          .set("Accept", AP)
      ).status,
    ).toBe(404);
  });

  it("paginates the outbox (every post, newest first, as the board announced it) and the replies by cursor", async () => {
    const outbox = JSON.parse((await request(t.app).get("/ap/boards/b/outbox")).text);
    expect(outbox).toMatchObject({
      type: "OrderedCollection",
      // 23 threads and one reply
      totalItems: 24,
      first: "https://atoll.example/ap/boards/b/outbox?page=true",
    });
    expect(outbox["@context"]).toContain("https://atoll.example/ns/atoll.jsonld");
    const p1 = JSON.parse((await request(t.app).get("/ap/boards/b/outbox?page=true")).text);
    expect(p1).toMatchObject({ type: "OrderedCollectionPage", partOf: "https://atoll.example/ap/boards/b/outbox" });
    expect(p1.orderedItems).toHaveLength(20);
    expect(p1.orderedItems[0]).toMatchObject({
      type: "Announce",
      actor: "https://atoll.example/ap/boards/b",
      object: { type: "Create", object: { type: "Note" } },
    });
    const numbers = p1.orderedItems.map((a: { object: { object: { id: string } } }) =>
      Number(a.object.object.id.split("/").pop()),
    );
    expect(numbers).toEqual([...numbers].sort((x: number, y: number) => y - x));

    expect(p1.next).toBe("https://atoll.example/ap/boards/b/outbox?page=o20");
    const p2 = JSON.parse((await request(t.app).get(new URL(p1.next).pathname + new URL(p1.next).search)).text);
    expect(p2.orderedItems).toHaveLength(4);
    expect(p2.next).toBeUndefined();
    const ids = [...p1.orderedItems, ...p2.orderedItems].map((a: { id: string }) => a.id);
    expect(new Set(ids).size).toBe(24);
    const replyItem = [...p1.orderedItems, ...p2.orderedItems].find(
      (a: { object: { object: { id: string } } }) => a.object.object.id === `https://atoll.example/b/post/${reply}`,
    );
    expect(replyItem?.object.object.inReplyTo).toBe(`https://atoll.example/b/thread/${op}`);
    for (const bad of ["abc", "-1", "1.5", "1", "o-1"]) {
      const res = await request(t.app).get(`/ap/boards/b/outbox?page=${bad}`);
      expect(res.status).toBe(400);
      expect(res.headers["content-type"]).toMatch(/problem\+json/);
      expect(JSON.parse(res.text)).toMatchObject({ type: "urn:atoll:problem:invalid", status: 400 });
    }
    expect((await request(t.app).get("/ap/boards/b/outbox?page=a&page=b")).status).toBe(400);
    const none = await request(t.app).get("/ap/boards/nope/outbox");
    expect(none.status).toBe(404);
    expect(JSON.parse(none.text)).toMatchObject({ type: "urn:atoll:problem:not-found", detail: "No such object." });
    expect((await request(t.app).get("/ap/boards/b/threads/99999/replies")).status).toBe(404);
    const replies = JSON.parse((await request(t.app).get(`/ap/boards/b/threads/${op}/replies?page=true`)).text);
    expect(replies.orderedItems).toEqual([`https://atoll.example/b/post/${reply}`]);
    const followers = JSON.parse((await request(t.app).get("/ap/boards/b/followers")).text);
    expect(followers).toMatchObject({ type: "OrderedCollection", totalItems: 0 });
    const moderators = JSON.parse((await request(t.app).get("/ap/boards/b/moderators?page=true")).text);
    // The admin API's moderator (no staff accounts exist here), a Person named by role.
    expect(moderators.orderedItems).toHaveLength(1);
    expect(moderators.orderedItems[0]).toMatch(/^https:\/\/atoll\.example\/ap\/boards\/b\/staff\/[A-Za-z0-9_-]{22}$/);
  });

  it("serves Atoll's JSON-LD context for the imageboard extras", async () => {
    const res = await request(t.app).get("/ns/atoll.jsonld");
    expect(res.headers["content-type"]).toMatch(/application\/ld\+json/);
    const ctx = JSON.parse(res.text)["@context"];
    expect(JSON.stringify(ctx)).toContain("postNumber");
    expect(JSON.stringify(ctx)).toContain("https://atoll.example/ns/atoll#");
  });

  it("finds the actor through WebFinger", async () => {
    const wf = await request(t.app).get("/.well-known/webfinger").query({ resource: "acct:b@atoll.example" });
    const self = wf.body.links.find((l: { rel: string }) => l.rel === "self");
    expect((await request(t.app).get(new URL(self.href).pathname).set("Accept", AP)).status).toBe(200);
    expect((await request(t.app).get("/ap/boards/nope")).status).toBe(404);
  });
});
