import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CliIO, runCli } from "../../server/cli/main.js";
import { StaffService } from "../../server/services/staff.js";
import { openStore } from "../../storage/open.js";

describe("atoll command line", () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-cli-"));
    // The store exists, as it does once the server has run on DATA_DIR.
    await (await openStore({ dataDir, mongodbUrl: null })).close();
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function atoll(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s), env: { DATA_DIR: dataDir } });
    return { code, out: out.join(""), err: err.join("") };
  }

  it("prints help", async () => {
    for (const argv of [["--help"], ["help"], ["-h"]]) {
      const r = await atoll(...argv);
      expect(r.code).toBe(0);
      expect(r.out).toContain("Usage: atoll <command>");
      expect(r.out).toContain("board create");
      expect(r.out).toContain("user create");
      expect(r.out).toContain("token create");
    }
    const group = await atoll("board", "--help");
    expect(group.code).toBe(0);
    expect(group.out).toContain("atoll board delete <uri> --yes");
    const sub = await atoll("user", "create", "--help");
    expect(sub.code).toBe(0);
    expect(sub.out).toContain("--role");
    expect(sub.out).toContain("board_volunteer");
    expect((await atoll("help", "token")).out).toContain("atoll token create");
  });

  it("exits 2 with a message on bad usage", async () => {
    const cases: string[][] = [
      [],
      ["frobnicate"],
      ["board"],
      ["board", "explode"],
      ["board", "create"],
      ["board", "create", "tech"],
      ["board", "create", "tech", "--title", "T", "--sfw", "--nsfw"],
      ["board", "create", "tech", "--title", "T", "--colour", "red"],
      ["board", "list", "extra"],
      ["board", "delete", "tech"],
      ["user", "create", "alice"],
      ["user", "create", "alice", "--role", "emperor"],
      ["user", "create", "alice", "--role", "board_owner"],
    ];
    for (const argv of cases) {
      const r = await atoll(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err, argv.join(" ")).toMatch(/atoll: .+/);
      expect(r.err).toContain("--help");
    }
  });

  it("creates, lists and deletes boards", async () => {
    const created = await atoll(
      "board",
      "create",
      "tech",
      "--title",
      "Technology",
      "--description",
      "Computers",
      "--nsfw",
    );
    expect(created).toMatchObject({ code: 0, err: "" });
    expect(created.out).toContain("/tech/");
    expect((await atoll("board", "create", "b", "--title", "Random")).code).toBe(0);

    const list = await atoll("board", "list");
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/\/b\/\s+SFW/);
    expect(list.out).toMatch(/\/tech\/\s+NSFW.*Technology/);
    const json = JSON.parse((await atoll("board", "list", "--json")).out);
    expect(json).toContainEqual({ uri: "tech", title: "Technology", description: "Computers", sfw: false });

    const dup = await atoll("board", "create", "tech", "--title", "Again");
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/atoll: .*(exist|taken)/i);
    const invalid = await atoll("board", "create", "Not-Valid", "--title", "X");
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/lowercase/);

    expect((await atoll("board", "delete", "tech", "--yes")).code).toBe(0);
    expect((await atoll("board", "list")).out).not.toContain("/tech/");
    const missing = await atoll("board", "delete", "tech", "--yes");
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("does not exist");
  });

  it("creates users with a given or generated password, lists and deletes them", async () => {
    await atoll("board", "create", "b", "--title", "Random");
    const given = await atoll("user", "create", "alice", "--role", "admin", "--password", "correct horse battery");
    expect(given.code).toBe(0);
    expect(given.out).not.toContain("correct horse battery");

    // No terminal to ask: a password is generated and printed once.
    const generated = await atoll("user", "create", "vol", "--role", "board_volunteer", "--boards", "b");
    expect(generated.code).toBe(0);
    const password = /Password \(shown only this once\): (\S+)/.exec(generated.out)?.[1] as string;
    expect(password.length).toBeGreaterThanOrEqual(20);

    const store = await openStore({ dataDir, mongodbUrl: null });
    try {
      const staff = new StaffService({ store, clock: Date.now, adminToken: null });
      expect((await staff.login("vol", password))?.boards).toEqual(["b"]);
      expect(await staff.login("alice", "correct horse battery")).not.toBeNull();
    } finally {
      await store.close();
    }

    const list = await atoll("user", "list");
    expect(list.out).toMatch(/alice\s+admin/);
    expect(list.out).toMatch(/vol\s+board_volunteer\s+b/);

    const short = await atoll("user", "create", "bob", "--role", "admin", "--password", "short");
    expect(short.code).toBe(1);
    expect(short.err).toMatch(/at least 10/);
    const noBoard = await atoll(
      "user",
      "create",
      "bob",
      "--role",
      "board_owner",
      "--boards",
      "nope",
      "--password",
      "long enough pw",
    );
    expect(noBoard.code).toBe(1);

    expect((await atoll("user", "delete", "vol")).code).toBe(0);
    expect((await atoll("user", "list")).out).not.toContain("vol");
    expect((await atoll("user", "delete", "vol")).code).toBe(1);
  });

  it("turns an account's two-factor sign-in off", async () => {
    expect((await atoll("user", "create", "dana", "--role", "admin", "--password", "long enough password")).code).toBe(
      0,
    );
    const totp = { sealedSecret: "v1.x", recoveryHashes: ["h"], enabledAt: 1, lastStep: 1 };
    const store = await openStore({ dataDir, mongodbUrl: null });
    await store.users.update("dana", { totp });
    await store.close();
    const reset = await atoll("user", "reset-2fa", "dana");
    expect(reset).toMatchObject({ code: 0, out: expect.stringContaining("Two-factor sign-in is off for dana.") });
    const again = await atoll("user", "reset-2fa", "dana");
    expect(again.out).toContain("dana had no two-factor sign-in.");
    expect((await atoll("user", "reset-2fa", "nobody")).code).toBe(1);
    const after = await openStore({ dataDir, mongodbUrl: null });
    try {
      expect((await after.users.get("dana"))?.totp).toBeUndefined();
    } finally {
      await after.close();
    }
  });

  it("asks for the password when there is someone to ask", async () => {
    const answers = ["typed at terminal", "typed at terminal"];
    const out: string[] = [];
    const code = await runCli(["user", "create", "carol", "--role", "global_mod"], {
      out: (s) => out.push(s),
      err: () => {},
      env: { DATA_DIR: dataDir },
      prompt: async () => answers.shift() ?? "",
    });
    expect(code).toBe(0);
    expect(out.join("")).not.toContain("Password (shown");
    const store = await openStore({ dataDir, mongodbUrl: null });
    try {
      const staff = new StaffService({ store, clock: Date.now, adminToken: null });
      expect((await staff.login("carol", "typed at terminal"))?.role).toBe("global_mod");
    } finally {
      await store.close();
    }
  });

  it("mints tokens printed once and lists them without their value", async () => {
    const created = await atoll("token", "create", "--label", "ci");
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^atoll_[A-Za-z0-9_-]{43}$/);
    expect(created.err).toContain("shown only this once");

    const list = await atoll("token", "list");
    expect(list.code).toBe(0);
    expect(list.out).toContain("ci");
    expect(list.out).not.toContain(token);
    const [entry] = JSON.parse((await atoll("token", "list", "--json")).out) as Array<{ id: string; label: string }>;
    expect(entry?.label).toBe("ci");
    expect((await atoll("token", "delete", entry?.id as string)).code).toBe(0);
    expect((await atoll("token", "list")).out).toContain("No API tokens");
  });

  describe("on a DATA_DIR without a store", () => {
    let fresh: string;
    beforeEach(() => {
      fresh = join(dataDir, "elsewhere");
    });
    const run = (argv: string[], extra: Partial<CliIO> = {}) => {
      const out: string[] = [];
      const err: string[] = [];
      return runCli(argv, {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
        env: { DATA_DIR: fresh },
        ...extra,
      }).then((code) => ({ code, out: out.join(""), err: err.join("") }));
    };

    it("refuses to create a new, empty store unless told so, naming the path and the way on", async () => {
      const refused = await run(["board", "list"]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(join(fresh, "atoll.db"));
      expect(refused.err).toContain("new, empty");
      expect(refused.err).toContain("DATA_DIR");
      expect(refused.err).toContain("--yes");
      expect(existsSync(fresh)).toBe(false);

      const created = await run(["board", "create", "b", "--title", "Random", "--yes"]);
      expect(created).toMatchObject({ code: 0, err: "" });
      expect(existsSync(join(fresh, "atoll.db"))).toBe(true);
      // Once it exists, nothing is asked.
      expect((await run(["board", "list"])).out).toContain("/b/");
    });

    it("takes --yes before the command too", async () => {
      expect((await run(["--yes", "board", "list"])).code).toBe(0);
      expect(existsSync(join(fresh, "atoll.db"))).toBe(true);
    });

    it("asks at a terminal, and creates the store only on yes", async () => {
      const questions: string[] = [];
      const no = await run(["token", "list"], {
        confirm: async (q) => {
          questions.push(q);
          return false;
        },
      });
      expect(no.code).toBe(1);
      expect(questions).toHaveLength(1);
      expect(questions[0]).toContain(join(fresh, "atoll.db"));
      expect(questions[0]).toMatch(/\(y\/N\)/);
      expect(existsSync(fresh)).toBe(false);
      const yes = await run(["token", "list"], { confirm: async () => true });
      expect(yes.code).toBe(0);
      expect(existsSync(join(fresh, "atoll.db"))).toBe(true);
    });

    it("never touches the store to print help or refuse bad usage", async () => {
      for (const argv of [
        ["--help"],
        ["help", "board"],
        ["board", "--help"],
        ["board", "create", "--help"],
        ["domain", "import", "--help"],
        ["board", "create"],
        ["board", "explode"],
      ]) {
        const r = await run(argv, { confirm: async () => true });
        expect(r.code, argv.join(" ")).not.toBe(1);
        expect(existsSync(fresh), argv.join(" ")).toBe(false);
      }
    });
  });

  it("keeps one meaning for --yes: board delete takes it anywhere", async () => {
    await atoll("board", "create", "x", "--title", "X");
    await atoll("board", "create", "y", "--title", "Y");
    expect((await atoll("board", "delete", "x", "-y")).code).toBe(0);
    expect((await atoll("--yes", "board", "delete", "y")).code).toBe(0);
    expect((await atoll("board", "list")).out).toContain("No boards yet");
  });

  it("reports a bad configuration", async () => {
    const err: string[] = [];
    const code = await runCli(["board", "list"], {
      out: () => {},
      err: (s) => err.push(s),
      env: { DATA_DIR: dataDir, PORT: "nope" },
    });
    expect(code).toBe(1);
    expect(err.join("")).toContain("PORT");
  });
});
