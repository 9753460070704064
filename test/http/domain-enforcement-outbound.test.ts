import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FederationContext } from "../../federation/context.js";
import { DeliveryPublisher } from "../../federation/delivery/publisher.js";
import { DeliveryWorker } from "../../federation/delivery/worker.js";
import type { Follow } from "../../server/domain/federation-ports.js";
import { CLI, EnforcementScene } from "../support/enforcement-scene.js";
import { type FakeActor, FakePeer, postSigned } from "../support/fake-peer.js";
import type { TestInstance } from "../support/instance.js";

/*
 * Domain rules at delivery: nothing queued, sent or announced to a suspended domain, and what a domain
 * left behind (cached actors, queued deliveries) dropped when it becomes suspended.
 */

describe("domain rules at every federation boundary", () => {
  const scene = new EnforcementScene();
  const { note, create, inbox } = scene;
  let t: TestInstance;
  let good: FakePeer;
  let evil: FakePeer;
  let picky: FakePeer;
  let alice: FakeActor;
  let eve: FakeActor;
  let ctx: FederationContext;
  let boardId: string;
  // Numbers the queue items these tests write by hand.
  let seq = 0;

  beforeAll(async () => {
    await scene.start();
    ({ t, good, evil, picky, alice, eve, ctx, boardId } = scene);
  });
  afterAll(() => scene.stop());

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

        await t.services.defederation.createBlock({ domain: "127.0.0.7", severity: "suspend" }, CLI);
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
});
