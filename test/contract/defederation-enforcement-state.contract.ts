import { describe, expect, it } from "vitest";
import type { HeldActivity } from "../../server/domain/defederation-ports.js";
import { expectDomainError } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

/* What enforcing the rules leaves to do later: purges of suspended domains and activities held for review. */

export function describeDomainEnforcementStateContract({ store }: ContractContext): void {
  describe("domain purges", () => {
    it("schedules, moves, cancels and finishes purges", async () => {
      const purges = store().defederation.purges;
      expect(await purges.due(Number.MAX_SAFE_INTEGER)).toEqual([]);
      await purges.schedule("b.example", 2000);
      await purges.schedule("a.example", 3000);
      await purges.schedule("c.example", 2000);
      expect(await purges.due(1999)).toEqual([]);
      expect(await purges.due(2000)).toEqual(["b.example", "c.example"]);
      expect(await purges.due(5000)).toEqual(["b.example", "c.example", "a.example"]);

      // scheduling again moves the time
      await purges.schedule("b.example", 9000);
      expect(await purges.due(5000)).toEqual(["c.example", "a.example"]);

      expect(await purges.cancel("a.example")).toBe(true);
      expect(await purges.cancel("a.example")).toBe(false);
      await purges.done("c.example");
      await purges.done("never.example");
      expect(await purges.due(5000)).toEqual([]);
      expect(await purges.due(9000)).toEqual(["b.example"]);

      await expectDomainError(purges.schedule({ $ne: null } as never, 1), "invalid");
      await expectDomainError(purges.schedule("x.example", "soon" as never), "invalid");
      await expectDomainError(purges.due("now" as never), "invalid");
    });
  });

  describe("held activities", () => {
    const held = (id: string, over: Partial<HeldActivity> = {}): HeldActivity => ({
      id: `https://quiet.example/activities/${id}`,
      board: "b",
      domain: "quiet.example",
      actorId: "https://quiet.example/users/a",
      activity: JSON.stringify({ id, type: "Create" }),
      receivedAt: 1000,
      reason: "silenced",
      ...over,
    });

    it("holds an activity once, lists oldest first by board, and releases it", async () => {
      const h = store().defederation.held;
      expect(await h.add(held("1", { receivedAt: 2000 }))).toBe(true);
      expect(await h.add(held("1", { receivedAt: 9000 }))).toBe(false);
      expect(await h.add(held("2", { receivedAt: 1000 }))).toBe(true);
      expect(await h.add(held("3", { board: "c" }))).toBe(true);
      expect((await h.list("b")).map((x) => x.id)).toEqual([held("2").id, held("1").id]);
      expect(await h.list()).toHaveLength(3);
      expect(await h.get(held("1").id)).toEqual(held("1", { receivedAt: 2000 }));
      expect(await h.remove(held("1").id)).toBe(true);
      expect(await h.remove(held("1").id)).toBe(false);
      expect(await h.get(held("1").id)).toBeNull();
    });

    it("keeps why an activity is held, silenced when the caller does not say", async () => {
      const h = store().defederation.held;
      await h.add(held("p", { reason: "probation" }));
      const { reason: _, ...unsaid } = held("s");
      await h.add(unsaid);
      expect((await h.get(held("p").id))?.reason).toBe("probation");
      expect((await h.get(held("s").id))?.reason).toBe("silenced");
      await h.add(held("f", { reason: 'Word filter "x"' }));
      expect((await h.get(held("f").id))?.reason).toBe('Word filter "x"');
      await expectDomainError(h.add(held("x", { reason: 7 as never })), "invalid");
    });

    it("drops a domain's held activities, and refuses malformed input", async () => {
      const h = store().defederation.held;
      await h.add(held("1"));
      await h.add(held("2", { domain: "other.example" }));
      expect(await h.removeByDomain("quiet.example")).toBe(1);
      expect((await h.list()).map((x) => x.domain)).toEqual(["other.example"]);
      await expectDomainError(h.add({ ...held("3"), activity: 42 as never }), "invalid");
      await expectDomainError(h.get({ $ne: null } as never), "invalid");
    });
  });
}
