import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveHandle } from "../../federation/admin/target.js";
import type { FederationContext } from "../../federation/context.js";
import { FetchRefused } from "../../federation/http/guarded-fetch.js";
import { CLI, EnforcementScene } from "../support/enforcement-scene.js";
import { type FakeActor, type FakePeer, postSigned } from "../support/fake-peer.js";
import { makeJpeg, type TestInstance } from "../support/instance.js";

/*
 * Domain rules at every fetch: suspended hosts and redirect hops to them never reached, rejected media
 * never fetched, WebFinger answers checked again.
 */

describe("domain rules at every federation boundary", () => {
  const scene = new EnforcementScene();
  const { note, create, inbox, stored } = scene;
  let t: TestInstance;
  let good: FakePeer;
  let evil: FakePeer;
  let media: FakePeer;
  let alice: FakeActor;
  let eve: FakeActor;
  let ctx: FederationContext;

  beforeAll(async () => {
    await scene.start();
    ({ t, good, evil, media, alice, eve, ctx } = scene);
  });
  afterAll(() => scene.stop());

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
      await t.services.defederation.createBoardRule(
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
        for (const r of await t.services.defederation.listBoardRules("pics")) {
          if (r.domain === "127.0.0.2") await t.services.defederation.deleteBoardRule("pics", r.id, CLI);
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
});
