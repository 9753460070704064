import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_BOARD_SETTINGS } from "../../server/domain/board.js";
import { DomainError } from "../../server/domain/errors.js";
import type { Store } from "../../server/domain/ports.js";
import { API_ACTOR, SESSION_TTL_MS, StaffService } from "../../server/services/staff.js";
import { openStore } from "../../storage/open.js";

describe("StaffService", () => {
  let dir: string;
  let store: Store;
  let now: number;
  const clock = () => now;
  const service = (adminToken: string | null = null) => new StaffService({ store, clock, adminToken });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "atoll-staff-"));
    store = await openStore({ dataDir: dir, mongodbUrl: null });
    now = Date.UTC(2025, 0, 1);
    await store.boards.create({
      uri: "b",
      title: "Random",
      description: "",
      createdAt: now,
      settings: { ...DEFAULT_BOARD_SETTINGS, allowedTypes: [...DEFAULT_BOARD_SETTINGS.allowedTypes] },
    });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("creates users with argon2id hashes and validates name, password, role and boards", async () => {
    const staff = service();
    const user = await staff.createUser("alice", "correct horse battery", "board_owner", ["b"]);
    expect(user).toEqual({ username: "alice", role: "board_owner", boards: ["b"], createdAt: now });
    const stored = await store.users.get("alice");
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored?.passwordHash).not.toContain("correct horse");

    const kind = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e instanceof DomainError ? e.kind : "crash"),
      );
    expect(await kind(staff.createUser("A", "long enough pw", "admin", []))).toBe("invalid");
    expect(await kind(staff.createUser("x", "long enough pw", "admin", []))).toBe("invalid");
    expect(await kind(staff.createUser("api", "long enough pw", "admin", []))).toBe("invalid");
    expect(await kind(staff.createUser("bob", "short", "admin", []))).toBe("invalid");
    expect(await kind(staff.createUser("bob", "long enough pw", "king" as never, []))).toBe("invalid");
    expect(await kind(staff.createUser("bob", "long enough pw", "board_volunteer", []))).toBe("invalid");
    expect(await kind(staff.createUser("bob", "long enough pw", "board_volunteer", ["nope"]))).toBe("invalid");
    expect(await kind(staff.createUser("alice", "long enough pw", "admin", []))).toBe("conflict");
    // Instance-wide roles carry no boards.
    expect((await staff.createUser("gm", "long enough pw", "global_mod", ["b"])).boards).toEqual([]);
  });

  it("logs in with the right password only", async () => {
    const staff = service();
    await staff.createUser("alice", "correct horse battery", "admin", []);
    expect((await staff.login("alice", "correct horse battery"))?.username).toBe("alice");
    expect(await staff.login("alice", "wrong password!")).toBeNull();
    expect(await staff.login("nobody", "correct horse battery")).toBeNull();
    expect(await staff.login("alice", "")).toBeNull();
  });

  it("keeps only hashes of session cookies and expires sessions after 12 hours", async () => {
    const staff = service();
    await staff.createUser("alice", "correct horse battery", "admin", []);
    const token = await staff.createSession("alice");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store.sessions.get(token, now)).toBeNull();
    expect((await staff.userForSession(token))?.username).toBe("alice");
    expect(await staff.userForSession("forged")).toBeNull();

    now += SESSION_TTL_MS + 1;
    expect(await staff.userForSession(token)).toBeNull();

    now = Date.UTC(2025, 0, 1);
    const second = await staff.createSession("alice");
    await staff.logout(second);
    expect(await staff.userForSession(second)).toBeNull();

    const third = await staff.createSession("alice");
    await staff.deleteUser("alice");
    expect(await staff.userForSession(third)).toBeNull();
  });

  it("mints API tokens shown once, and accepts them or ADMIN_TOKEN as bearer", async () => {
    const adminToken = "a".repeat(32);
    const staff = service(adminToken);
    const { id, token } = await staff.createToken("ci");
    expect(token).toMatch(/^atoll_[A-Za-z0-9_-]{43}$/);
    const listed = await staff.listTokens();
    expect(listed).toEqual([{ id, label: "ci", createdAt: now }]);
    expect(JSON.stringify(await store.tokens.list())).not.toContain(token);

    expect(await staff.verifyBearer(token)).toBe(true);
    expect(await staff.verifyBearer(adminToken)).toBe(true);
    expect(await staff.verifyBearer(`${adminToken}x`)).toBe(false);
    expect(await staff.verifyBearer("atoll_nope")).toBe(false);
    expect(await staff.verifyBearer("")).toBe(false);
    expect(await service(null).verifyBearer(adminToken)).toBe(false);

    await staff.deleteToken(id);
    expect(await staff.verifyBearer(token)).toBe(false);
    await expect(staff.deleteToken(id)).rejects.toMatchObject({ kind: "not_found" });
  });

  it("updates and deletes users", async () => {
    const staff = service();
    await staff.createUser("vol", "correct horse battery", "board_volunteer", ["b"]);
    const promoted = await staff.updateUser("vol", { role: "global_mod" });
    expect(promoted).toMatchObject({ role: "global_mod", boards: [] });
    await staff.updateUser("vol", { password: "another long password" });
    expect(await staff.login("vol", "correct horse battery")).toBeNull();
    expect(await staff.login("vol", "another long password")).not.toBeNull();
    expect((await staff.listUsers()).map((u) => u.username)).toEqual(["vol"]);
    expect(JSON.stringify(await staff.listUsers())).not.toContain("argon2");
    await staff.deleteUser("vol");
    await expect(staff.deleteUser("vol")).rejects.toMatchObject({ kind: "not_found" });
    await expect(staff.updateUser("vol", { role: "admin" })).rejects.toMatchObject({ kind: "not_found" });
  });

  it("describes the admin API caller as an admin named api", () => {
    expect(API_ACTOR).toEqual({ username: "api", role: "admin", boards: [] });
  });
});
