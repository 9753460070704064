import { describe, expect, it } from "vitest";
import { BOARD_ACTOR, follow, keyPair, remoteActor } from "./federation-factories.js";
import type { ContractContext } from "./store-contract.js";

/* Federation data survives closing and reopening the store. */

export function describeFederationReopenContract({ store, reopen }: ContractContext): void {
  describe.skipIf(reopen === null)("federation: closing and reopening", () => {
    it("keeps keys, actors, follows, queued deliveries, health, dedupe, mappings and instance software", async () => {
      const s = store();
      const key = await s.federation.keys.getOrCreate(BOARD_ACTOR, keyPair);
      await s.federation.actors.upsert(remoteActor());
      await s.federation.follows.add(follow());
      const item = {
        id: "d1",
        inbox: "https://remote.example/inbox",
        domain: "remote.example",
        body: '{"type":"Create"}',
        keyId: `${BOARD_ACTOR}#main-key`,
        activityId: "https://atoll.example/b/activities/1",
      };
      await s.federation.deliveries.enqueue([item, { ...item, id: "d2", inbox: "https://remote.example/u/2" }], 1000);
      expect((await s.federation.deliveries.claim(1000, 1, 60_000, 10)).map((d) => d.id)).toEqual(["d1"]);
      await s.federation.peerHealth.recordFailure("remote.example", 1000);
      await s.federation.inboxDedupe.seen("https://remote.example/a/1", 1000, 60_000);
      await s.federation.remotePosts.put({ apId: "https://remote.example/n/1", board: "b", no: 3 });
      await s.federation.instances.recordSoftware("remote.example", "piefed", "1.0", 1000);

      const again = await reopen!();
      expect(await again.federation.keys.get(BOARD_ACTOR)).toEqual(key);
      expect(await again.federation.actors.get(remoteActor().id)).toEqual(remoteActor());
      expect(await again.federation.follows.followersOf("b")).toEqual([follow()]);
      expect(await again.federation.deliveries.countPending()).toBe(2);
      // the lease taken before the restart still holds until it runs out
      expect((await again.federation.deliveries.claim(2000, 10, 60_000, 10)).map((d) => d.id)).toEqual(["d2"]);
      expect((await again.federation.deliveries.claim(61_000, 10, 60_000, 10)).map((d) => d.id)).toEqual(["d1"]);
      expect((await again.federation.peerHealth.get("remote.example"))?.consecutiveFailures).toBe(1);
      expect(await again.federation.inboxDedupe.seen("https://remote.example/a/1", 2000, 60_000)).toBe(true);
      expect(await again.federation.remotePosts.byBoardAndNo("b", 3)).toEqual({
        apId: "https://remote.example/n/1",
        board: "b",
        no: 3,
      });
      expect(await again.federation.instances.get("remote.example")).toEqual({
        domain: "remote.example",
        software: "piefed",
        version: "1.0",
        fetchedAt: 1000,
        lastError: null,
      });
    });
  });
}
