import { describe, expect, it } from "vitest";
import type { SeveranceEvent, SeveredRelationship } from "../../server/domain/severance.js";
import type { ContractContext } from "./store-contract.js";

const event = (id: string, over: Partial<SeveranceEvent> = {}): SeveranceEvent => ({
  id,
  at: 1000,
  domain: "bad.example",
  severity: "suspend",
  publicReason: "spam",
  origin: "admin",
  followersLost: 1,
  followingLost: 1,
  ...over,
});

const rel = (eventId: string, over: Partial<SeveredRelationship> = {}): SeveredRelationship => ({
  eventId,
  board: "b",
  direction: "inbound",
  state: "accepted",
  remoteActor: "https://bad.example/users/a",
  domain: "bad.example",
  ...over,
});

/* What domain rules severed: events with their relationships, paged newest first, counted per domain. */

export function describeSeverancesContract({ store, reopen }: ContractContext): void {
  describe("severed relationships", () => {
    it("keeps an event with its relationships and reads them back in order", async () => {
      const s = store();
      const e = event("e1");
      const rels = [
        rel("e1", {
          board: "g",
          direction: "outbound",
          remoteActor: "https://sub.bad.example/c/x",
          domain: "sub.bad.example",
        }),
        rel("e1"),
      ];
      await s.defederation.severances.record(e, rels);
      expect(await s.defederation.severances.get("e1")).toEqual(e);
      expect(await s.defederation.severances.relationships("e1")).toEqual([rels[1], rels[0]]);
      expect(await s.defederation.severances.get("nope")).toBeNull();
      expect(await s.defederation.severances.relationships("nope")).toEqual([]);
    });

    it("pages newest first, by domain, and after an event id", async () => {
      const s = store();
      await s.defederation.severances.record(event("a", { at: 1000 }), []);
      await s.defederation.severances.record(event("b", { at: 3000, domain: "other.example" }), []);
      await s.defederation.severances.record(event("c", { at: 2000 }), []);
      await s.defederation.severances.record(event("d", { at: 2000 }), []);
      const ids = async (q: Parameters<typeof s.defederation.severances.list>[0]) =>
        (await s.defederation.severances.list(q)).map((e) => e.id);
      expect(await ids({ limit: 10 })).toEqual(["b", "d", "c", "a"]);
      expect(await ids({ limit: 2 })).toEqual(["b", "d"]);
      expect(await ids({ limit: 2, before: "d" })).toEqual(["c", "a"]);
      expect(await ids({ limit: 10, domain: "bad.example" })).toEqual(["d", "c", "a"]);
      expect(await ids({ limit: 10, domain: "bad.example", before: "c" })).toEqual(["a"]);
      expect(await ids({ limit: 10, before: "unknown" })).toEqual([]);
      expect(await ids({ limit: 0 })).toEqual([]);
    });

    it("counts the follows lost per domain, both directions, every event", async () => {
      const s = store();
      await s.defederation.severances.record(event("a", { followersLost: 2, followingLost: 1 }), []);
      await s.defederation.severances.record(event("b", { followersLost: 0, followingLost: 4 }), []);
      await s.defederation.severances.record(
        event("c", { domain: "alpha.example", followersLost: 1, followingLost: 0 }),
        [],
      );
      expect(await s.defederation.severances.lostByDomain()).toEqual([
        { domain: "alpha.example", follows: 1 },
        { domain: "bad.example", follows: 7 },
      ]);
    });

    it("refuses a second event with an id and bad values, writing nothing", async () => {
      const s = store();
      await s.defederation.severances.record(event("a"), [rel("a")]);
      await expect(s.defederation.severances.record(event("a"), [])).rejects.toMatchObject({ kind: "conflict" });
      await expect(
        s.defederation.severances.record(event("x", { origin: "nobody" as never }), []),
      ).rejects.toMatchObject({ kind: "invalid" });
      await expect(
        s.defederation.severances.record(event("y"), [rel("y", { direction: "sideways" as never })]),
      ).rejects.toMatchObject({ kind: "invalid" });
      await expect(s.defederation.severances.record(event("z"), [rel("other")])).rejects.toMatchObject({
        kind: "invalid",
      });
      expect((await s.defederation.severances.list({ limit: 10 })).map((e) => e.id)).toEqual(["a"]);
    });

    it.skipIf(reopen === null)("survives closing and reopening", async () => {
      const s = store();
      await s.defederation.severances.record(event("a"), [rel("a")]);
      const again = await reopen!();
      expect(await again.defederation.severances.get("a")).toEqual(event("a"));
      expect(await again.defederation.severances.relationships("a")).toEqual([rel("a")]);
    });
  });
}
