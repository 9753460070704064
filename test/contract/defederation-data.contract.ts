import { describe, expect, it } from "vitest";
import { expectDomainError, newBoard, newFile, newPost, ROOMY } from "./factories.js";
import { follow } from "./federation-factories.js";
import type { ContractContext } from "./store-contract.js";

/* What domain moderation reads from the stores to act on a remote domain's data. */

const C1 = "https://c.example/users/one";
const C2 = "https://sub.c.example/users/two";
const D = "https://d.example/users/dee";

export function describeDefederationDataContract({ store }: ContractContext): void {
  describe("defederation: posts by fediverse author", () => {
    it("lists the distinct remote authors, sorted, and none for local posts", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      expect(await s.posts.remoteAuthors()).toEqual([]);
      const op = await s.posts.createThread("b", newPost({ fediActor: D, ipHash: null, apId: `${D}/p/1` }), ROOMY);
      await s.posts.createReply("b", op.post.no, newPost({ fediActor: C1, ipHash: null }), ROOMY);
      await s.posts.createReply("b", op.post.no, newPost({ fediActor: C1, ipHash: null }), ROOMY);
      await s.posts.createReply("b", op.post.no, newPost({ comment: "local" }), ROOMY);
      await s.posts.createThread("b", newPost({ fediActor: C2, ipHash: null }), ROOMY);
      expect(await s.posts.remoteAuthors()).toEqual([C1, D, C2].sort());
    });

    it("lists every post of the given authors across boards, by board then number, with files", async () => {
      const s = store();
      await s.boards.create(newBoard("a"));
      await s.boards.create(newBoard("b"));
      const file = newFile();
      const t1 = await s.posts.createThread("b", newPost({ fediActor: C1, ipHash: null, file }), ROOMY);
      const r1 = await s.posts.createReply("b", t1.post.no, newPost({ comment: "local reply" }), ROOMY);
      const r2 = await s.posts.createReply("b", t1.post.no, newPost({ fediActor: C2, ipHash: null }), ROOMY);
      const t2 = await s.posts.createThread("a", newPost({ fediActor: C1, ipHash: null }), ROOMY);
      await s.posts.createThread("a", newPost({ fediActor: D, ipHash: null }), ROOMY);

      const got = await s.posts.listByAuthors([C2, C1, C1]);
      expect(got.map((p) => [p.board, p.no])).toEqual([
        ["a", t2.post.no],
        ["b", t1.post.no],
        ["b", r2.no],
      ]);
      expect(got[1]?.file).toEqual(file);
      expect(got.every((p) => p.fediActor === C1 || p.fediActor === C2)).toBe(true);
      expect(got.some((p) => p.no === r1.no && p.board === "b")).toBe(false);
      expect(await s.posts.listByAuthors([])).toEqual([]);
      expect(await s.posts.listByAuthors(["https://nobody.example/u"])).toEqual([]);
    });

    it("refuses malformed author lists", async () => {
      const s = store();
      await expectDomainError(s.posts.listByAuthors("x" as never), "invalid");
      await expectDomainError(s.posts.listByAuthors([{ $ne: "" } as never]), "invalid");
    });

    it("forgets the authors of deleted posts", async () => {
      const s = store();
      await s.boards.create(newBoard("b"));
      const t = await s.posts.createThread("b", newPost({ fediActor: C1, ipHash: null }), ROOMY);
      await s.posts.createReply("b", t.post.no, newPost({ fediActor: D, ipHash: null }), ROOMY);
      await s.posts.deletePost("b", t.post.no);
      expect(await s.posts.remoteAuthors()).toEqual([]);
      expect(await s.posts.listByAuthors([C1, D])).toEqual([]);
    });
  });

  describe("defederation: follows by domain and pending follows", () => {
    it("counts follows per remote domain, both directions and any state, sorted", async () => {
      const follows = store().federation.follows;
      expect(await follows.domains()).toEqual([]);
      await follows.add(follow({ actorId: "https://c.example/u1", domain: "c.example" }));
      await follows.add(follow({ actorId: "https://c.example/u2", domain: "c.example", state: "pending" }));
      await follows.add(
        follow({
          id: "https://atoll.example/b#follows/c",
          actorId: "https://atoll.example/b",
          objectId: "https://c.example/g",
          direction: "outbound",
          domain: "c.example",
        }),
      );
      await follows.add(follow({ actorId: "https://a.example/u", domain: "A.example", board: "z" }));
      expect(await follows.domains()).toEqual([
        { domain: "a.example", count: 1 },
        { domain: "c.example", count: 3 },
      ]);
      await follows.removeByDomain("c.example");
      expect(await follows.domains()).toEqual([{ domain: "a.example", count: 1 }]);
    });

    it("lists a board's pending inbound follows, oldest first, until they are accepted", async () => {
      const follows = store().federation.follows;
      const late = follow({
        actorId: "https://x.example/late",
        domain: "x.example",
        state: "pending",
        createdAt: 2000,
      });
      const early = follow({
        actorId: "https://x.example/early",
        domain: "x.example",
        state: "pending",
        createdAt: 1500,
      });
      await follows.add(late);
      await follows.add(early);
      await follows.add(follow({ actorId: "https://x.example/ok", domain: "x.example" }));
      await follows.add(
        follow({ actorId: "https://x.example/other", domain: "x.example", state: "pending", board: "c" }),
      );
      await follows.add(
        follow({
          id: "https://atoll.example/b#follows/g",
          actorId: "https://atoll.example/b",
          objectId: "https://x.example/g",
          direction: "outbound",
          state: "pending",
          domain: "x.example",
        }),
      );
      expect(await follows.pendingFollowersOf("b")).toEqual([early, late]);
      expect(await follows.followersOf("b")).toHaveLength(1);
      await follows.accept(early.actorId, early.objectId);
      expect(await follows.pendingFollowersOf("b")).toEqual([late]);
      expect(await follows.followersOf("b")).toHaveLength(2);
      await expectDomainError(follows.pendingFollowersOf({ $ne: "" } as never), "invalid");
    });
  });
}
