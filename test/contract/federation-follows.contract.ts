import { describe, expect, it } from "vitest";
import { expectDomainError, range } from "./factories.js";
import { BOARD_ACTOR, follow } from "./federation-factories.js";
import type { ContractContext } from "./store-contract.js";

/* Follows in both directions, and the delivery addresses they give a board. */

export function describeFederationFollowsContract({ store }: ContractContext): void {
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
}
