import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditActor } from "../../server/domain/defederation-ports.js";
import type { Store } from "../../server/domain/ports.js";
import { DomainPolicy } from "../../server/services/defederation/rules-in-force.js";
import { DefederationService } from "../../server/services/defederation/service.js";
import type { HeldDataEffects } from "../../server/services/defederation/types.js";
import { createLogger } from "../../server/services/logger.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";

const ADMIN: AuditActor = { kind: "user", id: "admin" };
const DAY = 86_400_000;

/** Effects that record what the service asked for, over a follow count the test sets. */
class RecordedEffects implements HeldDataEffects {
  follows = new Map<string, number>();
  severed: string[] = [];
  purged: string[] = [];
  async severFollows(isSuspended: (d: string) => boolean): Promise<number> {
    let n = 0;
    for (const [d, c] of this.follows) {
      if (!isSuspended(d)) continue;
      this.severed.push(d);
      this.follows.delete(d);
      n += c;
    }
    return n;
  }
  async followCounts(): Promise<Map<string, number>> {
    return new Map(this.follows);
  }
  async dropMedia(): Promise<number> {
    return 0;
  }
  async purgePosts(domain: string): Promise<number> {
    this.purged.push(domain);
    return 1;
  }
  /** Domains the instance holds posts of, besides those it has follows with. */
  posts = new Set<string>();
  async remoteDomains(): Promise<string[]> {
    return [...new Set([...this.follows.keys(), ...this.posts])];
  }
}

describe("domain moderation service", () => {
  let dir: string;
  let store: Store;
  let now: number;
  let policy: DomainPolicy;
  let effects: RecordedEffects;
  let lists: Map<string, string>;
  let svc: DefederationService;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "atoll-domains-"));
    store = openSqliteStore(join(dir, "atoll.db"));
    now = Date.UTC(2026, 0, 1);
    const clock = () => now;
    policy = new DomainPolicy({ clock, mode: "blocklist", publicUrl: "https://atoll.example" });
    effects = new RecordedEffects();
    lists = new Map();
    svc = new DefederationService({
      store,
      policy,
      clock,
      logger: createLogger("error", () => {}),
      purgeGraceMs: 7 * DAY,
      syncIntervalMs: 6 * 3_600_000,
      effects,
      fetcher: {
        fetch: async (url) => {
          const text = lists.get(url);
          if (text === undefined) throw new Error(`404 ${url}`);
          return { text, contentType: "text/csv" };
        },
      },
    });
    await svc.load();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("puts a block in force at once, audits it, severs follows and schedules the purge", async () => {
    effects.follows.set("a.bad.example", 3);
    const block = await svc.createBlock({ domain: "Bad.Example.", publicComment: "spam" }, ADMIN, "reports #4");
    expect(block).toMatchObject({ domain: "bad.example", severity: "suspend", origin: "manual" });
    expect(policy.check("a.bad.example").suspended).toBe(true);
    expect(effects.severed).toEqual(["a.bad.example"]);
    expect(await store.defederation.purges.due(now + 7 * DAY)).toEqual(["bad.example"]);
    const [entry] = await svc.audit();
    expect(entry).toMatchObject({ action: "block.create", domain: "bad.example", actor: ADMIN, reason: "reports #4" });
    await expect(svc.createBlock({ domain: "bad.example" }, ADMIN)).rejects.toMatchObject({ kind: "conflict" });
    await expect(svc.createBlock({ domain: "atoll.example" }, ADMIN)).rejects.toMatchObject({ kind: "invalid" });
    await expect(svc.createBlock({ domain: "not a domain" }, ADMIN)).rejects.toMatchObject({ kind: "invalid" });
  });

  it("refuses a subdomain rule no stricter than its live parent's, whoever asks", async () => {
    const parent = await svc.createBlock({ domain: "bad.example", severity: "silence", rejectMedia: true }, ADMIN);
    for (const input of [
      { domain: "a.bad.example", severity: "noop" as const },
      { domain: "b.bad.example", severity: "silence" as const },
    ]) {
      await expect(svc.createBlock(input, ADMIN)).rejects.toMatchObject({
        kind: "conflict",
        message: expect.stringContaining("bad.example, which covers"),
        extra: { existing_domain_block_id: parent.id },
      });
    }
    const child = await svc.createBlock({ domain: "c.bad.example", severity: "silence", rejectMedia: true }, ADMIN);
    // The most specific parent is the one a new rule must outdo.
    await expect(svc.createBlock({ domain: "x.c.bad.example", severity: "noop" }, ADMIN)).rejects.toMatchObject({
      extra: { existing_domain_block_id: child.id },
    });
    // With no severity given, the service's default applies: suspend, stricter than any parent.
    expect(await svc.createBlock({ domain: "d.bad.example" }, ADMIN)).toMatchObject({ severity: "suspend" });
    // An expired parent rule no longer covers anything.
    await svc.createBlock({ domain: "old.example", expiresAt: now + 1000 }, ADMIN);
    now += 2000;
    expect(await svc.createBlock({ domain: "a.old.example", severity: "noop" }, ADMIN)).toMatchObject({
      domain: "a.old.example",
    });
    expect((await svc.listBlocks()).map((b) => b.domain).sort()).toEqual([
      "a.old.example",
      "bad.example",
      "c.bad.example",
      "d.bad.example",
      "old.example",
    ]);
  });

  it("lifting a suspension cancels the purge; a silence limits without severing", async () => {
    effects.follows.set("loud.example", 1);
    const b = await svc.createBlock({ domain: "loud.example" }, ADMIN);
    await svc.updateBlock(b.id, { severity: "silence" }, ADMIN);
    expect(policy.check("loud.example")).toMatchObject({ silenced: true, suspended: false });
    expect(await store.defederation.purges.due(now + 30 * DAY)).toEqual([]);
    await svc.deleteBlock(b.id, ADMIN);
    expect(policy.check("loud.example").severity).toBe("noop");
    expect((await svc.audit()).map((e) => e.action)).toEqual(["block.delete", "block.update", "block.create"]);
  });

  it("removes expired rules and purges due domains on its periodic run", async () => {
    await svc.createBlock({ domain: "brief.example", severity: "silence", expiresAt: now + 1000 }, ADMIN);
    await svc.createBlock({ domain: "gone.example" }, ADMIN);
    now += 8 * DAY;
    expect(policy.check("brief.example").severity).toBe("noop");
    await svc.tick();
    expect((await svc.listBlocks()).map((b) => b.domain)).toEqual(["gone.example"]);
    expect(effects.purged).toEqual(["gone.example"]);
    expect((await svc.audit({ limit: 1 }))[0]).toMatchObject({ actor: { kind: "system" }, reason: "expired" });
  });

  it("picks up rules another process wrote", async () => {
    const other = new DefederationService({
      store,
      policy: new DomainPolicy({ clock: () => now, mode: "blocklist", publicUrl: "https://atoll.example" }),
      clock: () => now,
      logger: createLogger("error", () => {}),
      purgeGraceMs: DAY,
      syncIntervalMs: DAY,
    });
    await other.createBlock({ domain: "elsewhere.example" }, ADMIN);
    expect(policy.check("elsewhere.example").suspended).toBe(false);
    await svc.tick();
    expect(policy.check("elsewhere.example").suspended).toBe(true);
  });

  it("previews and imports a Mastodon CSV, skipping covered domains and counting severed follows", async () => {
    await svc.createBlock({ domain: "parent.example" }, ADMIN);
    effects.follows.set("x.new.example", 2);
    const csv = [
      "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate",
      "child.parent.example,suspend,false,false,,false",
      "new.example,suspend,true,false,spam wave,false",
      "quiet.example,silence,false,false,,true",
      "not a domain,suspend,false,false,,false",
    ].join("\n");
    const preview = await svc.previewImport(csv);
    expect(preview.create.map((e) => e.domain)).toEqual(["new.example", "quiet.example"]);
    expect(preview.skippedCovered).toEqual(["child.parent.example"]);
    expect(preview.errors).toHaveLength(1);
    expect(preview.severs).toEqual([{ domain: "new.example", follows: 2 }]);
    expect(await svc.listBlocks()).toHaveLength(1);
    const result = await svc.importCsv(csv, ADMIN);
    expect(result.applied).toBe(2);
    expect(policy.check("new.example")).toMatchObject({ suspended: true, rejectMedia: true });
    const exported = await svc.exportCsv();
    expect(exported).toContain("new.example,suspend,true,false,spam wave,false");
  });

  it("syncs subscriptions with consensus, stages while followed, and retracts what leaves every list", async () => {
    lists.set("https://lists.example/a.csv", "one.example\ntwo.example\n");
    lists.set("https://lists.example/b.csv", "two.example\nthree.example\n");
    await svc.setConsensus({ minSources: 2 }, ADMIN);
    const a = await svc.addSubscription({ url: "https://lists.example/a.csv" }, ADMIN);
    const b = await svc.addSubscription({ url: "https://lists.example/b.csv" }, ADMIN);
    await svc.sync(a.id, { kind: "subscription", id: a.id });
    expect(await svc.listBlocks()).toEqual([]);
    effects.follows.set("two.example", 1);
    const r = await svc.sync(b.id, { kind: "subscription", id: b.id });
    expect(r).toMatchObject({ created: 1, staged: 1 });
    const [two] = await svc.listBlocks();
    expect(two).toMatchObject({
      domain: "two.example",
      severity: "silence",
      stagedSeverity: "suspend",
      origin: "subscription",
    });
    // Once the follows are gone, the periodic run raises it.
    effects.follows.clear();
    await svc.tick();
    expect(policy.check("two.example").suspended).toBe(true);
    // A manual rule is never retracted; a subscription rule is, when no list carries it any more.
    await svc.createBlock({ domain: "manual.example" }, ADMIN);
    lists.set("https://lists.example/b.csv", "three.example\nmanual.example\n");
    const later = await svc.sync(b.id, { kind: "subscription", id: b.id });
    expect(later.domains.removed).toEqual(["two.example"]);
    expect((await svc.listBlocks()).map((x) => x.domain)).toEqual(["manual.example"]);
    const log = await svc.audit({ domain: "two.example" });
    expect(log[0]).toMatchObject({ action: "block.delete", reason: expect.stringMatching(/retracted/) });
    expect(log.at(-1)).toMatchObject({ action: "block.create", subscriptionId: expect.any(String) });
  });

  it("a draft subscription changes nothing until applied", async () => {
    lists.set("https://lists.example/d.csv", "drafty.example\n");
    const d = await svc.addSubscription({ url: "https://lists.example/d.csv", draft: true }, ADMIN);
    const r = await svc.sync(d.id, ADMIN);
    expect(r).toMatchObject({ draft: true, created: 1 });
    expect(await svc.listBlocks()).toEqual([]);
    expect((await svc.getSubscription(d.id)).lastChange).toMatchObject({ created: 1, draft: true });
    await svc.applyDraft(d.id, ADMIN);
    expect(policy.check("drafty.example").suspended).toBe(true);
  });

  it("records a failed fetch on the subscription and refuses non-https list URLs", async () => {
    const s = await svc.addSubscription({ url: "https://lists.example/missing.csv" }, ADMIN);
    await expect(svc.sync(s.id, ADMIN)).rejects.toMatchObject({ kind: "invalid" });
    expect((await svc.getSubscription(s.id)).lastStatus).toMatch(/^error: 404/);
    await expect(svc.addSubscription({ url: "http://lists.example/a" }, ADMIN)).rejects.toMatchObject({
      kind: "invalid",
    });
    await expect(svc.addSubscription({ url: "https://lists.example/missing.csv" }, ADMIN)).rejects.toMatchObject({
      kind: "conflict",
    });
  });

  it("at start, applies allowlist mode to everything held: severs, and schedules purges once", async () => {
    const allowlist = new DomainPolicy({ clock: () => now, mode: "allowlist", publicUrl: "https://atoll.example" });
    const strict = new DefederationService({
      store,
      policy: allowlist,
      clock: () => now,
      logger: createLogger("error", () => {}),
      purgeGraceMs: DAY,
      syncIntervalMs: DAY,
      effects,
    });
    effects.follows.set("friend.example", 1);
    effects.follows.set("stranger.example", 2);
    effects.posts.add("lurker.example");
    await strict.createAllow({ domain: "friend.example" }, ADMIN);
    effects.severed = [];
    effects.follows.set("stranger.example", 2);
    await strict.reconcile();
    expect(effects.severed).toEqual(["stranger.example"]);
    // Posts held from a domain not allowed are purged after the grace; severed follows leave nothing to purge.
    expect(await store.defederation.purges.due(now + DAY)).toEqual(["lurker.example"]);
    // A second start does not postpone the purge it already scheduled.
    now += DAY / 2;
    await strict.reconcile();
    expect(await store.defederation.purges.due(now + DAY / 2)).toEqual(["lurker.example"]);
  });

  it("board rules only add limits, on their board", async () => {
    await store.boards.create({
      uri: "b",
      title: "B",
      description: "",
      settings: (await import("../../server/domain/board.js")).DEFAULT_BOARD_SETTINGS,
      createdAt: now,
    });
    await svc.createBlock({ domain: "meh.example", severity: "silence" }, ADMIN);
    const rule = await svc.createBoardRule("b", { domain: "meh.example", severity: "suspend" }, ADMIN);
    expect(policy.check("meh.example", "b").suspended).toBe(true);
    expect(policy.check("meh.example", "c")).toMatchObject({ silenced: true, suspended: false });
    await svc.deleteBoardRule("b", rule.id, ADMIN);
    expect(policy.check("meh.example", "b").suspended).toBe(false);
    await expect(svc.createBoardRule("nope", { domain: "x.example" }, ADMIN)).rejects.toMatchObject({
      kind: "not_found",
    });
    await expect(svc.listBoardRules("nope")).rejects.toMatchObject({ kind: "not_found" });
  });
});
