import { describe, expect, it } from "vitest";
import type { Ban, Report, StaffUser } from "../../server/domain/staff.js";
import { expectDomainError, range } from "./factories.js";
import type { ContractContext } from "./store-contract.js";

function ban(overrides: Partial<Ban>): Ban {
  return {
    id: "ban",
    ipHash: "ip-x",
    board: null,
    reason: "spam",
    createdAt: 1000,
    expiresAt: null,
    createdBy: "admin",
    postRef: "b/1",
    ...overrides,
  };
}

function report(overrides: Partial<Report>): Report {
  return {
    id: "rep",
    board: "b",
    postNo: 1,
    reason: "rule 1",
    createdAt: 1000,
    ipHash: "ip-r",
    resolved: false,
    ...overrides,
  };
}

function user(overrides: Partial<StaffUser>): StaffUser {
  return {
    username: "mod",
    passwordHash: "$argon2id$x",
    role: "board_owner",
    boards: ["b"],
    createdAt: 1000,
    ...overrides,
  };
}

export function describeStaffContract({ store }: ContractContext): void {
  describe("bans", () => {
    it("finds the global or board ban in force, not an expired one or another board's", async () => {
      const s = store();
      await s.bans.create(ban({ id: "board-b", board: "b", expiresAt: 5000 }));
      await s.bans.create(ban({ id: "old", expiresAt: 1500 }));
      await s.bans.create(ban({ id: "other-ip", ipHash: "ip-y", board: null }));
      expect((await s.bans.findActive("ip-x", "b", 2000))?.id).toBe("board-b");
      expect(await s.bans.findActive("ip-x", "c", 2000)).toBeNull();
      expect(await s.bans.findActive("ip-x", "b", 5000)).toBeNull();
      expect((await s.bans.findActive("ip-x", "b", 1000))?.id).toBe("board-b");
      expect(await s.bans.findActive("ip-z", "b", 0)).toBeNull();
      expect(await s.bans.findActive("ip-y", "anything", 9e15)).toEqual(ban({ id: "other-ip", ipHash: "ip-y" }));
    });

    it("prefers a permanent ban over a temporary one", async () => {
      const s = store();
      await s.bans.create(ban({ id: "temp", board: "b", expiresAt: 9000 }));
      await s.bans.create(ban({ id: "perm", board: null, expiresAt: null }));
      expect((await s.bans.findActive("ip-x", "b", 2000))?.id).toBe("perm");
    });

    it("lists newest first, refuses a duplicate id, deletes by id", async () => {
      const s = store();
      await s.bans.create(ban({ id: "a", createdAt: 1 }));
      await s.bans.create(ban({ id: "b", createdAt: 2 }));
      await expectDomainError(s.bans.create(ban({ id: "a" })), "conflict");
      await expectDomainError(s.bans.create(ban({ id: "c", expiresAt: 1.5 })), "invalid");
      expect((await s.bans.list()).map((b) => b.id)).toEqual(["b", "a"]);
      expect(await s.bans.delete("a")).toBe(true);
      expect(await s.bans.delete("a")).toBe(false);
      expect(await s.bans.list()).toEqual([ban({ id: "b", createdAt: 2 })]);
    });
  });

  describe("reports", () => {
    it("lists open reports newest first, optionally limited to boards", async () => {
      const s = store();
      await s.reports.create(report({ id: "1", board: "b", createdAt: 1 }));
      await s.reports.create(report({ id: "2", board: "c", createdAt: 2 }));
      await s.reports.create(report({ id: "3", board: "b", createdAt: 3 }));
      expect((await s.reports.listOpen(null)).map((r) => r.id)).toEqual(["3", "2", "1"]);
      expect((await s.reports.listOpen(["b"])).map((r) => r.id)).toEqual(["3", "1"]);
      expect(await s.reports.listOpen([])).toEqual([]);
      expect(await s.reports.get("2")).toEqual(report({ id: "2", board: "c", createdAt: 2 }));
      expect(await s.reports.get("9")).toBeNull();
      await expectDomainError(s.reports.create(report({ id: "1" })), "conflict");
    });

    it("keeps a report's category, and refuses one outside the set", async () => {
      const s = store();
      await s.reports.create(report({ id: "c1", category: "spam" }));
      await s.reports.create(report({ id: "c2" }));
      expect(await s.reports.get("c1")).toStrictEqual(report({ id: "c1", category: "spam" }));
      expect((await s.reports.get("c2"))?.category).toBeUndefined();
      expect((await s.reports.listOpen(null)).find((r) => r.id === "c1")?.category).toBe("spam");
      await expectDomainError(s.reports.create(report({ id: "c3", category: "rude" as never })), "invalid");
      expect(await s.reports.get("c3")).toBeNull();
    });

    it("resolves one report, or every open report on a post", async () => {
      const s = store();
      await s.reports.create(report({ id: "1", postNo: 5 }));
      await s.reports.create(report({ id: "2", postNo: 5 }));
      await s.reports.create(report({ id: "3", postNo: 6 }));
      await s.reports.create(report({ id: "4", postNo: 5, board: "c" }));
      expect(await s.reports.resolve("3")).toBe(true);
      expect(await s.reports.resolve("nope")).toBe(false);
      expect((await s.reports.get("3"))?.resolved).toBe(true);
      expect(await s.reports.resolveForPost("b", 5)).toBe(2);
      expect(await s.reports.resolveForPost("b", 5)).toBe(0);
      expect((await s.reports.listOpen(null)).map((r) => r.id)).toEqual(["4"]);
    });
  });

  describe("users", () => {
    it("creates, gets, lists and refuses a duplicate name", async () => {
      const s = store();
      await s.users.create(user({ username: "zed" }));
      await s.users.create(user({ username: "amy", role: "admin", boards: [] }));
      await expectDomainError(s.users.create(user({ username: "zed" })), "conflict");
      expect(await s.users.get("zed")).toEqual(user({ username: "zed" }));
      expect(await s.users.get("nobody")).toBeNull();
      expect((await s.users.list()).map((u) => u.username)).toEqual(["amy", "zed"]);
    });

    it("updates the given fields only", async () => {
      const s = store();
      await s.users.create(user({}));
      expect(await s.users.update("mod", { role: "board_volunteer", boards: ["b", "c"] })).toBe(true);
      expect(await s.users.get("mod")).toEqual(user({ role: "board_volunteer", boards: ["b", "c"] }));
      expect(await s.users.update("mod", { passwordHash: "new" })).toBe(true);
      expect((await s.users.get("mod"))?.passwordHash).toBe("new");
      expect(await s.users.update("mod", {})).toBe(true);
      expect(await s.users.update("nobody", { passwordHash: "x" })).toBe(false);
      await expectDomainError(s.users.update("mod", { role: "root" as never }), "invalid");
    });

    it("sets, keeps and clears a chosen public name", async () => {
      const s = store();
      await s.users.create(user({}));
      await s.users.create(user({ username: "named", publicName: "Janitor" }));
      expect(await s.users.get("named")).toEqual(user({ username: "named", publicName: "Janitor" }));
      expect(await s.users.update("mod", { publicName: "Board owner of /b/ (Kim)" })).toBe(true);
      expect(await s.users.update("mod", { boards: ["b", "c"] })).toBe(true);
      expect(await s.users.get("mod")).toEqual(user({ boards: ["b", "c"], publicName: "Board owner of /b/ (Kim)" }));
      expect((await s.users.list()).map((u) => u.publicName)).toEqual(["Board owner of /b/ (Kim)", "Janitor"]);
      expect(await s.users.update("mod", { publicName: null })).toBe(true);
      expect(await s.users.get("mod")).toEqual(user({ boards: ["b", "c"] }));
      expect(await s.users.update("nobody", { publicName: "x" })).toBe(false);
      await expectDomainError(s.users.update("mod", { publicName: 7 as never }), "invalid");
    });

    it("keeps a two-factor record, spends each step and recovery code once, and clears it", async () => {
      const s = store();
      const pending = { sealedSecret: "sealed", recoveryHashes: [], enabledAt: null, lastStep: 0 };
      await s.users.create(user({ totp: pending }));
      expect((await s.users.get("mod"))?.totp).toEqual(pending);
      // A pending enrolment spends nothing.
      expect(await s.users.useTotpStep("mod", 5)).toBe(false);
      const enabled = { sealedSecret: "sealed2", recoveryHashes: ["h1", "h2"], enabledAt: 2000, lastStep: 10 };
      expect(await s.users.update("mod", { totp: enabled })).toBe(true);
      expect(await s.users.update("mod", { boards: ["b", "c"] })).toBe(true);
      expect((await s.users.get("mod"))?.totp).toEqual(enabled);
      expect(await s.users.useTotpStep("mod", 10)).toBe(false);
      expect(await s.users.useTotpStep("mod", 11)).toBe(true);
      expect(await s.users.useTotpStep("mod", 11)).toBe(false);
      expect(await s.users.useRecoveryCode("mod", "h2")).toBe(true);
      expect(await s.users.useRecoveryCode("mod", "h2")).toBe(false);
      expect(await s.users.useRecoveryCode("mod", "nope")).toBe(false);
      expect(await s.users.useRecoveryCode("nobody", "h1")).toBe(false);
      expect((await s.users.get("mod"))?.totp).toEqual({ ...enabled, recoveryHashes: ["h1"], lastStep: 11 });
      expect(await s.users.update("mod", { totp: null })).toBe(true);
      expect(await s.users.get("mod")).toEqual(user({ boards: ["b", "c"] }));
      expect(await s.users.useRecoveryCode("mod", "h1")).toBe(false);
      await expectDomainError(s.users.update("mod", { totp: { sealedSecret: 1 } as never }), "invalid");
    });

    it("deletes a user and their sessions", async () => {
      const s = store();
      await s.users.create(user({}));
      await s.sessions.create({ idHash: "s1", username: "mod", createdAt: 0, expiresAt: 10_000 });
      expect(await s.users.delete("mod")).toBe(true);
      expect(await s.users.delete("mod")).toBe(false);
      expect(await s.users.get("mod")).toBeNull();
      expect(await s.sessions.get("s1", 1)).toBeNull();
    });
  });

  describe("sessions", () => {
    it("finds a session until it expires, deletes one or all expired", async () => {
      const s = store();
      const session = { idHash: "h1", username: "mod", createdAt: 100, expiresAt: 1000 };
      await s.sessions.create(session);
      await s.sessions.create({ idHash: "h2", username: "mod", createdAt: 100, expiresAt: 500 });
      await s.sessions.create({ idHash: "h3", username: "mod", createdAt: 100, expiresAt: 5000 });
      expect(await s.sessions.get("h1", 999)).toEqual(session);
      expect(await s.sessions.get("h1", 1000)).toBeNull();
      expect(await s.sessions.get("zz", 0)).toBeNull();
      expect(await s.sessions.deleteExpired(1000)).toBe(2);
      expect(await s.sessions.get("h3", 1000)).not.toBeNull();
      await s.sessions.delete("h3");
      expect(await s.sessions.get("h3", 1000)).toBeNull();
    });
  });

  describe("api tokens", () => {
    it("creates, finds by hash, lists, refuses a duplicate hash, deletes", async () => {
      const s = store();
      const t1 = { id: "t1", tokenHash: "hash1", label: "ci", createdAt: 1 };
      const t2 = { id: "t2", tokenHash: "hash2", label: "bot", createdAt: 2 };
      await s.tokens.create(t1);
      await s.tokens.create(t2);
      await expectDomainError(s.tokens.create({ ...t1, id: "t3" }), "conflict");
      expect(await s.tokens.findByHash("hash2")).toEqual(t2);
      expect(await s.tokens.findByHash("nope")).toBeNull();
      expect(await s.tokens.list()).toEqual([t1, t2]);
      expect(await s.tokens.delete("t1")).toBe(true);
      expect(await s.tokens.delete("t1")).toBe(false);
      expect(await s.tokens.findByHash("hash1")).toBeNull();
    });
  });

  describe("instance settings", () => {
    it("gets, sets and keeps the first value under setIfAbsent", async () => {
      const s = store();
      expect(await s.settings.get("k")).toBeNull();
      expect(await s.settings.setIfAbsent("k", "first")).toBe("first");
      expect(await s.settings.setIfAbsent("k", "second")).toBe("first");
      await s.settings.set("k", "third");
      expect(await s.settings.get("k")).toBe("third");
      await s.settings.set("new", "v");
      expect(await s.settings.get("new")).toBe("v");
    });

    it("agrees on one value when setIfAbsent races", async () => {
      const s = store();
      const values = await Promise.all(range(1, 20).map((i) => s.settings.setIfAbsent("secret", `value-${i}`)));
      const stored = await s.settings.get("secret");
      expect(stored).not.toBeNull();
      expect(new Set(values)).toEqual(new Set([stored]));
    });
  });
}
