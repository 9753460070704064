import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_REQUEST_LIMITS, type RequestLimitSettings } from "../../server/config.js";
import { hashIp } from "../../server/domain/ip.js";
import type { Store } from "../../server/domain/ports.js";
import { BatchedCounter } from "../../server/services/batched-counter.js";
import { createLogger } from "../../server/services/logger.js";
import { LoginThrottle } from "../../server/services/login-throttle.js";
import { SharedLimits } from "../../server/services/shared-limits.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { waitFor } from "../support/loopback.js";

/*
 * The request and login limits as two processes on one store would run them: two service instances,
 * each over its own connection to one SQLite file.
 */

const dir = mkdtempSync(join(tmpdir(), "atoll-shared-limits-"));
const opened: Store[] = [];
let files = 0;
afterAll(async () => {
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two connections to a fresh file, and the file's name. */
function twoConnections(): { file: string; a: Store; b: Store } {
  const file = join(dir, `limits-${++files}.db`);
  const a = openSqliteStore(file);
  const b = openSqliteStore(file);
  opened.push(a, b);
  return { file, a, b };
}

const WINDOW = 60_000;
const KEY = "k".repeat(64);
const START = Date.UTC(2030, 0, 1);

function limitsOver(store: Store, clock: () => number, limits: Partial<RequestLimitSettings>, logs: string[] = []) {
  return new SharedLimits({
    store: store.limits,
    clock,
    logger: createLogger("debug", (line) => logs.push(line)),
    enabled: true,
    limits: { ...DEFAULT_REQUEST_LIMITS, ...limits },
    ipKey: KEY,
  });
}

/** Takes the counters table away from every connection to `file` (a store failing), and back. */
function breakCounters(file: string): { repair: () => void } {
  const db = new Database(file);
  const sql = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'limit_counters'").pluck().get() as string;
  db.exec("DROP TABLE limit_counters");
  return {
    repair: () => {
      db.exec(sql);
      db.exec("CREATE INDEX limit_counters_expiry ON limit_counters (expires_at)");
      db.close();
    },
  };
}

describe("request limits shared by two instances on one store", () => {
  it("holds the write limit across both, counted in the store, until the window turns", async () => {
    const { a, b } = twoConnections();
    let now = START + 1_000;
    const one = limitsOver(a, () => now, { writes: 5 });
    const two = limitsOver(b, () => now, { writes: 5 });
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) waits.push(await (i % 2 ? two : one).write("192.0.2.7"));
    expect(waits).toEqual([0, 0, 0, 0, 0, 59]);
    expect(await one.write("192.0.2.8")).toBe(0);
    now = START + WINDOW;
    expect(await two.write("192.0.2.7")).toBe(0);
  });

  it("decides reads at once and learns the other's counts at each flush", async () => {
    const { a, b } = twoConnections();
    const now = START + 30_000;
    const one = limitsOver(a, () => now, { reads: 10 });
    const two = limitsOver(b, () => now, { reads: 10 });
    for (let i = 0; i < 6; i++) expect(one.read("192.0.2.1")).toBe(0);
    await one.flush();
    // The second has not flushed: it lets a read through on what it knows, then learns the total.
    expect(two.read("192.0.2.1")).toBe(0);
    await two.flush();
    const more = [1, 2, 3, 4].map(() => two.read("192.0.2.1"));
    expect(more).toEqual([0, 0, 0, 30]);
    await two.flush();
    // The first has nothing to send, but the address is past half its limit: its flush reads the total.
    await one.flush();
    expect(one.read("192.0.2.1")).toBe(30);
    expect(await a.limits.counters.totals([{ key: `r:${hashIp("192.0.2.1", KEY)}`, window: START }])).toEqual([10]);
  });

  it("gives admin API requests a budget of their own, apart from writes", async () => {
    const { a, b } = twoConnections();
    const now = START;
    const one = limitsOver(a, () => now, { writes: 2, admin: 3 });
    const two = limitsOver(b, () => now, { writes: 2, admin: 3 });
    expect([await one.write("192.0.2.9"), await two.write("192.0.2.9"), await one.write("192.0.2.9")]).toEqual([
      0, 0, 60,
    ]);
    expect([
      await one.admin("192.0.2.9", true),
      await two.admin("192.0.2.9", false),
      await two.admin("192.0.2.9", true),
      await one.admin("192.0.2.9", false),
    ]).toEqual([0, 0, 0, 60]);
    expect(one.read("192.0.2.9")).toBe(0);
  });

  it("limits inbox POSTs per signing domain across both, a sixth of the minute's budget per ten seconds", async () => {
    const { a, b } = twoConnections();
    let now = START;
    const one = limitsOver(a, () => now, { inbox: 24 });
    const two = limitsOver(b, () => now, { inbox: 24 });
    // Looking counts nothing: only verified POSTs spend the budget.
    for (let i = 0; i < 10; i++) expect(one.inboundSpent("peer.example")).toBe(0);
    for (let i = 0; i < 3; i++) one.countInbound("peer.example", null);
    expect(one.inboundSpent("peer.example")).toBe(0);
    await one.flush();
    expect(two.inboundSpent("peer.example")).toBe(0);
    two.countInbound("peer.example", null);
    await two.flush();
    expect(two.inboundSpent("peer.example")).toBe(10);
    expect(two.inboundSpent("other.example")).toBe(0);
    await one.flush();
    expect(one.inboundSpent("peer.example")).toBe(10);
    // The next slice has a budget again.
    now += 10_000;
    expect(one.inboundSpent("peer.example")).toBe(0);
  });

  it("limits inbox POSTs per signing actor across both, and not an actor counted without one", async () => {
    const { a, b } = twoConnections();
    const now = START;
    const one = limitsOver(a, () => now, { inboxActor: 12 });
    const two = limitsOver(b, () => now, { inboxActor: 12 });
    const alice = "https://peer.example/users/alice";
    one.countInbound("peer.example", alice);
    await one.flush();
    expect(two.inboundActorSpent(alice)).toBe(0);
    two.countInbound("peer.example", alice);
    await two.flush();
    expect(two.inboundActorSpent(alice)).toBe(10);
    expect(two.inboundActorSpent("https://peer.example/users/bob")).toBe(0);
    for (let i = 0; i < 5; i++) two.countInbound("peer.example", null);
    expect(two.inboundActorSpent("https://peer.example/users/bob")).toBe(0);
  });

  it("counts failed verifications per claimed domain, a minute's worth", async () => {
    const { a, b } = twoConnections();
    let now = START;
    const one = limitsOver(a, () => now, { inboxFailures: 3 });
    const two = limitsOver(b, () => now, { inboxFailures: 3 });
    one.inboundFailure("peer.example");
    one.inboundFailure("peer.example");
    expect(one.inboundFailuresSpent("peer.example")).toBe(0);
    await one.flush();
    two.inboundFailure("peer.example");
    await two.flush();
    expect(two.inboundFailuresSpent("peer.example")).toBe(60);
    expect(two.inboundFailuresSpent("other.example")).toBe(0);
    // Verified POSTs are another budget.
    expect(two.inboundSpent("peer.example")).toBe(0);
    now += 60_000;
    expect(two.inboundFailuresSpent("peer.example")).toBe(0);
  });

  it("lets everything through with RATE_LIMIT=off, and counts nothing", async () => {
    const { a } = twoConnections();
    const off = new SharedLimits({
      store: a.limits,
      clock: () => START,
      logger: createLogger("error", () => {}),
      enabled: false,
      limits: { reads: 1, writes: 1, admin: 1, inbox: 1, inboxActor: 1, inboxFailures: 1 },
      ipKey: KEY,
    });
    const waits = [];
    for (let i = 0; i < 3; i++) {
      waits.push(off.read("192.0.2.1"), await off.write("192.0.2.1"), await off.admin("192.0.2.1", true));
      off.countInbound("peer.example", "https://peer.example/users/a");
      off.inboundFailure("peer.example");
      waits.push(
        off.inboundSpent("peer.example"),
        off.inboundActorSpent("https://peer.example/users/a"),
        off.inboundFailuresSpent("peer.example"),
      );
    }
    expect(waits.every((w) => w === 0)).toBe(true);
    await off.flush();
    expect(await a.limits.prune(START + 1e12, 100)).toBe(0);
  });

  it("keeps serving reads while the store fails, sends their counts once it is back, and refuses writes meanwhile", async () => {
    const { file, a } = twoConnections();
    const logs: string[] = [];
    const now = START;
    const one = limitsOver(a, () => now, { reads: 100, writes: 100, admin: 100 }, logs);
    const broken = breakCounters(file);
    try {
      for (let i = 0; i < 5; i++) expect(one.read("192.0.2.3")).toBe(0);
      await expect(one.flush()).rejects.toThrow(/limit_counters/);
      expect(one.read("192.0.2.3")).toBe(0);
      await expect(one.write("192.0.2.3")).rejects.toThrow(/limit_counters/);
      // An admin read is let through, and the failure logged; an admin write is not.
      expect(await one.admin("192.0.2.3", false)).toBe(0);
      await expect(one.admin("192.0.2.3", true)).rejects.toThrow(/limit_counters/);
      expect(logs.some((l) => l.includes("admin API read"))).toBe(true);
    } finally {
      broken.repair();
    }
    await one.flush();
    expect(await a.limits.counters.totals([{ key: `r:${hashIp("192.0.2.3", KEY)}`, window: START }])).toEqual([6]);
  });
});

describe("the limits' timer", () => {
  it("shares counts on its own, prunes expired rows in batches until none is left, and sends the rest on stop", async () => {
    const { a } = twoConnections();
    let now = START;
    for (let i = 0; i < 2500; i++) await a.limits.tokens.spend(`captcha:old${i}`, START - 1);
    await a.limits.tokens.spend("captcha:live", START + WINDOW);
    const limits = new SharedLimits({
      store: a.limits,
      clock: () => now,
      logger: createLogger("error", () => {}),
      enabled: true,
      limits: DEFAULT_REQUEST_LIMITS,
      ipKey: KEY,
      flushIntervalMs: 5,
    });
    const key = `r:${hashIp("192.0.2.4", KEY)}`;
    const shared = async () => (await a.limits.counters.totals([{ key, window: START }]))[0];
    limits.start();
    try {
      expect(limits.read("192.0.2.4")).toBe(0);
      await waitFor("the timer to share the read", async () => (await shared()) === 1, 10_000);
      now += 10_000;
      await waitFor(
        "the timer to prune every expired token",
        async () => (await a.limits.tokens.spent(["captcha:old0", "captcha:old2499"])).size === 0,
        10_000,
      );
      expect(await a.limits.tokens.spent(["captcha:live"])).toEqual(new Set(["captcha:live"]));
      expect(limits.read("192.0.2.4")).toBe(0);
    } finally {
      await limits.stop();
    }
    expect(limits.read("192.0.2.4")).toBe(0);
    await limits.stop();
    expect(await shared()).toBe(3);
  });
});

describe("batched counts", () => {
  it("keeps only the current window's keys, and forgets idle ones first when full", async () => {
    const { a } = twoConnections();
    let now = START;
    const counter = new BatchedCounter({
      counters: a.limits.counters,
      clock: () => now,
      limit: 4,
      windowMs: WINDOW,
      maxKeys: 3,
    });
    for (const key of ["k1", "k2", "k3"]) expect(counter.hit(key)).toBe(0);
    for (let i = 0; i < 3; i++) expect(counter.hit("k3")).toBe(0);
    await counter.flush();
    // Full: a new key pushes out the idle ones far from their limit, not the one near it.
    expect(counter.hit("k4")).toBe(0);
    expect(counter.size).toBe(2);
    expect(counter.hit("k3")).toBe(60);
    // A key forgotten here is still counted in the store, and learnt again at its next flush.
    expect(counter.hit("k1")).toBe(0);
    await counter.flush();
    expect(await a.limits.counters.totals([{ key: "k1", window: START }])).toEqual([2]);
    now += WINDOW;
    await counter.flush();
    expect(counter.size).toBe(0);
    expect(counter.hit("k3")).toBe(0);
  });
});

describe("sign-in throttle shared by two instances", () => {
  it("counts attempts per name and address across both, and a success on one clears them for both", async () => {
    const { a, b } = twoConnections();
    let now = START;
    const budgets = { perPair: 4, perNetwork: 100, perAccount: 100, windowMs: 15 * 60_000 };
    const one = new LoginThrottle(a.limits.counters, () => now, KEY, budgets);
    const two = new LoginThrottle(b.limits.counters, () => now, KEY, budgets);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await (i % 2 ? two : one).take("admin", "192.0.2.5"));
    expect(waits).toEqual([0, 0, 0, 0, 900]);
    // Another name, or another address, has its own count.
    expect(await two.take("mod", "192.0.2.5")).toBe(0);
    expect(await two.take("admin", "192.0.2.6")).toBe(0);
    await one.reset("admin", "192.0.2.5");
    expect(await two.take("admin", "192.0.2.5")).toBe(0);
    // The window before counts as well: attempts straddling a window's end are held to the limit too.
    now += 15 * 60_000 - 1_000;
    for (let i = 0; i < 2; i++) expect(await one.take("admin", "192.0.2.6")).toBe(0);
    now += 2_000;
    expect(await two.take("admin", "192.0.2.6")).toBe(0);
    expect(await one.take("admin", "192.0.2.6")).toBe(899);
    now += 15 * 60_000;
    expect(await one.take("admin", "192.0.2.6")).toBe(0);
  });
});

describe("sign-in throttle budgets per address and per account", () => {
  const budgets = { perPair: 3, perNetwork: 5, perAccount: 8, windowMs: 15 * 60_000 };

  it("counts every address of one IPv6 /64 as one, whichever accounts it tries", async () => {
    const { a } = twoConnections();
    const throttle = new LoginThrottle(a.limits.counters, () => START, KEY, budgets);
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) waits.push(await throttle.take(`user${i}`, `2001:db8:0:1::${(i + 1).toString(16)}`));
    expect(waits.map((w) => w > 0)).toEqual([false, false, false, false, false, true, true]);
    // Another /64 is another address; IPv4 addresses are counted one by one.
    expect(await throttle.take("user0", "2001:db8:0:2::1")).toBe(0);
    expect(await throttle.take("user0", "192.0.2.1")).toBe(0);
    expect(await throttle.take("user0", "192.0.2.2")).toBe(0);
  });

  it("holds one account to its budget from any number of networks, except in a browser it knows", async () => {
    const { a, b } = twoConnections();
    const one = new LoginThrottle(a.limits.counters, () => START, KEY, budgets);
    const two = new LoginThrottle(b.limits.counters, () => START, KEY, budgets);
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) waits.push(await (i % 2 ? two : one).take("admin", `198.51.100.${i + 1}`));
    expect(waits.filter((w) => w > 0)).toHaveLength(2);
    expect(waits.slice(0, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // A fresh address is refused for this account, not for others.
    expect(await one.take("admin", "203.0.113.9")).toBeGreaterThan(0);
    expect(await one.take("mod", "203.0.113.9")).toBe(0);
    // The owner's known browser still gets a budget of its own, which nobody else spends, and which
    // holds wherever the browser (or a stolen copy of its token) tries from.
    const known = [];
    for (let i = 0; i < 4; i++) known.push(await two.take("admin", `203.0.113.${i + 20}`, "token-1"));
    expect(known.map((w) => w > 0)).toEqual([false, false, false, true]);
    expect(await one.take("admin", "203.0.113.9", "token-2")).toBe(0);
    await one.reset("admin", "203.0.113.9", "token-1");
    expect(await two.take("admin", "203.0.113.9", "token-1")).toBe(0);
  });
});
