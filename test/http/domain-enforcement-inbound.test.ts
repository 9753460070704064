import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signRequest } from "../../federation/http/signatures.js";
import { AS, CLI, EnforcementScene, type Json, PUBLIC } from "../support/enforcement-scene.js";
import { type FakeActor, type FakePeer, postSigned } from "../support/fake-peer.js";
import { freePort } from "../support/fedify-peer.js";
import { startTestInstance, type TestInstance } from "../support/instance.js";

/*
 * Domain rules at the inbox: refused before the body is read when the signer's domain is suspended,
 * and after the signature when an activity names a suspended domain anywhere.
 */

describe("domain rules at every federation boundary", () => {
  const scene = new EnforcementScene();
  const { fresh, note, create, inbox, stored } = scene;
  let t: TestInstance;
  let good: FakePeer;
  let evil: FakePeer;
  let picky: FakePeer;
  let alice: FakeActor;
  let eve: FakeActor;
  let pat: FakeActor;
  let boardId: string;
  let evilThread: number;

  beforeAll(async () => {
    await scene.start();
    ({ t, good, evil, picky, alice, eve, pat, boardId, evilThread } = scene);
  });
  afterAll(() => scene.stop());

  describe("inbound, before the body", () => {
    it("refuses a POST signed by a suspended domain's key with 403 problem+json, fetching nothing", async () => {
      const res = await postSigned(inbox(), create(evil, eve, note(evil, eve)), eve);
      expect(res.status).toBe(403);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: "urn:atoll:problem:forbidden", title: "Forbidden", status: 403 });
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
      expect(JSON.parse(res.text)).toMatchObject({ type: "urn:atoll:problem:forbidden", status: 403 });
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
        await strict.services.defederation.createAllow({ domain: "127.0.0.2" }, CLI);
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

  it("serves the instance's pages as before", async () => {
    expect((await request(t.app).get("/b/")).status).toBe(200);
  });
});
