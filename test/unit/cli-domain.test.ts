import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseDuration } from "../../server/cli/commands/defederation-domain.js";
import { runCli } from "../../server/cli/main.js";
import { openStore } from "../../storage/open.js";

const CSV_HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

describe("atoll domain and subscription commands", () => {
  let dataDir: string;
  let server: Server;
  let base = "";
  let listBody = "";

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/csv" }).end(listBody);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "atoll-cli-domain-"));
    // The store exists, as it does once the server has run on DATA_DIR.
    await (await openStore({ dataDir, mongodbUrl: null })).close();
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function atoll(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: { DATA_DIR: dataDir, ALLOW_PRIVATE_ADDRESSES: "on", LOG_LEVEL: "error" },
    });
    return { code, out: out.join(""), err: err.join("") };
  }

  async function listJson() {
    const r = await atoll("domain", "list", "--json");
    expect(r.code).toBe(0);
    return JSON.parse(r.out) as {
      blocks: Array<Record<string, unknown> & { domain: string }>;
      allows: Array<{ domain: string }>;
    };
  }

  it("prints help for every command", async () => {
    const main = await atoll("--help");
    expect(main.out).toContain("domain block");
    expect(main.out).toContain("subscription sync");
    const group = await atoll("domain", "--help");
    expect(group.code).toBe(0);
    for (const sub of ["block", "unblock", "list", "allow", "disallow", "import", "export", "audit"]) {
      expect(group.out).toContain(`atoll domain ${sub}`);
    }
    const block = await atoll("domain", "block", "--help");
    expect(block.code).toBe(0);
    for (const opt of ["--severity", "--reject-media", "--reject-reports", "--public-comment", "--private-comment"]) {
      expect(block.out).toContain(opt);
    }
    expect(block.out).toContain("--expires-in");
    expect(block.out).toContain("--evidence");
    const subs = await atoll("subscription", "--help");
    for (const sub of ["add", "list", "sync", "remove"]) expect(subs.out).toContain(`atoll subscription ${sub}`);
    expect((await atoll("subscription", "add", "--help")).out).toContain("--exclude");
  });

  it("exits 2 on bad usage", async () => {
    const cases: string[][] = [
      ["domain", "block"],
      ["domain", "block", "not a domain"],
      ["domain", "block", "x.example", "--severity", "nuke"],
      ["domain", "block", "x.example", "--expires-in", "forever"],
      ["domain", "block", "x.example", "--expires", "next week"],
      ["domain", "block", "x.example", "--expires", "2999-01-01", "--expires-in", "1d"],
      ["domain", "block", "x.example", "--colour", "red"],
      ["domain", "unblock"],
      ["domain", "import"],
      ["domain", "audit", "--limit", "none"],
      ["domain", "list", "extra"],
      ["subscription", "add"],
      ["subscription", "add", "https://l.example/", "--format", "xml"],
      ["subscription", "add", "https://l.example/", "--priority", "high"],
      ["subscription", "remove"],
    ];
    for (const argv of cases) {
      const r = await atoll(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err, argv.join(" ")).toContain("--help");
    }
  });

  it("blocks, lists, unblocks, allows and disallows domains", async () => {
    const blocked = await atoll(
      "domain",
      "block",
      "Evil.Example.",
      "--severity",
      "silence",
      "--reject-media",
      "--public-comment",
      "spam waves",
      "--private-comment",
      "report 12",
      "--obfuscate",
      "--expires-in",
      "30d",
      "--evidence",
      "https://reports.example/12",
    );
    expect(blocked.code).toBe(0);
    expect(blocked.out).toMatch(/^Blocked evil\.example \(silence, until \d{4}-/);
    const plain = await atoll("domain", "block", "plain.example");
    expect(plain.code).toBe(0);

    const { blocks } = await listJson();
    expect(blocks.map((b) => b.domain)).toEqual(["evil.example", "plain.example"]);
    expect(blocks[0]).toMatchObject({
      severity: "silence",
      reject_media: true,
      reject_reports: false,
      obfuscate: true,
      public_comment: "spam waves",
      private_comment: "report 12",
      evidence_url: "https://reports.example/12",
      origin: "manual",
    });
    const days = (Date.parse(String(blocks[0]?.["expires_at"])) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);
    expect(blocks[1]).toMatchObject({ severity: "suspend", expires_at: null });

    const text = await atoll("domain", "list");
    expect(text.out).toContain("DOMAIN");
    expect(text.out).toMatch(/evil\.example\s+silence\s+media,obfuscate\s+manual/);

    // A duplicate and an unknown domain are refused (exit 1), not crashes.
    const dup = await atoll("domain", "block", "evil.example");
    expect(dup.code).toBe(1);
    expect(dup.err).toContain("already has a rule");
    const unknown = await atoll("domain", "unblock", "never.example");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("not blocked");
    const past = await atoll("domain", "block", "late.example", "--expires", "2001-01-01T00:00:00Z");
    expect(past.code).toBe(1);

    const unblocked = await atoll("domain", "unblock", "EVIL.example");
    expect(unblocked.code).toBe(0);
    expect((await listJson()).blocks.map((b) => b.domain)).toEqual(["plain.example"]);

    const allowed = await atoll("domain", "allow", "friend.example", "--comment", "partner");
    expect(allowed.code).toBe(0);
    expect(allowed.err).toContain("allowlist mode");
    expect((await listJson()).allows.map((a) => a.domain)).toEqual(["friend.example"]);
    expect((await atoll("domain", "list")).out).toContain("friend.example  partner");
    expect((await atoll("domain", "disallow", "friend.example")).code).toBe(0);
    expect((await listJson()).allows).toEqual([]);
    expect((await atoll("domain", "disallow", "friend.example")).code).toBe(1);
  });

  it("refuses a subdomain rule no stricter than its parent's", async () => {
    expect((await atoll("domain", "block", "spam.example", "--severity", "silence", "--reject-media")).code).toBe(0);
    const laxer = await atoll("domain", "block", "a.spam.example", "--severity", "silence");
    expect(laxer.code).toBe(1);
    expect(laxer.err).toContain("spam.example, which covers a.spam.example");
    expect(laxer.err).toContain("must limit more than its parent");
    // No severity given: the service's default, suspend, is stricter than any parent.
    expect((await atoll("domain", "block", "b.spam.example")).code).toBe(0);
    expect((await listJson()).blocks.map((b) => [b.domain, b.severity])).toEqual([
      ["b.spam.example", "suspend"],
      ["spam.example", "silence"],
    ]);
  });

  it("exports and imports Mastodon CSV, with a dry run and progress on standard error", async () => {
    await atoll("domain", "block", "one.example", "--public-comment", 'says "hi", spams');
    await atoll("domain", "block", "two.example", "--severity", "silence", "--reject-reports");
    const file = join(dataDir, "blocks.csv");
    const exported = await atoll("domain", "export", file);
    expect(exported.code).toBe(0);
    expect(exported.err).toContain("Wrote 2 rule(s)");
    const csv = await readFile(file, "utf8");
    expect(csv.split("\n")[0]).toBe(CSV_HEADER);
    const stdout = await atoll("domain", "export");
    expect(`${stdout.out}`).toBe(csv);

    await atoll("domain", "unblock", "one.example");
    await atoll("domain", "unblock", "two.example");
    const withError = join(dataDir, "more.csv");
    await writeFile(withError, `${csv}bad domain!,suspend\n`);
    const dry = await atoll("domain", "import", withError, "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("Dry run: would apply 2 new");
    expect(dry.err).toContain("line 4:");
    expect((await listJson()).blocks).toEqual([]);

    const imported = await atoll("domain", "import", withError);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain("Imported: 2 new");
    expect(imported.err).toMatch(/import: apply 0\/2/);
    expect(imported.err).toMatch(/import: apply 2\/2/);
    expect((await atoll("domain", "export")).out).toBe(csv);

    const json = await atoll("domain", "import", withError, "--dry-run", "--json");
    expect(JSON.parse(json.out)).toMatchObject({ dry_run: true, counts: { create: 0, unchanged: 2, errors: 1 } });
    const missing = await atoll("domain", "import", join(dataDir, "nope.csv"));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("Cannot read");
  });

  it("shows the audit log, filtered, limited and as CSV, with the CLI as the actor", async () => {
    await atoll("domain", "block", "a.example", "--private-comment", "first");
    await atoll("domain", "block", "b.example");
    await atoll("domain", "unblock", "a.example");
    const all = await atoll("domain", "audit", "--json");
    const entries = JSON.parse(all.out) as Array<{ action: string; domain: string; actor: unknown }>;
    expect(entries.map((e) => [e.action, e.domain])).toEqual([
      ["block.delete", "a.example"],
      ["block.create", "b.example"],
      ["block.create", "a.example"],
    ]);
    for (const e of entries) expect(e.actor).toEqual({ kind: "cli", id: "" });
    const table = await atoll("domain", "audit", "--domain", "a.example", "--limit", "1");
    expect(table.out).toContain("block.delete");
    expect(table.out).not.toContain("block.create");
    const csv = await atoll("domain", "audit", "--csv");
    const lines = csv.out.trimEnd().split("\n");
    expect(lines[0]).toBe("id,at,actor_kind,actor_id,action,domain,subscription_id,reason,before,after");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain(",cli,,block.create,a.example,,first,");
  });

  it("adds, lists, syncs and removes subscriptions", async () => {
    listBody = `${CSV_HEADER}\nlisted.example,suspend,false,false,from the list,false\nkept.example,suspend,false,false,,false\n`;
    const added = await atoll(
      "subscription",
      "add",
      `${base}/list.csv`,
      "--format",
      "mastodon_csv",
      "--priority",
      "4",
      "--exclude",
      "kept.example,other.example",
      "--json",
    );
    expect(added.code).toBe(0);
    const sub = JSON.parse(added.out) as { id: string };
    expect(sub).toMatchObject({
      url: `${base}/list.csv`,
      format: "mastodon_csv",
      priority: 4,
      excludes: ["kept.example", "other.example"],
      draft: false,
    });
    const listed = await atoll("subscription", "list");
    expect(listed.out).toContain(sub.id);
    expect(listed.out).toContain("never");
    expect(JSON.parse((await atoll("subscription", "list", "--json")).out)).toHaveLength(1);
    expect((await atoll("subscription", "add", "ftp://l.example/x")).code).toBe(1);

    const synced = await atoll("subscription", "sync", sub.id);
    expect(synced.code).toBe(0);
    expect(synced.out).toContain(`${sub.id}: 1 created`);
    expect(synced.err).toContain(`sync ${sub.id}: fetch`);
    expect((await listJson()).blocks.map((b) => b.domain)).toEqual(["listed.example"]);
    const all = await atoll("subscription", "sync");
    expect([0, 1]).toContain(all.code);
    expect((await atoll("subscription", "sync", "no-such-id")).code).toBe(1);

    const removed = await atoll("subscription", "remove", sub.id);
    expect(removed.code).toBe(0);
    expect(removed.out).toContain("1 rule(s) retracted");
    expect((await listJson()).blocks).toEqual([]);
    expect((await atoll("subscription", "list")).out).toContain("No subscriptions");
    expect((await atoll("subscription", "remove", sub.id)).code).toBe(1);
  });

  it("reads durations", () => {
    expect(parseDuration("3600")).toBe(3600);
    expect(parseDuration("90m")).toBe(5400);
    expect(parseDuration("12h")).toBe(43_200);
    expect(parseDuration("30d")).toBe(2_592_000);
    expect(parseDuration("2w")).toBe(1_209_600);
    for (const bad of ["", "0", "-5", "1y", "soon", "1.5h", "99999999999d"]) expect(parseDuration(bad), bad).toBeNull();
  });
});
