import { describe, expect, it } from "vitest";
import type { Appeal } from "../../server/domain/appeal.js";
import type { Report } from "../../server/domain/staff.js";
import { expectDomainError } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

function appeal(overrides: Partial<Appeal>): Appeal {
  return {
    id: "ap",
    banId: "ban",
    board: "b",
    ipHash: "ip-x",
    banReason: "spam",
    text: "It was not me.",
    status: "open",
    createdAt: 1000,
    decidedAt: null,
    decisionReason: null,
    decidedBy: null,
    ...overrides,
  };
}

function report(overrides: Partial<Report>): Report {
  return { id: "rep", board: "b", postNo: 1, reason: "r", createdAt: 1, ipHash: null, resolved: false, ...overrides };
}

export function describeAppealsContract({ store }: ContractContext): void {
  describe("appeals", () => {
    it("keeps one appeal per ban, found by id and by ban", async () => {
      const s = store();
      await s.appeals.create(appeal({ id: "1", banId: "ban-1" }));
      await expectDomainError(s.appeals.create(appeal({ id: "2", banId: "ban-1" })), "conflict");
      await expectDomainError(s.appeals.create(appeal({ id: "1", banId: "ban-2" })), "conflict");
      expect(await s.appeals.get("1")).toEqual(appeal({ id: "1", banId: "ban-1" }));
      expect((await s.appeals.forBan("ban-1"))?.id).toBe("1");
      expect(await s.appeals.forBan("ban-2")).toBeNull();
      expect(await s.appeals.get("2")).toBeNull();
    });

    it("lists newest first, open only or all, limited to boards", async () => {
      const s = store();
      await s.appeals.create(appeal({ id: "a", banId: "1", board: "b", createdAt: 1 }));
      await s.appeals.create(appeal({ id: "c", banId: "2", board: null, createdAt: 2 }));
      await s.appeals.create(appeal({ id: "b", banId: "3", board: "c", createdAt: 3 }));
      await s.appeals.decide("b", { status: "rejected", reason: "no", by: "mod", at: 4 });
      const ids = (xs: Appeal[]) => xs.map((x) => x.id);
      expect(ids(await s.appeals.list({ openOnly: false, boards: null, limit: 10 }))).toEqual(["b", "c", "a"]);
      expect(ids(await s.appeals.list({ openOnly: true, boards: null, limit: 10 }))).toEqual(["c", "a"]);
      expect(ids(await s.appeals.list({ openOnly: false, boards: ["b", "c"], limit: 10 }))).toEqual(["b", "a"]);
      expect(ids(await s.appeals.list({ openOnly: false, boards: [], limit: 10 }))).toEqual([]);
      expect(ids(await s.appeals.list({ openOnly: false, boards: null, limit: 2 }))).toEqual(["b", "c"]);
    });

    it("answers an open appeal once", async () => {
      const s = store();
      await s.appeals.create(appeal({ id: "1" }));
      const done = await s.appeals.decide("1", { status: "accepted", reason: "Fair.", by: "mod", at: 2000 });
      expect(done).toEqual(
        appeal({ id: "1", status: "accepted", decidedAt: 2000, decisionReason: "Fair.", decidedBy: "mod" }),
      );
      expect(await s.appeals.decide("1", { status: "rejected", reason: "No.", by: "x", at: 3000 })).toBeNull();
      expect(await s.appeals.decide("nope", { status: "rejected", reason: "No.", by: "x", at: 3000 })).toBeNull();
      expect((await s.appeals.get("1"))?.decisionReason).toBe("Fair.");
    });
  });

  describe("report origins", () => {
    it("keeps a report's origin and the Flag to answer, and leaves them absent on a reader's report", async () => {
      const s = store();
      const flag = {
        id: "https://lemmy.test/activities/flag/1",
        actor: "https://lemmy.test/u/alice",
        to: ["https://atoll.test/b"],
        object: "https://atoll.test/b/thread/1",
        summary: "spam",
      };
      await s.reports.create(report({ id: "remote", origin: "lemmy.test", flag }));
      await s.reports.create(report({ id: "local", ipHash: "ip" }));
      expect(await s.reports.get("remote")).toEqual(report({ id: "remote", origin: "lemmy.test", flag }));
      const local = await s.reports.get("local");
      expect(local).toEqual(report({ id: "local", ipHash: "ip" }));
      expect(local && "origin" in local).toBe(false);
    });
  });
}
