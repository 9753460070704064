import { describe, expect, it } from "vitest";
import type { KeyPair } from "../../server/domain/federation-ports.js";
import { expectDomainError, range } from "./factories.js";
import { BOARD_ACTOR, keyPair, remoteActor } from "./federation-factories.js";
import type { ContractContext } from "./store-contract.js";

/* Actors in the federation store: the keys of local actors and the cached remote actors. */

export function describeFederationActorsContract({ store }: ContractContext): void {
  describe("federation: actor keys", () => {
    it("creates a key once and returns it from then on", async () => {
      const keys = store().federation.keys;
      expect(await keys.get(BOARD_ACTOR)).toBeNull();
      const first = await keys.getOrCreate(BOARD_ACTOR, () => ({ publicKeyPem: "pub", privateKeyPem: "priv" }), 5000);
      expect(first).toEqual({ actorId: BOARD_ACTOR, publicKeyPem: "pub", privateKeyPem: "priv", createdAt: 5000 });
      let called = false;
      const again = await keys.getOrCreate(BOARD_ACTOR, () => {
        called = true;
        return keyPair();
      });
      expect(called).toBe(false);
      expect(again).toEqual(first);
      expect(await keys.get(BOARD_ACTOR)).toEqual(first);
      expect(await keys.delete(BOARD_ACTOR)).toBe(true);
      expect(await keys.delete(BOARD_ACTOR)).toBe(false);
      expect(await keys.get(BOARD_ACTOR)).toBeNull();
    });

    it("ends 20 racing callers with one and the same key", async () => {
      const keys = store().federation.keys;
      const results = await Promise.all(
        range(1, 20).map(() =>
          keys.getOrCreate("https://atoll.example/actor", async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return keyPair();
          }),
        ),
      );
      const stored = await keys.get("https://atoll.example/actor");
      expect(stored).not.toBeNull();
      for (const key of results) expect(key).toEqual(stored);
    });

    it("refuses a generator that returns no key pair, storing nothing", async () => {
      const keys = store().federation.keys;
      await expectDomainError(
        keys.getOrCreate(BOARD_ACTOR, () => ({ publicKeyPem: "pub" }) as unknown as KeyPair),
        "invalid",
      );
      await expectDomainError(keys.getOrCreate({ $ne: null } as never, keyPair), "invalid");
      expect(await keys.get(BOARD_ACTOR)).toBeNull();
    });
  });

  describe("federation: remote actors", () => {
    it("stores, finds by id, key id and domain (in any case), and deletes", async () => {
      const actors = store().federation.actors;
      const alice = remoteActor({ domain: "Remote.Example" });
      const bob = remoteActor({ id: "https://remote.example/users/bob", sharedInbox: null, iconUrl: null });
      const carol = remoteActor({ id: "https://other.example/carol", domain: "other.example" });
      for (const a of [bob, alice, carol]) await actors.upsert(a);
      const stored = { ...alice, domain: "remote.example" };
      expect(await actors.get(alice.id)).toEqual(stored);
      expect(await actors.getByKeyId(bob.keyId)).toEqual(bob);
      expect(await actors.get("https://remote.example/users/nobody")).toBeNull();
      expect(await actors.getByKeyId("https://remote.example/users/nobody#main-key")).toBeNull();
      expect(await actors.listByDomain("REMOTE.example")).toEqual([stored, bob]);
      expect(await actors.delete(bob.id)).toBe(true);
      expect(await actors.delete(bob.id)).toBe(false);
      expect((await actors.listByDomain("remote.example")).map((a) => a.id)).toEqual([alice.id]);
    });

    it("replaces every field on a new fetch, nulls included", async () => {
      const actors = store().federation.actors;
      await actors.upsert(remoteActor());
      const refetched = remoteActor({
        name: null,
        summary: null,
        sharedInbox: null,
        publicKeyPem: "rotated",
        fetchedAt: 2000,
        raw: "{}",
      });
      await actors.upsert(refetched);
      expect(await actors.get(refetched.id)).toEqual(refetched);
      expect(await actors.listByDomain("remote.example")).toHaveLength(1);
    });

    it("lets one actor hold a key id: a newer holder evicts the older", async () => {
      const actors = store().federation.actors;
      const old = remoteActor({ keyId: "https://remote.example/key" });
      const next = remoteActor({ id: "https://remote.example/users/moved", keyId: "https://remote.example/key" });
      await actors.upsert(old);
      await actors.upsert(next);
      expect(await actors.getByKeyId("https://remote.example/key")).toEqual(next);
      expect(await actors.get(old.id)).toBeNull();
    });

    it("refuses malformed actors and arguments", async () => {
      const actors = store().federation.actors;
      await expectDomainError(actors.upsert({ ...remoteActor(), inbox: undefined } as never), "invalid");
      await expectDomainError(actors.upsert({ ...remoteActor(), fetchedAt: "now" } as never), "invalid");
      await expectDomainError(actors.upsert(remoteActor({ domain: "" })), "invalid");
      await expectDomainError(actors.get({ $ne: null } as never), "invalid");
      await expectDomainError(actors.getByKeyId({ $gt: "" } as never), "invalid");
      await expectDomainError(actors.listByDomain({ $ne: null } as never), "invalid");
      expect(await actors.listByDomain("remote.example")).toEqual([]);
    });
  });
}
