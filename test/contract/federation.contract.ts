import { describe, expect, it } from "vitest";
import {
  type Follow,
  type KeyPair,
  MAX_SOFTWARE_FIELD_LENGTH,
  type RemoteActor,
} from "../../server/domain/federation-ports.js";
import { MAX_ERROR_LENGTH } from "../../storage/common/federation.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

const BOARD_ACTOR = "https://atoll.example/b";

export function remoteActor(overrides: Partial<RemoteActor> = {}): RemoteActor {
  const id = overrides.id ?? "https://remote.example/users/alice";
  return {
    id,
    type: "Person",
    inbox: `${id}/inbox`,
    sharedInbox: "https://remote.example/inbox",
    preferredUsername: "alice",
    name: "Alice",
    summary: "<p>hi</p>",
    url: "https://remote.example/@alice",
    iconUrl: "https://remote.example/avatar.png",
    followers: `${id}/followers`,
    keyId: `${id}#main-key`,
    publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
    domain: "remote.example",
    fetchedAt: 1000,
    raw: JSON.stringify({ id, type: "Person" }),
    ...overrides,
  };
}

/** An accepted inbound follow of /b/ by `actor`, delivered to `sharedInbox` when given. */
export function follow(overrides: Partial<Follow> = {}): Follow {
  const actorId = overrides.actorId ?? "https://remote.example/users/alice";
  return {
    id: `${actorId}#follows/1`,
    actorId,
    objectId: BOARD_ACTOR,
    board: "b",
    direction: "inbound",
    state: "accepted",
    inbox: `${actorId}/inbox`,
    sharedInbox: null,
    domain: "remote.example",
    createdAt: 1000,
    ...overrides,
  };
}

let keySeq = 0;
function keyPair(): KeyPair {
  keySeq++;
  return { publicKeyPem: `public-${keySeq}`, privateKeyPem: `private-${keySeq}` };
}

export function describeFederationContract({ store, reopen }: ContractContext): void {
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

  describe("federation: follows", () => {
    it("adds a follow once: a repeat refreshes its addresses and keeps the rest", async () => {
      const follows = store().federation.follows;
      const first = follow({ state: "pending" });
      expect(await follows.add(first)).toEqual({ follow: first, created: true });
      const repeat = follow({
        id: "https://remote.example/follows/2",
        inbox: "https://remote.example/new-inbox",
        sharedInbox: "https://remote.example/inbox",
        createdAt: 9000,
      });
      const moved = { ...first, inbox: repeat.inbox, sharedInbox: repeat.sharedInbox };
      expect(await follows.add(repeat)).toEqual({ follow: moved, created: false });
      expect(await follows.get(first.actorId, first.objectId)).toEqual(moved);
      expect(await follows.getById(first.id)).toEqual(moved);
      expect(await follows.getById(repeat.id)).toBeNull();
      expect(await follows.get(first.objectId, first.actorId)).toBeNull();
    });

    it("agrees on one follow when the same pair is added concurrently", async () => {
      const follows = store().federation.follows;
      const results = await Promise.all(range(1, 10).map(() => follows.add(follow())));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await follows.countFollowers("b")).toBe(1);
    });

    it("refuses an activity id another pair holds, and malformed follows", async () => {
      const follows = store().federation.follows;
      await follows.add(follow());
      const other = follow({ actorId: "https://remote.example/users/bob" });
      await expectDomainError(follows.add({ ...other, id: follow().id }), "conflict");
      await expectDomainError(follows.add(follow({ direction: "sideways" as never })), "invalid");
      await expectDomainError(follows.add(follow({ state: { $ne: "" } as never })), "invalid");
      await expectDomainError(follows.add(follow({ domain: 7 as never })), "invalid");
      await expectDomainError(follows.get({ $ne: null } as never, BOARD_ACTOR), "invalid");
      expect(await follows.get(other.actorId, BOARD_ACTOR)).toBeNull();
      expect(await follows.countFollowers("b")).toBe(1);
    });

    it("counts accepted inbound follows as followers, and outbound ones as following", async () => {
      const follows = store().federation.follows;
      const alice = follow({ createdAt: 2 });
      const bob = follow({ actorId: "https://remote.example/users/bob", state: "pending", createdAt: 1 });
      const group = "https://peer.example/c/b";
      const out = follow({
        id: `${BOARD_ACTOR}#follows/1`,
        actorId: BOARD_ACTOR,
        objectId: group,
        direction: "outbound",
        state: "pending",
        inbox: `${group}/inbox`,
        domain: "peer.example",
      });
      for (const f of [alice, bob, out]) await follows.add(f);
      expect(await follows.followersOf("b")).toEqual([alice]);
      expect(await follows.countFollowers("b")).toBe(1);
      expect(await follows.followingOf("b")).toEqual([out]);

      const accepted = await follows.accept(bob.actorId, BOARD_ACTOR);
      expect(accepted).toEqual({ ...bob, state: "accepted" });
      expect(await follows.accept(bob.actorId, BOARD_ACTOR)).toEqual(accepted);
      expect(await follows.accept("https://remote.example/users/nobody", BOARD_ACTOR)).toBeNull();
      expect((await follows.followersOf("b")).map((f) => f.actorId)).toEqual([bob.actorId, alice.actorId]);
      expect(await follows.countFollowers("b")).toBe(2);
      await follows.accept(BOARD_ACTOR, group);
      expect(await follows.followingOf("b")).toEqual([{ ...out, state: "accepted" }]);
      expect(await follows.countFollowers("b")).toBe(2);
      expect(await follows.followersOf("c")).toEqual([]);

      expect(await follows.remove(alice.actorId, BOARD_ACTOR)).toBe(true);
      expect(await follows.remove(alice.actorId, BOARD_ACTOR)).toBe(false);
      expect(await follows.countFollowers("b")).toBe(1);
    });

    it("delivers a board's activities once per shared inbox, else to each inbox", async () => {
      const follows = store().federation.follows;
      const shared = "https://big.example/inbox";
      for (const name of ["a", "b", "c"]) {
        await follows.add(
          follow({ actorId: `https://big.example/users/${name}`, sharedInbox: shared, domain: "big.example" }),
        );
      }
      await follows.add(follow({ actorId: "https://small.example/u", domain: "small.example" }));
      await follows.add(follow({ actorId: "https://tiny.example/u", inbox: shared, domain: "tiny.example" }));
      // not delivered to: a pending follower, another board's follower, and the board's own follow
      await follows.add(
        follow({
          actorId: "https://pending.example/u",
          sharedInbox: "https://pending.example/inbox",
          state: "pending",
        }),
      );
      await follows.add(
        follow({ actorId: "https://elsewhere.example/u", objectId: "https://atoll.example/c", board: "c" }),
      );
      await follows.add(
        follow({
          id: `${BOARD_ACTOR}#follows/9`,
          actorId: BOARD_ACTOR,
          objectId: "https://peer.example/g",
          direction: "outbound",
          inbox: "https://peer.example/g/inbox",
        }),
      );
      expect(await follows.inboxesForBoard("b")).toEqual([shared, "https://small.example/u/inbox"]);
      expect(await follows.inboxesForBoard("c")).toEqual(["https://elsewhere.example/u/inbox"]);
      expect(await follows.inboxesForBoard("z")).toEqual([]);
    });

    it("answers the delivery addresses after every kind of change at once", async () => {
      const follows = store().federation.follows;
      const a = follow({ actorId: "https://one.example/a", domain: "one.example" });
      expect(await follows.inboxesForBoard("b")).toEqual([]);
      await follows.add(a);
      expect(await follows.inboxesForBoard("b")).toEqual([a.inbox]);
      // an actor moving to a shared inbox
      await follows.add({ ...a, sharedInbox: "https://one.example/inbox" });
      expect(await follows.inboxesForBoard("b")).toEqual(["https://one.example/inbox"]);
      const p = follow({ actorId: "https://two.example/p", domain: "two.example", state: "pending" });
      await follows.add(p);
      expect(await follows.inboxesForBoard("b")).toEqual(["https://one.example/inbox"]);
      await follows.accept(p.actorId, p.objectId);
      expect(await follows.inboxesForBoard("b")).toEqual(["https://one.example/inbox", p.inbox]);
      await follows.remove(p.actorId, p.objectId);
      expect(await follows.inboxesForBoard("b")).toEqual(["https://one.example/inbox"]);
      await follows.add(p);
      await follows.accept(p.actorId, p.objectId);
      expect(await follows.removeByDomain("one.example")).toBe(1);
      expect(await follows.inboxesForBoard("b")).toEqual([p.inbox]);
      expect(await follows.removeByBoard("b")).toBe(1);
      expect(await follows.inboxesForBoard("b")).toEqual([]);
    });

    it("removes a domain's follows in both directions, or a board's", async () => {
      const follows = store().federation.follows;
      await follows.add(follow({ actorId: "https://gone.example/u1", domain: "gone.example" }));
      await follows.add(follow({ actorId: "https://gone.example/u2", domain: "gone.example", board: "c" }));
      await follows.add(
        follow({
          id: `${BOARD_ACTOR}#follows/1`,
          actorId: BOARD_ACTOR,
          objectId: "https://gone.example/g",
          direction: "outbound",
          domain: "gone.example",
        }),
      );
      const kept = follow({ actorId: "https://kept.example/u", domain: "kept.example" });
      await follows.add(kept);
      expect(await follows.removeByDomain("GONE.example")).toBe(3);
      expect(await follows.removeByDomain("gone.example")).toBe(0);
      expect(await follows.followersOf("b")).toEqual([kept]);
      expect(await follows.followingOf("b")).toEqual([]);
      await expectDomainError(follows.removeByDomain({ $ne: "" } as never), "invalid");

      await follows.add(follow({ actorId: "https://kept.example/u2", domain: "kept.example", board: "c" }));
      expect(await follows.removeByBoard("b")).toBe(1);
      expect(await follows.followersOf("b")).toEqual([]);
      expect(await follows.countFollowers("c")).toBe(1);
    });
  });

  describe("federation: inbox dedupe", () => {
    it("reports a repeat within the window, and forgets the id once it expires", async () => {
      const dedupe = store().federation.inboxDedupe;
      const id = "https://remote.example/activities/1";
      expect(await dedupe.seen(id, 1000, 500)).toBe(false);
      expect(await dedupe.seen(id, 1200, 500)).toBe(true);
      // the repeat did not extend the window: it still ends at 1500
      expect(await dedupe.seen(id, 1499, 500)).toBe(true);
      expect(await dedupe.seen(id, 1500, 500)).toBe(false);
      // seen anew at 1500, so in force until 2000
      expect(await dedupe.seen(id, 1999, 500)).toBe(true);
      expect(await dedupe.seen("https://remote.example/activities/2", 1999, 500)).toBe(false);
    });

    it("lets exactly one of 20 racing first sightings through", async () => {
      const dedupe = store().federation.inboxDedupe;
      const results = await Promise.all(
        range(1, 20).map(() => dedupe.seen("https://remote.example/a/x", 1000, 60_000)),
      );
      expect(results.filter((r) => !r)).toHaveLength(1);
    });

    it("tells whether an id is recorded without recording it", async () => {
      const dedupe = store().federation.inboxDedupe;
      const id = "https://remote.example/activities/has";
      expect(await dedupe.has(id, 1000)).toBe(false);
      // asking recorded nothing: the first sighting is still the first
      expect(await dedupe.seen(id, 1000, 500)).toBe(false);
      expect(await dedupe.has(id, 1499)).toBe(true);
      expect(await dedupe.has(id, 1500)).toBe(false);
      await expectDomainError(dedupe.has({ $ne: null } as never, 1), "invalid");
    });

    it("prunes only expired ids", async () => {
      const dedupe = store().federation.inboxDedupe;
      await dedupe.seen("old", 1000, 100);
      await dedupe.seen("older", 900, 100);
      await dedupe.seen("fresh", 1000, 10_000);
      expect(await dedupe.prune(1100)).toBe(2);
      expect(await dedupe.prune(1100)).toBe(0);
      expect(await dedupe.seen("fresh", 1100, 10_000)).toBe(true);
      expect(await dedupe.seen("old", 1100, 100)).toBe(false);
      await expectDomainError(dedupe.seen({ $ne: null } as never, 1, 1), "invalid");
      await expectDomainError(dedupe.seen("x", 1, -1), "invalid");
    });
  });

  describe("federation: domain health", () => {
    it("counts a run of failures from its first, and a success ends it", async () => {
      const domains = store().federation.domains;
      expect(await domains.get("dead.example")).toBeNull();
      expect(await domains.recordFailure("dead.example", 1000)).toEqual({
        consecutiveFailures: 1,
        firstFailureAt: 1000,
      });
      expect(await domains.recordFailure("Dead.Example", 2000)).toEqual({
        consecutiveFailures: 2,
        firstFailureAt: 1000,
      });
      expect(await domains.get("DEAD.example")).toEqual({
        domain: "dead.example",
        consecutiveFailures: 2,
        firstFailureAt: 1000,
        lastFailureAt: 2000,
        lastSuccessAt: null,
        nextProbeAt: null,
      });
      await domains.recordSuccess("dead.example", 3000);
      expect(await domains.get("dead.example")).toEqual({
        domain: "dead.example",
        consecutiveFailures: 0,
        firstFailureAt: null,
        lastFailureAt: 2000,
        lastSuccessAt: 3000,
        nextProbeAt: null,
      });
      expect(await domains.recordFailure("dead.example", 4000)).toEqual({
        consecutiveFailures: 1,
        firstFailureAt: 4000,
      });
      await domains.recordSuccess("alive.example", 500);
      expect(await domains.list()).toEqual([
        {
          domain: "alive.example",
          consecutiveFailures: 0,
          firstFailureAt: null,
          lastFailureAt: null,
          lastSuccessAt: 500,
          nextProbeAt: null,
        },
        {
          domain: "dead.example",
          consecutiveFailures: 1,
          firstFailureAt: 4000,
          lastFailureAt: 4000,
          lastSuccessAt: 3000,
          nextProbeAt: null,
        },
      ]);
    });

    it("counts every one of 20 concurrent failures", async () => {
      const domains = store().federation.domains;
      const runs = await Promise.all(range(1, 20).map((i) => domains.recordFailure("slow.example", 1000 + i)));
      expect(runs.map((r) => r.consecutiveFailures).sort((a, b) => a - b)).toEqual(range(1, 20));
      expect((await domains.get("slow.example"))?.consecutiveFailures).toBe(20);
      await expectDomainError(domains.recordFailure("x.example", 1.5), "invalid");
      await expectDomainError(domains.get({ $ne: null } as never), "invalid");
    });
  });

  describe("federation: instance software", () => {
    it("records what a domain runs, in lower case, and keeps it through a failed lookup", async () => {
      const instances = store().federation.instances;
      expect(await instances.get("lemmy.example")).toBeNull();
      expect(await instances.recordSoftware("Lemmy.Example", " Lemmy ", "0.19.3", 1000)).toEqual({
        domain: "lemmy.example",
        software: "lemmy",
        version: "0.19.3",
        fetchedAt: 1000,
        lastError: null,
      });
      // the peer's NodeInfo is down for a while: when and why are recorded, the software stays
      expect(await instances.recordFailure("lemmy.example", "answered 502", 2000)).toEqual({
        domain: "lemmy.example",
        software: "lemmy",
        version: "0.19.3",
        fetchedAt: 2000,
        lastError: "answered 502",
      });
      // a failure on a domain never learnt records no software
      expect(await instances.recordFailure("Quiet.Example", "answered 404", 3000)).toEqual({
        domain: "quiet.example",
        software: null,
        version: null,
        fetchedAt: 3000,
        lastError: "answered 404",
      });
      // a later success replaces everything and clears the error
      expect(await instances.recordSoftware("quiet.example", "mastodon", null, 4000)).toEqual({
        domain: "quiet.example",
        software: "mastodon",
        version: null,
        fetchedAt: 4000,
        lastError: null,
      });
      expect(await instances.get("QUIET.example")).toEqual(await instances.get("quiet.example"));
      expect((await instances.list()).map((i) => i.domain)).toEqual(["lemmy.example", "quiet.example"]);
      expect(await instances.delete("Lemmy.example")).toBe(true);
      expect(await instances.delete("lemmy.example")).toBe(false);
      expect(await instances.get("lemmy.example")).toBeNull();
    });

    it("reads many domains at once: those recorded, each once, in any case", async () => {
      const instances = store().federation.instances;
      for (const [i, d] of ["c.example", "a.example", "b.example"].entries()) {
        await instances.recordSoftware(d, `soft-${d[0]}`, null, 1000 + i);
      }
      const got = await instances.getMany(["B.example", "a.example", "nowhere.example", "b.example"]);
      expect(got.map((i) => [i.domain, i.software]).sort()).toEqual([
        ["a.example", "soft-a"],
        ["b.example", "soft-b"],
      ]);
      expect(await instances.getMany([])).toEqual([]);
      const many = range(1, 300).map((i) => `host${i}.example`);
      for (const d of many.slice(0, 5)) await instances.recordFailure(d, "timeout", 5000);
      expect(await instances.getMany(many)).toHaveLength(5);
    });

    it("cuts long names, versions and errors, and refuses malformed arguments", async () => {
      const instances = store().federation.instances;
      const long = await instances.recordSoftware("long.example", "x".repeat(500), "1".repeat(500), 1000);
      expect(long.software).toHaveLength(MAX_SOFTWARE_FIELD_LENGTH);
      expect(long.version).toHaveLength(MAX_SOFTWARE_FIELD_LENGTH);
      expect((await instances.recordFailure("long.example", "e".repeat(10_000), 2000)).lastError).toHaveLength(
        MAX_ERROR_LENGTH,
      );
      await expectDomainError(instances.get({ $ne: "" } as never), "invalid");
      await expectDomainError(instances.get(""), "invalid");
      await expectDomainError(instances.getMany("a.example" as never), "invalid");
      await expectDomainError(instances.getMany([{ $gt: "" }] as never), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", "  ", null, 1000), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", { $set: 1 } as never, null, 1000), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", "lemmy", 3 as never, 1000), "invalid");
      await expectDomainError(instances.recordSoftware("x.example", "lemmy", null, 1.5), "invalid");
      await expectDomainError(instances.recordFailure("x.example", null as never, 1000), "invalid");
      await expectDomainError(instances.delete([] as never), "invalid");
      expect(await instances.get("x.example")).toBeNull();
    });

    it("keeps one record when 20 lookups of a new domain finish together", async () => {
      const instances = store().federation.instances;
      await Promise.all(
        range(1, 20).map((i) =>
          i % 2
            ? instances.recordFailure("busy.example", `e${i}`, 1000 + i)
            : instances.recordSoftware("busy.example", "mbin", null, 1000 + i),
        ),
      );
      const all = await instances.list();
      expect(all).toHaveLength(1);
      expect(all[0]?.domain).toBe("busy.example");
    });
  });

  describe("federation: remote post index", () => {
    it("maps object ids to local posts one to one", async () => {
      const index = store().federation.remotePosts;
      const ref = { apId: "https://peer.example/b/thread/7", board: "b", no: 12 };
      await index.put(ref);
      await index.put({ ...ref });
      expect(await index.get(ref.apId)).toEqual(ref);
      expect(await index.byBoardAndNo("b", 12)).toEqual(ref);
      expect(await index.byBoardAndNo("b", 13)).toBeNull();
      await expectDomainError(index.put({ ...ref, no: 13 }), "conflict");
      await expectDomainError(index.put({ ...ref, apId: "https://peer.example/other" }), "conflict");
      await expectDomainError(index.put({ ...ref, no: "12" as never }), "invalid");
      await expectDomainError(index.get({ $ne: null } as never), "invalid");
      expect(await index.delete(ref.apId)).toBe(true);
      expect(await index.delete(ref.apId)).toBe(false);
      expect(await index.get(ref.apId)).toBeNull();
      await index.put({ ...ref, no: 13 });
      await index.put({ apId: "https://peer.example/x", board: "c", no: 1 });
      expect(await index.deleteByBoard("b")).toBe(1);
      expect(await index.byBoardAndNo("c", 1)).not.toBeNull();
    });
  });

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
      await s.federation.domains.recordFailure("remote.example", 1000);
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
      expect((await again.federation.domains.get("remote.example"))?.consecutiveFailures).toBe(1);
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
