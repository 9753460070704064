import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  learnFollowerSoftware,
  PeerSoftware,
  type PeerSoftwareOptions,
} from "../../federation/delivery/peer-software.js";
import { GuardedFetch } from "../../federation/http/guarded-fetch.js";
import type { Store } from "../../server/domain/ports.js";
import { createLogger } from "../../server/services/logger.js";
import { openSqliteStore } from "../../storage/sqlite/store.js";
import { FakeInbox } from "../support/fake-inbox.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const logger = createLogger("error", () => {});

/** Loopback hosts, each its own domain: a group-aware one, a microblog, and one without NodeInfo. */
const LEMMY = "127.0.0.51";
const MASTO = "127.0.0.52";
const SILENT = "127.0.0.53";
const SPARE = ["127.0.0.54", "127.0.0.55", "127.0.0.56", "127.0.0.57", "127.0.0.58"];

describe("PeerSoftware", () => {
  const dir = mkdtempSync(join(tmpdir(), "atoll-peers-"));
  let server: FakeInbox;
  let seq = 0;
  const stores: Store[] = [];
  const http = new GuardedFetch({ allowPrivateAddresses: true, userAgent: "atoll-test" });

  beforeAll(async () => {
    server = await FakeInbox.start({
      addresses: [LEMMY, MASTO, SILENT, ...SPARE],
      publicKeyOf: async () => "",
    });
    server.serveNodeInfo(LEMMY, "lemmy", "0.19.5");
    server.serveNodeInfo(MASTO, "Mastodon", "4.3.1");
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function fresh(opts: PeerSoftwareOptions = {}, client: GuardedFetch = http) {
    const store = openSqliteStore(join(dir, `peers-${++seq}.db`));
    stores.push(store);
    const clock = { now: 1_000_000 };
    const peers = new PeerSoftware(store.federation.instances, PeerSoftware.nodeInfo(client), logger, {
      clock: () => clock.now,
      ...opts,
    });
    return { store, peers, clock };
  }
  const inbox = (address: string, path = "/inbox") => ({ inbox: `${server.base(address)}${path}`, domain: address });
  const asked = (address: string) => server.fetched.filter((f) => f === `${address} /.well-known/nodeinfo`).length;

  it("asks each new domain once, records the answer, and answers from memory afterwards", async () => {
    const { store, peers } = fresh();
    const before = [LEMMY, MASTO, SILENT].map(asked);
    const targets = [inbox(LEMMY), inbox(LEMMY, "/users/a/inbox"), inbox(MASTO), inbox(SILENT)];
    const kinds = await peers.kindsOf(targets, { wait: true });
    expect(Object.fromEntries(kinds)).toEqual({ [LEMMY]: "group", [MASTO]: "microblog", [SILENT]: "unknown" });
    expect([LEMMY, MASTO, SILENT].map(asked)).toEqual(before.map((n) => n + 1));
    const records = await store.federation.instances.list();
    expect(records.map((r) => [r.domain, r.software, r.version, r.fetchedAt])).toEqual([
      [LEMMY, "lemmy", "0.19.5", 1_000_000],
      [MASTO, "mastodon", "4.3.1", 1_000_000],
      [SILENT, null, null, 1_000_000],
    ]);
    expect(records[2]?.lastError).toMatch(/404/);

    expect(await peers.kindsOf(targets, { wait: true })).toEqual(kinds);
    expect([LEMMY, MASTO, SILENT].map(asked)).toEqual(before.map((n) => n + 1));
  });

  it("stays right past its memory bound, reading the store again rather than asking the peers", async () => {
    const { peers } = fresh({ maxEntries: 1 });
    const targets = [inbox(LEMMY), inbox(MASTO)];
    const first = await peers.kindsOf(targets, { wait: true });
    expect(Object.fromEntries(first)).toEqual({ [LEMMY]: "group", [MASTO]: "microblog" });
    const before = [asked(LEMMY), asked(MASTO)];
    expect(await peers.kindsOf(targets, { wait: true })).toEqual(first);
    expect([asked(LEMMY), asked(MASTO)]).toEqual(before);
  });

  it("shares one lookup of a domain among fan-outs that meet it together", async () => {
    const { peers } = fresh();
    const before = asked(LEMMY);
    const all = await Promise.all(Array.from({ length: 6 }, () => peers.kindsOf([inbox(LEMMY)], { wait: true })));
    expect(all.every((k) => k.get(LEMMY) === "group")).toBe(true);
    expect(asked(LEMMY)).toBe(before + 1);
  });

  it("reads what another process (or a restart) learnt from the store instead of asking again", async () => {
    const { store, peers } = fresh();
    await store.federation.instances.recordSoftware(MASTO, "gotosocial", null, 999_000);
    const before = asked(MASTO);
    expect((await peers.kindsOf([inbox(MASTO)], { wait: true })).get(MASTO)).toBe("microblog");
    expect(asked(MASTO)).toBe(before);
  });

  it("without waiting, answers unknown for a new domain and knows it for the next fan-out", async () => {
    const { peers } = fresh();
    expect((await peers.kindsOf([inbox(LEMMY)], { wait: false })).get(LEMMY)).toBe("unknown");
    await peers.idle();
    expect((await peers.kindsOf([inbox(LEMMY)], { wait: false })).get(LEMMY)).toBe("group");
  });

  it("waits no longer than waitMs for a slow peer", async () => {
    const store = openSqliteStore(join(dir, `peers-${++seq}.db`));
    stores.push(store);
    // The peer answers only once the test lets it: an answer before that is the wait giving up.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const slow = async () => {
      await answered;
      return { name: "piefed", version: null };
    };
    const peers = new PeerSoftware(store.federation.instances, slow, logger, { waitMs: 30 });
    expect((await peers.kindsOf([inbox(SPARE[0]!)], { wait: true })).get(SPARE[0]!)).toBe("unknown");
    answer();
    await peers.idle();
    expect((await peers.kindsOf([inbox(SPARE[0]!)], { wait: true })).get(SPARE[0]!)).toBe("group");
  });

  it("does not ask a failed domain again for a day, then asks in the background", async () => {
    const { store, peers, clock } = fresh({ memoryMs: 0 });
    const target = SPARE[1]!;
    const start = asked(target);
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("unknown");
    expect(asked(target)).toBe(start + 1);

    clock.now += 23 * HOUR;
    server.serveNodeInfo(target, "PieFed");
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("unknown");
    await peers.idle();
    expect(asked(target)).toBe(start + 1);

    clock.now += 2 * HOUR;
    // due again: this fan-out still uses the record it has, the lookup runs behind it
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("unknown");
    await peers.idle();
    expect(asked(target)).toBe(start + 2);
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("group");
    expect(await store.federation.instances.get(target)).toMatchObject({ software: "piefed", lastError: null });
  });

  it("refreshes a known software after a week, and keeps it when the refresh fails", async () => {
    const { store, peers, clock } = fresh({ memoryMs: 0 });
    const target = SPARE[2]!;
    server.serveNodeInfo(target, "mbin", "1.7");
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("group");
    const start = asked(target);
    clock.now += 6 * DAY;
    await peers.kindsOf([inbox(target)], { wait: true });
    await peers.idle();
    expect(asked(target)).toBe(start);

    server.serve(target, "/.well-known/nodeinfo", { links: "broken" });
    clock.now += 2 * DAY;
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("group");
    await peers.idle();
    expect(asked(target)).toBe(start + 1);
    const record = await store.federation.instances.get(target);
    expect(record).toMatchObject({ software: "mbin", version: "1.7", fetchedAt: clock.now });
    expect(record?.lastError).toMatch(/links/);
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("group");
  });

  it("records an oversized NodeInfo as a failure", async () => {
    const { store, peers } = fresh();
    const target = SPARE[3]!;
    server.serve(target, "/.well-known/nodeinfo", {
      links: [{ rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${server.base(target)}/big` }],
    });
    server.serve(target, "/big", { software: { name: "lemmy" }, padding: "x".repeat(100_000) });
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("unknown");
    expect((await store.federation.instances.get(target))?.lastError).toMatch(/large|exceed|bytes|limit/i);
  });

  it("asks only through the guarded client: a private address is refused when they are not allowed", async () => {
    const strict = new GuardedFetch({ allowPrivateAddresses: false, userAgent: "atoll-test" });
    const { store, peers } = fresh({}, strict);
    const target = SPARE[4]!;
    server.serveNodeInfo(target, "lemmy");
    const before = server.fetched.length;
    expect((await peers.kindsOf([inbox(target)], { wait: true })).get(target)).toBe("unknown");
    expect(server.fetched.length).toBe(before);
    expect((await store.federation.instances.get(target))?.lastError).not.toBeNull();
  });

  it("learns a new follower's instance once, and not again while its record holds", async () => {
    const { store } = fresh();
    const s = { store, logger, clock: () => 5_000_000 };
    const before = asked(MASTO);
    await learnFollowerSoftware({ s, http }, `${server.base(MASTO)}/inbox`);
    expect(asked(MASTO)).toBe(before + 1);
    expect((await store.federation.instances.get(MASTO))?.software).toBe("mastodon");
    await learnFollowerSoftware({ s, http }, `${server.base(MASTO)}/users/x/inbox`);
    expect(asked(MASTO)).toBe(before + 1);
    // nothing to learn from an inbox that is not an http(s) URL
    await learnFollowerSoftware({ s, http }, "mailto:someone@example.org");
    expect(await store.federation.instances.list()).toHaveLength(1);
  });

  it("never throws: with its store gone, every domain is unknown", async () => {
    const { store, peers } = fresh();
    await store.close();
    expect((await peers.kindsOf([inbox(LEMMY)], { wait: true })).get(LEMMY)).toBe("unknown");
    await expect(peers.learn(`${server.base(LEMMY)}/inbox`)).resolves.toBeUndefined();
    await peers.idle();
  });
});
